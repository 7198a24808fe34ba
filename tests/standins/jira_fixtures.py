"""pytest fixtures for the Jira stand-in; register with `pytest_plugins = ["tests.standins.jira_fixtures"]`.

- `jira_standin`: a running `JiraStandIn` (Cloud, project OPS) for the test.
- `jira_settings`: `Settings` pointing at it with valid Cloud credentials.
- `jira_client`: a `jira.JIRA` from `connect_jira` with a short timeout (1 s).
- `jira_tracker`: a `JiraTracker` for project OPS; `.calls` of the stand-in are reset once it is built.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jira import JIRA
from pydantic import SecretStr

from config.settings import Settings
from config.teams import JiraDestination
from connectors.jira import JiraTracker, connect_jira
from tests.standins.jira import JiraStandIn

#: Client timeout in tests: long enough for a loaded CI machine, short enough for "timeout" faults.
TEST_TIMEOUT = 1.0


@pytest.fixture
def jira_standin() -> Iterator[JiraStandIn]:
    with JiraStandIn(hang=TEST_TIMEOUT + 1.0) as standin:
        yield standin


@pytest.fixture
def jira_settings(jira_standin: JiraStandIn) -> Settings:
    return Settings(
        jira_url=jira_standin.url,
        jira_email=jira_standin.email,
        jira_api_token=SecretStr(jira_standin.api_token),
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def jira_client(jira_settings: Settings) -> Iterator[JIRA]:
    client = connect_jira(jira_settings, timeout=TEST_TIMEOUT)
    yield client
    client.close()  # type: ignore[no-untyped-call]  # the jira library leaves close() unannotated


@pytest.fixture
def jira_tracker(jira_client: JIRA, jira_standin: JiraStandIn) -> JiraTracker:
    tracker = JiraTracker(jira_client, JiraDestination(project="OPS", labels=("team-sre",)))
    jira_standin.reset_calls()
    return tracker
