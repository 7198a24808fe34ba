"""End-to-end sync against the Jira stand-in, through the real `jira` client and the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import Settings
from config.teams import JiraDestination, Person, Team
from connectors.errors import RateLimited
from connectors.tracker import NEEDS_OWNER_LABEL, REMOVED_LABEL
from tests.standins.jira import JiraStandIn
from tests.sync.support import (
    by_result,
    document,
    ingest_and_sync,
    item_title,
    settings_for,
    sync_until_settled,
)
from worker.sync import pipeline


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(hang=2.0) as standin:
        yield standin


def jira_settings(jira: JiraStandIn, db: str, **extra: object) -> Settings:
    ana = jira.add_user("Ana Lima", email="ana@example.com")
    bob = jira.add_user("Bob Stone", email="bob@example.com")
    jira.add_user("Dana Scully", email="dana@example.com")
    values: dict[str, object] = {
        "jira_url": jira.url,
        "jira_email": jira.email,
        "jira_api_token": SecretStr(jira.api_token),
        "teams": {"ops": Team(jira=JiraDestination(project="OPS", labels=("team-ops",)))},
        "default_team": "ops",
        "people": (
            Person(name="Ana Lima", jira_account_id=ana),
            Person(name="Bob Stone", aliases=("@bob",), jira_account_id=bob),
        ),
    }
    values.update(extra)
    return settings_for(db, **values)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ft.db'}"


def tickets_per_item(jira: JiraStandIn) -> Counter[str]:
    with jira.lock:
        return Counter(
            label
            for fields in jira.issues.values()
            for label in fields.get("labels", [])
            if label.startswith("ft-") and label != REMOVED_LABEL
        )


def writes(jira: JiraStandIn) -> int:
    return sum(
        1 for method, _ in jira.calls if method in ("POST", "PUT", "DELETE") and not _.endswith("/search/jql")
    )


def test_create_then_rerun_creates_nothing(jira: JiraStandIn, db: str) -> None:
    settings = jira_settings(jira, db)
    owners = ("Ana Lima", "@bob", "Dana Scully", "Zed Unknown", "")
    first = ingest_and_sync(settings, document(5, owners=owners))
    assert first.retry_error is None and first.dry_run is False
    assert [i.result for i in first.items] == ["created"] * 5
    assert len(jira.issues) == 5
    rows = {i.title: i for i in first.items}
    ana = settings.people[0].jira_account_id
    assert (rows[item_title(0)].assignee, rows[item_title(0)].owner_resolution) == (ana, "directory")
    assert rows[item_title(1)].owner_resolution == "alias"
    assert rows[item_title(2)].owner_resolution == "tracker"  # found by exact display name
    assert rows[item_title(3)].owner_resolution == "needs-owner" and rows[item_title(3)].assignee is None
    assert rows[item_title(4)].owner_resolution == "fallback:postmortem_owner:directory"
    zed = jira.issues[rows[item_title(3)].ticket or ""]
    assert NEEDS_OWNER_LABEL in zed["labels"] and zed.get("assignee") is None
    assert "Zed Unknown" in str(zed.get("description"))  # owner as written is in the body
    first_issue = jira.issues[rows[item_title(0)].ticket or ""]
    assert first_issue["duedate"] == "2025-05-01" and first_issue["priority"]["name"] == "High"
    assert {"followthrough", "team-ops", "kind-prevent", "priority-p1"} <= set(first_issue["labels"])

    jira.reset_calls()
    again = ingest_and_sync(settings, document(5, owners=owners))
    assert [i.result for i in again.items] == ["unchanged"] * 5
    assert len(jira.issues) == 5 and writes(jira) == 0
    # Owner lookups and serverInfo are remembered: the unchanged resync costs one search.
    assert [m for m, _ in jira.calls] == ["POST"] and jira.calls[0][1].endswith("/search/jql")


def test_resync_updates_owned_fields_but_human_edit_wins(jira: JiraStandIn, db: str) -> None:
    settings = jira_settings(jira, db)
    first = ingest_and_sync(settings, document(3))
    keys = [i.ticket for i in first.items]
    jira.edit_issue(keys[1] or "", duedate="2030-01-01")  # a person moves the due date
    jira.edit_issue(keys[2] or "", summary="Renamed by a person")
    changed = document(
        3,
        changes={
            0: {"title": item_title(0), "due": "2025-07-01", "priority": "P3"},
            1: {"due": "2025-08-01"},
            2: {"due": "2025-09-09"},
        },
    )
    result = ingest_and_sync(settings, changed)
    rows = {i.ticket: i for i in result.items}
    assert rows[keys[0]].result == "updated"
    assert jira.issues[keys[0] or ""]["duedate"] == "2025-07-01"
    assert jira.issues[keys[0] or ""]["priority"]["name"] == "Low"
    assert rows[keys[1]].result == "conflict" and "due" in rows[keys[1]].reason
    assert jira.issues[keys[1] or ""]["duedate"] == "2030-01-01"  # not overwritten
    # Title was edited by a person but the doc changed only the due date: due is updated, title kept.
    assert rows[keys[2]].result == "updated" and "human edit of title kept" in rows[keys[2]].reason
    assert jira.issues[keys[2] or ""]["summary"] == "Renamed by a person"
    assert jira.issues[keys[2] or ""]["duedate"] == "2025-09-09"


def test_removed_item_is_commented_once_and_listed(jira: JiraStandIn, db: str) -> None:
    settings = jira_settings(jira, db)
    first = ingest_and_sync(settings, document(3))
    gone_key = first.items[1].ticket or ""
    for _ in range(2):
        result = ingest_and_sync(settings, document(3, drop={1}))
        removed = [i for i in result.items if i.result == "removed"]
        assert [i.ticket for i in removed] == [gone_key]
    assert len(jira.comments.get(gone_key, [])) == 1
    assert REMOVED_LABEL in jira.issues[gone_key]["labels"]
    assert len(jira.issues) == 3  # nothing deleted


def test_store_lost_recovers_mapping_by_label(jira: JiraStandIn, db: str, tmp_path: Path) -> None:
    settings = jira_settings(jira, db)
    first = ingest_and_sync(settings, document(3))
    keys = [i.ticket for i in first.items]
    jira.edit_issue(keys[0] or "", duedate="2031-01-01")
    fresh = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'new.db'}"})
    # The document changed too: with no record of what we wrote, the ticket's values are kept.
    result = ingest_and_sync(fresh, document(3, changes={1: {"due": "2026-01-01"}}))
    assert len(jira.issues) == 3
    assert [i.ticket for i in result.items] == keys
    # Without a record of what we wrote, any difference is reported and the ticket's value kept.
    assert [i.result for i in result.items] == ["conflict", "conflict", "unchanged"]
    assert jira.issues[keys[0] or ""]["duedate"] == "2031-01-01"
    assert jira.issues[keys[1] or ""]["duedate"] == "2025-05-02"
    stored = pipeline.open_store(fresh).items(result.postmortem_key)
    assert [s.ticket_key for s in stored] == keys


def test_removed_while_store_lost_still_gets_its_one_comment(
    jira: JiraStandIn, db: str, tmp_path: Path
) -> None:
    settings = jira_settings(jira, db)
    first = ingest_and_sync(settings, document(3))
    fresh = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'new.db'}"})
    result = ingest_and_sync(fresh, document(3, drop={2}))
    gone = first.items[2].ticket or ""
    assert [i.ticket for i in result.items if i.result == "removed"] == [gone]
    ingest_and_sync(fresh, document(3, drop={2}))
    assert len(jira.comments.get(gone, [])) == 1


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "timeout", "reset", "lost_response"])
def test_each_fault_on_create_gives_no_duplicate_and_no_lost_item(
    jira: JiraStandIn, db: str, kind: str
) -> None:
    settings = jira_settings(jira, db)
    jira.faults.add("POST", r"/issue/bulk$", kind)
    sync_until_settled(settings, document(60))
    assert set(tickets_per_item(jira).values()) == {1} and len(jira.issues) == 60
    assert jira.faults.injected and jira.faults.injected[0].kind == kind


@pytest.mark.parametrize("kind", ["500", "timeout", "reset", "lost_response"])
def test_faults_on_update_and_comment_are_retried(jira: JiraStandIn, db: str, kind: str) -> None:
    settings = jira_settings(jira, db)
    first = ingest_and_sync(settings, document(3))
    jira.faults.add("PUT", r"/issue/", kind, times=2)
    sync_until_settled(settings, document(3, changes={0: {"due": "2026-02-02"}}, drop={2}))
    assert jira.issues[first.items[0].ticket or ""]["duedate"] == "2026-02-02"
    assert len(jira.comments.get(first.items[2].ticket or "", [])) == 1


def test_long_rate_limit_becomes_retry_error_not_a_sleep(jira: JiraStandIn, db: str) -> None:
    settings = jira_settings(jira, db)
    jira.faults.add("POST", r"/issue/bulk$", "429", retry_after="120")
    result = ingest_and_sync(settings, document(4))
    assert isinstance(result.retry_error, RateLimited) and result.retry_error.retry_after >= 100
    assert {i.result for i in result.items} == {"pending"} and result.failed
    assert len(jira.issues) == 0
    settled = sync_until_settled(settings, document(4))
    assert [i.result for i in settled[-1].items] == ["created"] * 4
    assert set(tickets_per_item(jira).values()) == {1}


def test_stale_directory_id_goes_out_unassigned_and_rejection_fails_alone(jira: JiraStandIn, db: str) -> None:
    settings = jira_settings(jira, db)
    gone = jira.add_user("Gone Person", assignable=False)
    settings = settings.model_copy(
        update={"people": (*settings.people, Person(name="Gone", jira_account_id=gone))}
    )
    result = ingest_and_sync(settings, document(3, owners=("Ana Lima", "Gone", "Ana Lima")))
    assert result.counts() == {"created": 3}
    gone_row = result.items[1]
    assert (gone_row.assignee, gone_row.owner_resolution) == (None, "needs-owner")
    assert NEEDS_OWNER_LABEL in jira.issues[gone_row.ticket or ""]["labels"]

    # Ana leaves after the assignability check was cached: Jira rejects her new item, with its reason,
    # and the other new item is created all the same.
    with jira.lock:
        jira.users[settings.people[0].jira_account_id or ""]["_assignable"] = False
    more = ingest_and_sync(settings, document(5, owners=("Ana Lima", "Gone", "Ana Lima", "Ana Lima", "Gone")))
    rows = {i.title: i for i in more.items}
    assert rows[item_title(3)].result == "failed" and "cannot be assigned" in rows[item_title(3)].reason
    assert rows[item_title(4)].result == "created" and more.failed
    assert len(jira.issues) == 4


@pytest.mark.slow
def test_randomised_faults_200_items_one_ticket_each(jira: JiraStandIn, db: str) -> None:
    settings = jira_settings(jira, db)
    content = document(200, owners=("Ana Lima", "@bob", "Zed Unknown", ""))
    jira.faults.random(rate=0.2, seed=7)
    runs = sync_until_settled(settings, content, max_runs=25)
    jira.faults.clear()
    counts = tickets_per_item(jira)
    assert len(counts) == 200 and set(counts.values()) == {1}, [k for k, v in counts.items() if v != 1]
    final = ingest_and_sync(settings, content)
    assert final.counts() == {"unchanged": 200}
    assert by_result(runs[-1]).keys() <= {"created", "unchanged"}


def test_assigning_a_needs_owner_ticket_drops_the_label(jira: JiraStandIn, db: str) -> None:
    settings = jira_settings(jira, db)
    content = document(2, owners=("Ana Lima", "Zed Unknown"))
    first = ingest_and_sync(settings, content)
    zed_key = first.items[1].ticket or ""
    assert NEEDS_OWNER_LABEL in jira.issues[zed_key]["labels"]
    # Zed joins and is added to the directory: the next sync assigns the ticket, as GitHub's does.
    zed = jira.add_user("Zed Unknown", email="zed@example.com")
    settings = settings.model_copy(
        update={"people": (*settings.people, Person(name="Zed Unknown", jira_account_id=zed))}
    )
    again = ingest_and_sync(settings, content)
    assert again.items[1].result == "updated" and "assignee" in again.items[1].reason
    assert jira.issues[zed_key]["assignee"]["accountId"] == zed
    assert NEEDS_OWNER_LABEL not in jira.issues[zed_key]["labels"]
