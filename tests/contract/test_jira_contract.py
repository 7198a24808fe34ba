"""The postmortem as the contract on a Jira review: one preview comment, links written into the description.

The `jira` library against the Jira stand-in (comments listed, posted and edited; descriptions edited), a
real store. Jira has no version precondition, so the write is guarded by a re-read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from config.settings import Settings
from config.teams import JiraDestination, Person, Team
from connectors.sources import JiraIssue, stable_id
from connectors.throttle import NoThrottle
from tests.standins.jira import JiraStandIn
from tests.sync.support import settings_for
from worker.contract import render
from worker.contract.flows import preview_jira, write_back_postmortem
from worker.sync import pipeline
from worker.sync.pipeline import SyncResult

REVIEW = (
    "h1. Queue consumer stall\n"
    "\n"
    "Postmortem owner: Ana Lima\n"
    "{panel:title=Impact}Orders were delayed for *40 minutes*.{panel}\n"
    "{code}\n* not an item\n{code}\n"
    "\n"
    "h2. Action items\n"
    "\n"
    "* Add a consumer lag alert (owner: Ana Lima, due 2025-04-01)\n"
    "* Restart consumers automatically on stall {color:red}urgent{color}\n"
    "\n"
    "||Action||Owner||Due||Ticket||\n"
    "|Document the queue runbook|Ana Lima|2025-05-01| |\n"
    "\n"
    "h2. Lessons learned\n"
    "* Queues stall.\n"
)


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(projects=("OPS", "PIR")) as standin:
        yield standin


def review_issue(jira: JiraStandIn, description: str, status: str = "In Progress") -> str:
    with jira.lock:
        key = str(jira._commit_create({"project": {"key": "PIR"}, "issuetype": {"name": "Task"},
                                       "summary": "Queue consumer stall", "description": description})["key"])
        jira.issues[key]["status"] = jira._status(status)
    return key


def make_settings(jira: JiraStandIn, tmp_path: Path, **contract: Any) -> Settings:
    ana = jira.add_user("Ana Lima", email="ana@example.com")
    team_contract = {"preview": True, "write_back": True}
    return settings_for(
        f"sqlite:///{tmp_path / 'ft.db'}",
        jira_url=jira.url, jira_email=jira.email, jira_api_token=SecretStr(jira.api_token),
        teams={"sre": Team(tracker="jira", jira=JiraDestination(project="OPS"),
                           contract=team_contract)},  # type: ignore[arg-type]
        default_team="sre",
        people=(Person(name="Ana Lima", jira_account_id=ana),),
        sources={"jira": {"projects": ["PIR"], "approved_status": "Done",
                          "contract": {"preview": True, "write_back": True, "review_status": "In Progress",
                                       **contract}}},
    )


def ops_issues(jira: JiraStandIn) -> int:
    with jira.lock:
        return sum(1 for key in jira.issues if key.startswith("OPS-"))


def approve(settings: Settings, jira: JiraStandIn, key: str) -> SyncResult:
    jira.close_issue(key)
    ref = JiraIssue(key)
    with jira.lock:
        content = str(jira.issues[key]["description"]).encode()
    ingested = pipeline.ingest(settings, content=content, source=str(ref), postmortem_id=stable_id(ref),
                               filename=f"{key}.jira")
    return pipeline.sync(settings, ingested.postmortem_key, throttle=NoThrottle())


def test_one_preview_comment_edited_in_place(jira: JiraStandIn, tmp_path: Path) -> None:
    settings = make_settings(jira, tmp_path)
    key = review_issue(jira, REVIEW)
    assert preview_jira(settings, key).action == "created"
    jira.edit_issue(key, description=REVIEW.replace("2025-05-01", "2025-05-08"))
    assert preview_jira(settings, key).action == "edited"
    assert preview_jira(settings, key).action == "same"
    comments = jira.comments[key]
    assert len(comments) == 1 and render.JIRA_MARKER in comments[0]["body"]
    assert "2025-05-08" in comments[0]["body"] and "Document the queue runbook" in comments[0]["body"]
    assert ops_issues(jira) == 0
    jira.close_issue(key)  # out of review: the preview is left as it is
    assert preview_jira(settings, key).action.startswith("off")


def test_links_written_once_formatting_kept(jira: JiraStandIn, tmp_path: Path) -> None:
    settings = make_settings(jira, tmp_path)
    key = review_issue(jira, REVIEW)
    result = approve(settings, jira, key)
    keys = {row.ticket for row in result.items if row.ticket}
    assert len(keys) == 3
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and set(outcome.written) == keys
    text = str(jira.issues[key]["description"])
    for ticket in keys:
        assert text.count(f"[{ticket}|") == 1
    pairs = zip(REVIEW.splitlines(), text.splitlines(), strict=True)
    changed = [n for n, (a, b) in enumerate(pairs) if a != b]
    assert changed == [10, 11, 14]  # the two entries and the table row; the rest byte-identical
    puts = jira.count("PUT", rf"/issue/{key}$")
    again = write_back_postmortem(settings, result.postmortem_key)
    assert again is not None and again.status == "unchanged"
    assert jira.count("PUT", rf"/issue/{key}$") == puts
    # The product's own edit, ingested again, creates and changes no ticket.
    before = ops_issues(jira)
    rerun = approve(settings, jira, key)
    assert ops_issues(jira) == before
    assert {r.fingerprint: r.ticket for r in rerun.items} == {r.fingerprint: r.ticket for r in result.items}


def test_concurrent_edit_between_read_and_write_is_kept(jira: JiraStandIn, tmp_path: Path) -> None:
    settings = make_settings(jira, tmp_path)
    key = review_issue(jira, REVIEW)
    result = approve(settings, jira, key)
    gets = iter(range(1000))

    def person(method: str, issue: str) -> None:
        if issue == key and method == "GET" and next(gets) == 1:  # our guard's re-read, after our read
            jira.issues[key]["description"] = str(jira.issues[key]["description"]).replace(
                "* Queues stall.", "* Queues stall, and nobody noticed.")

    jira.on_issue_request = person
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and outcome.attempts == 2
    text = str(jira.issues[key]["description"])
    assert "* Queues stall, and nobody noticed." in text and len(outcome.written) == 3


def test_comment_where_editing_is_not_allowed(jira: JiraStandIn, tmp_path: Path) -> None:
    settings = make_settings(jira, tmp_path, edit_description=False)
    key = review_issue(jira, REVIEW)
    result = approve(settings, jira, key)
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "commented"
    assert jira.issues[key]["description"] == REVIEW
    bodies = [c["body"] for c in jira.comments.get(key, [])]
    assert len(bodies) == 1 and all(row.ticket in bodies[0] for row in result.items if row.ticket)
