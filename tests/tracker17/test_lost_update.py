"""A lost reply on an update leaves no conflict: the next sync re-reads the ticket before judging it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standins.jira import JiraStandIn
from tests.tracker17.support import cli, jira_env


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(hang=1.0) as standin:
        yield standin


def doc(tmp_path: Path, due: str) -> str:
    path = tmp_path / "pm.md"
    path.write_text(
        "# Postmortem: Cache outage\n\nDate: 2026-11-20\n\n## Action items\n\n"
        "| Action | Owner | Due |\n|---|---|---|\n"
        f"| Add a cache stampede guard | Ana Lima | {due} |\n",
        encoding="utf-8",
    )
    return str(path)


def test_update_applied_but_its_reply_lost_is_settled_not_a_conflict(
        tmp_path: Path, jira: JiraStandIn) -> None:
    env = jira_env(jira)
    first = json.loads(cli(tmp_path, "sync", doc(tmp_path, "2027-01-20"), "--format", "json", env=env).stdout)
    key = first["items"][0]["ticket"]
    jira.faults.add("PUT", rf"/issue/{key}$", "lost_response", times=20)  # every reply of this run is lost
    second = cli(tmp_path, "sync", doc(tmp_path, "2027-02-01"), "--format", "json", env=env)
    assert json.loads(second.stdout)["items"][0]["result"] == "pending"
    assert jira.issues[key]["duedate"] == "2027-02-01"  # Jira applied it; we never heard
    jira.faults.clear()
    third = json.loads(cli(tmp_path, "sync", doc(tmp_path, "2027-03-01"), "--format", "json", env=env).stdout)
    item = third["items"][0]
    assert item["result"] == "updated", item
    assert jira.issues[key]["duedate"] == "2027-03-01"
    fourth = cli(tmp_path, "sync", doc(tmp_path, "2027-03-01"), "--format", "json", env=env)
    assert json.loads(fourth.stdout)["items"][0]["result"] == "unchanged"
