"""Connecting: settings checks, Cloud vs Data Center detection, and the Data Center dialect."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from config.settings import ConfigError, Settings
from config.teams import JiraDestination
from connectors.errors import Transient
from connectors.jira import JiraTracker, connect_jira, is_cloud
from tests.connectors.jira_helpers import draft
from tests.standins.jira import JiraStandIn


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({}, "JIRA_URL"),
        ({"jira_url": "https://example.atlassian.net"}, "JIRA_PAT"),
        ({"jira_url": "https://example.atlassian.net", "jira_api_token": SecretStr("t")}, "JIRA_EMAIL"),
        ({"jira_url": "https://example.atlassian.net", "jira_email": "a@example.com"}, "JIRA_API_TOKEN"),
    ],
)
def test_missing_settings_are_named(
    values: dict[str, Any], named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(f"FOLLOWTHROUGH_{var}", raising=False)

    with pytest.raises(ConfigError, match=named):
        connect_jira(_settings(**values))


def test_cloud_is_detected_from_server_info(jira_standin: JiraStandIn, jira_settings: Settings) -> None:

    client = connect_jira(jira_settings, timeout=1)

    assert is_cloud(client)
    assert jira_standin.calls == [("GET", "/rest/api/2/serverInfo")]  # no field list, no extra lookups


def test_server_info_is_asked_once_per_site_and_process(
    jira_standin: JiraStandIn, jira_settings: Settings
) -> None:
    first = JiraTracker(connect_jira(jira_settings, timeout=1), JiraDestination(project="OPS"))
    first.create_tickets([draft(n) for n in range(3)])
    jira_standin.reset_calls()

    again = connect_jira(jira_settings, timeout=1)  # a worker's next task builds a new client
    tickets = JiraTracker(again, JiraDestination(project="OPS")).find_tickets("pm-2024-001")

    # No serverInfo call the second time, and the remembered answer still makes it a Cloud client whose
    # searches go to search/jql.
    assert is_cloud(again)
    assert jira_standin.calls == [("POST", "/rest/api/3/search/jql")]
    assert {t.fingerprint for t in tickets} == {f"fp{n:04d}" for n in range(3)}


def test_connect_maps_a_server_error(jira_standin: JiraStandIn, jira_settings: Settings) -> None:
    jira_standin.faults.add("GET", r"/serverInfo$", "502")

    with pytest.raises(Transient, match="connect"):
        connect_jira(jira_settings, timeout=1)


@pytest.fixture
def data_center() -> Iterator[JiraStandIn]:
    with JiraStandIn(deployment="Server") as standin:
        yield standin


def test_data_center_with_a_personal_access_token(data_center: JiraStandIn) -> None:
    alice = data_center.add_user("Alice Doe", email="alice@example.com", name="alice")
    client = connect_jira(_settings(jira_url=data_center.url, jira_pat=SecretStr(data_center.pat)), timeout=1)
    tracker = JiraTracker(client, JiraDestination(project="OPS"))
    assert alice and not tracker.cloud

    outcomes = tracker.create_tickets([draft(n, assignee="alice" if n == 0 else None) for n in range(120)])
    data_center.reset_calls()
    tickets = tracker.find_tickets("pm-2024-001")

    assert all(o.ticket is not None for o in outcomes)
    assert data_center.issues["OPS-1"]["assignee"]["name"] == "alice"
    assert len(tickets) == 120 and tickets[0].fields.assignee == "alice"
    # Data Center has no search/jql: the startAt search pages in hundreds.
    assert data_center.calls == [("POST", "/rest/api/2/search")] * 2
    assert [m.id for m in tracker.find_users("alice@example.com")] == ["alice"]
    assert tracker.is_assignable("alice") is True
