"""A read-only GitHub token: `check` names what it lacks, and `sync` never reports a dropped field as set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standins.github import GitHubStandIn
from tests.tracker17.support import GITHUB_TEAMS, cli, write_doc


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana"},
                       permissions={"push": False, "triage": False}) as standin:
        yield standin


def env(gh: GitHubStandIn) -> dict[str, str]:
    return {"GITHUB_TOKEN": "test-token", "GITHUB_API_URL": gh.url}


def test_check_names_missing_push_and_triage(tmp_path: Path, gh: GitHubStandIn) -> None:
    proc = cli(tmp_path, "check", env=env(gh), teams=GITHUB_TEAMS)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    assert "lacks push permission on acme/ops" in text and "lacks triage permission on acme/ops" in text
    assert "Traceback" not in text


def test_sync_does_not_report_dropped_assignee_or_labels_as_set(tmp_path: Path, gh: GitHubStandIn) -> None:
    doc = write_doc(tmp_path, [("Add a circuit breaker", "")])
    proc = cli(tmp_path, "sync", str(doc), "--format", "json", env=env(gh), teams=GITHUB_TEAMS)
    [item] = json.loads(proc.stdout)["items"]
    assert item["result"] == "created" and item["assignee"] is None
    assert "assignee ana dropped by the tracker" in item["reason"]
    assert "labels dropped by the tracker" in item["reason"] and "followthrough check" in item["reason"]
    [issue] = gh.issues.values()
    assert issue.assignees == [] and issue.labels == []


def test_check_names_missing_jira_permissions(tmp_path: Path) -> None:
    from tests.standins.jira import JiraStandIn
    from tests.tracker17.support import JIRA_TEAMS, jira_env

    with JiraStandIn(hang=1.0) as jira:
        jira.denied_permissions = {"ASSIGN_ISSUES", "EDIT_ISSUES"}
        proc = cli(tmp_path, "check", env=jira_env(jira), teams=JIRA_TEAMS)
    assert proc.returncode == 2
    assert "jira OPS: the bot lacks the assign permission (ASSIGN_ISSUES) in OPS" in proc.stdout
    assert "jira OPS: the bot lacks the edit permission (EDIT_ISSUES) in OPS" in proc.stdout
    assert "CREATE_ISSUES" not in proc.stdout


def test_read_only_token_store_lost_finds_the_issue_by_its_marker(tmp_path: Path, gh: GitHubStandIn) -> None:
    doc = write_doc(tmp_path, [("Add a circuit breaker", ""), ("Alert on error rate", "")])
    first = cli(tmp_path, "sync", str(doc), "--format", "json", env=env(gh), teams=GITHUB_TEAMS)
    assert json.loads(first.stdout)["counts"] == {"created": 2} and len(gh.issues) == 2
    (tmp_path / "ft.db").unlink()  # the store is lost; the issues carry no labels to find them by
    again = cli(tmp_path, "sync", str(doc), "--format", "json", env=env(gh), teams=GITHUB_TEAMS)
    assert again.returncode in (0, 1), again.stderr
    assert len(gh.issues) == 2  # found by the body marker, not created twice
    assert sorted(i["ticket"] for i in json.loads(again.stdout)["items"]) == sorted(
        i["ticket"] for i in json.loads(first.stdout)["items"])
