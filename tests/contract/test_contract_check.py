"""`followthrough check` verifies the write permission previews and write-back need, where they are on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import ACCOUNT, run, write_config
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn

ON = {"preview": True, "write_back": True}


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(projects=("OPS", "PIR"), hang=2.0) as standin:
        standin.add_user("Ana Lima", email="ana@example.com", account_id=ACCOUNT)
        yield standin


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/web", collaborators={"ana"}) as standin:
        yield standin


def check(tmp_path: Path, jira: JiraStandIn, github: GitHubStandIn, contract: dict[str, Any]) -> Any:
    config = write_config(
        tmp_path,
        teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}, "contract": ON},
               "web": {"tracker": "github", "github": {"repo": "acme/web"}, "contract": ON}},
        sources={"github": {"repo": "acme/web", "contract": contract},
                 "jira": {"projects": ["PIR"], "contract": contract}},
    )
    env = {"FOLLOWTHROUGH_CONFIG": str(config),
           "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "JIRA_URL": jira.url, "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.api_token,
           "GITHUB_TOKEN": "test-token", "GITHUB_API_URL": github.url}
    return run(tmp_path, "check", env=env)


def _contract_lines(proc: Any) -> list[str]:
    """The findings of the contract's own check (the source and team checks of `check` run beside it)."""
    return [line for line in proc.stdout.strip().splitlines()
            if "previews or write-back" in line or "cannot push to the repository" in line]


def test_write_permissions_are_checked_where_the_contract_is_on(
    tmp_path: Path, jira: JiraStandIn, github: GitHubStandIn
) -> None:
    check(tmp_path, jira, github, {})
    others = jira.count("GET", r"mypermissions")  # the team checks' own reads (issue 17)
    proc = check(tmp_path, jira, github, ON)
    assert _contract_lines(proc) == [], proc.stdout + proc.stderr
    assert jira.count("GET", r"mypermissions") == 2 * others + 1  # the contract reads PIR's once
    github.push_allowed = False
    jira.denied_permissions.add("EDIT_ISSUES")
    proc = check(tmp_path, jira, github, ON)
    assert proc.returncode == 2
    lines = _contract_lines(proc)
    assert "github source acme/web: the token cannot push to the repository" in lines[0]
    assert lines[1] == "jira source PIR: missing the EDIT_ISSUES permission that previews or write-back need"
    assert len(lines) == 2


def test_off_by_default_nothing_is_checked(tmp_path: Path, jira: JiraStandIn, github: GitHubStandIn) -> None:
    github.push_allowed = False
    proc = check(tmp_path, jira, github, {})
    assert _contract_lines(proc) == [], proc.stdout
