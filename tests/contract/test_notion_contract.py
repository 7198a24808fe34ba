"""The postmortem as the contract on Notion: one page comment per review, links written into the item's
own block after approval.

notion-client against the Notion stand-in (comments listed, created and edited; blocks updated with
PATCH /v1/blocks/{id}, which has no version precondition), tickets in the GitHub stand-in, a real store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from config.settings import Settings
from config.teams import GitHubDestination, Team
from connectors.sources import NotionPage, stable_id
from connectors.sources.notion import NotionReader
from connectors.throttle import NoThrottle
from tests.contract.support import GITHUB_PEOPLE
from tests.standins.github import GitHubStandIn
from tests.standins.notion import NotionStandIn, block, table
from tests.sync.support import settings_for
from worker.contract import render
from worker.contract.flows import write_back_postmortem
from worker.contract.source_flows import preview_notion
from worker.sync import pipeline
from worker.sync.pipeline import SyncResult


def bold(value: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": value, "link": None}, "plain_text": value, "href": None,
             "annotations": {"bold": True, "italic": False, "strikethrough": False, "underline": False,
                             "code": False, "color": "red"}}]


def blocks() -> list[dict[str, Any]]:
    summary = block("paragraph", "")
    summary["paragraph"]["rich_text"] = bold("The primary database ran out of disk.")
    alert = block("to_do", "Add a disk usage alert on the primary (owner: Ana Lima, due 2025-04-01, P1)",
                  checked=False)
    alert["to_do"]["color"] = "yellow_background"
    return [
        block("paragraph", "Postmortem owner: Ana Lima"), block("heading_2", "Summary"), summary,
        block("code", "| not | a | table |", language="plain text"),
        block("heading_2", "Action items"), alert,
        block("bulleted_list_item", "Rotate the WAL archive weekly (owner: Bob Stone, due 2025-04-15)"),
        table([["Action", "Owner", "Due", "Ticket"],
               ["Document the failover runbook", "Ana Lima", "2025-05-01", ""]]),
        block("heading_2", "Lessons learned"), block("bulleted_list_item", "Disks fill up."),
    ]


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana", "bob"}) as standin:
        yield standin


@pytest.fixture
def notion() -> Iterator[NotionStandIn]:
    with NotionStandIn() as standin:
        yield standin


def make_settings(gh: GitHubStandIn, notion: NotionStandIn, database: str, tmp_path: Path, *,
                  on: bool = True) -> Settings:
    return settings_for(
        f"sqlite:///{tmp_path / 'ft.db'}", github_token=SecretStr("test-token"), github_api_url=gh.url,
        notion_token=SecretStr(notion.token), notion_api_url=notion.url,
        teams={"web": Team(tracker="github", github=GitHubDestination(repo="acme/ops"),
                           contract={"preview": on, "write_back": on})},  # type: ignore[arg-type]
        default_team="web", people=GITHUB_PEOPLE,
        sources={"notion": {"databases": [database], "bot_id": notion.bot_id,
                            "contract": {"preview": on, "write_back": on, "review_status": "In review"}}},
    )


@pytest.fixture
def database(notion: NotionStandIn) -> str:
    return notion.add_database()


@pytest.fixture
def settings(gh: GitHubStandIn, notion: NotionStandIn, database: str, tmp_path: Path) -> Settings:
    return make_settings(gh, notion, database, tmp_path)


def ingest(settings: Settings, page: str) -> SyncResult:
    """Read the page as the ingest task does, store it and sync it."""
    ref = NotionPage(page)
    document = NotionReader(settings).fetch(ref)
    ingested = pipeline.ingest(settings, content=document.content, source=str(ref),
                               postmortem_id=stable_id(ref), filename=document.filename,
                               version=document.version)
    return pipeline.sync(settings, ingested.postmortem_key, throttle=NoThrottle())


def tickets(gh: GitHubStandIn) -> int:
    with gh.lock:
        return sum(1 for issue in gh.issues.values() if not issue.is_pull_request)


def snapshot(notion: NotionStandIn, page: str) -> dict[str, str]:
    """Every block of the page as stored (JSON), by id."""
    with notion.lock:
        out = {}
        todo = list(notion.blocks[page]["child_ids"])
        while todo:
            current = todo.pop(0)
            out[current] = json.dumps(notion.blocks[current], sort_keys=True)
            todo += notion.blocks[current]["child_ids"]
        return out


def test_one_preview_comment_edited_in_place_and_no_ticket(gh: GitHubStandIn, notion: NotionStandIn,
                                                           database: str, settings: Settings) -> None:
    page = notion.add_page(database, "Database outage", blocks(), status="In review")
    notion.add_comment(page, "Who owns the replica work?")
    action, previews, body = preview_notion(settings, page)
    assert action == "created" and len(previews) == 1 and body.startswith(render.PLAIN_MARKER)
    assert "needs an owner" not in body and "Add a disk usage alert on the primary" in body
    changed = blocks()
    changed[6] = block("bulleted_list_item", "Rotate the WAL archive weekly (owner: Zed Unknown)")
    notion.edit(page, blocks=changed)
    assert preview_notion(settings, page)[0] == "edited"
    assert preview_notion(settings, page)[0] == "same"
    ours = [c for c in notion.comments if c["created_by"]["id"] == notion.bot_id]
    assert len(notion.comments) == 2 and len(ours) == 1
    text = "".join(p["plain_text"] for p in ours[0]["rich_text"])
    assert "needs an owner" in text and "No due date" in text
    notion.edit(page, status="Draft")
    assert preview_notion(settings, page)[0].startswith("off:")
    assert tickets(gh) == 0 and notion.count("PATCH", r"/v1/blocks/") == 0


def test_approval_writes_every_link_once_and_keeps_formatting(gh: GitHubStandIn, notion: NotionStandIn,
                                                              database: str, settings: Settings) -> None:
    page = notion.add_page(database, "Database outage", blocks(), status="Approved")
    result = ingest(settings, page)
    keys = {row.ticket for row in result.items if row.ticket}
    assert len(keys) == 3 and tickets(gh) == 3
    before = snapshot(notion, page)
    notion.reset_calls()
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and set(outcome.written) == keys
    # Read: the page and two block lists (the page's, the table's); check: the page and the two parents
    # listed again; write: one PATCH per item block.
    assert len(notion.calls) == 9 and notion.count("PATCH", r"/v1/blocks/") == 3
    after = snapshot(notion, page)
    items = {notion.find_block(page, m) for m in ("disk usage alert", "WAL archive", "failover runbook")}
    assert {k for k in before if before[k] != after[k]} == items  # every other block byte-identical
    alert = notion.blocks[notion.find_block(page, "disk usage alert")]["to_do"]
    assert alert["color"] == "yellow_background" and alert["rich_text"][0]["plain_text"].startswith("Add")
    texts = notion.text_of(page)
    for key in keys:
        number = key.rsplit("#", 1)[1]
        assert sum(1 for line in texts if f"/issues/{number}" in line) == 1, key
    row = next(line for line in texts if "failover runbook" in line)
    assert row.startswith("Document the failover runbook | Ana Lima | 2025-05-01 | http")
    notion.reset_calls()
    rerun = write_back_postmortem(settings, result.postmortem_key)  # a second run writes nothing
    assert rerun is not None and rerun.status == "unchanged" and notion.count("PATCH", r"/v1/blocks/") == 0
    assert snapshot(notion, page) == after


def test_own_edit_triggers_no_new_ticket(gh: GitHubStandIn, notion: NotionStandIn, database: str,
                                         settings: Settings) -> None:
    page = notion.add_page(database, "Database outage", blocks(), status="Approved")
    first = ingest(settings, page)
    write_back_postmortem(settings, first.postmortem_key)
    gh.reset_calls()
    again = ingest(settings, page)  # the sweep finds the page edited (by us) and reads it again
    assert again.postmortem_key == first.postmortem_key
    assert {r.fingerprint: r.ticket for r in again.items} == {r.fingerprint: r.ticket for r in first.items}
    assert gh.count("POST", r"/issues$") == 0 and gh.count("PATCH", r"/issues/\d+$") == 0
    assert tickets(gh) == 3


def test_concurrent_human_edit_is_kept(gh: GitHubStandIn, notion: NotionStandIn, database: str,
                                       settings: Settings) -> None:
    page = notion.add_page(database, "Database outage", blocks(), status="Approved")
    result = ingest(settings, page)
    summary = notion.find_block(page, "ran out of disk")
    # The person's edit lands after our read, right before the check that precedes the write.
    notion.before_page_read(1, lambda: notion.person_edits(summary, "The disk filled; alerts must page."))
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and outcome.attempts == 2
    assert len(outcome.written) == 3
    texts = notion.text_of(page)
    assert "The disk filled; alerts must page." in texts
    assert sum(1 for line in texts if "/issues/" in line) == 3


def test_edit_of_the_item_block_in_the_same_minute_is_kept(gh: GitHubStandIn, notion: NotionStandIn,
                                                           database: str, settings: Settings) -> None:
    page = notion.add_page(database, "Database outage", blocks(), status="Approved")
    result = ingest(settings, page)
    alert = notion.find_block(page, "disk usage alert")
    notion.same_minute = True  # last_edited_time cannot show this edit: the block re-read must
    notion.before_page_read(1, lambda: notion.person_recolours(alert, "blue"))
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and outcome.attempts == 2
    pieces = notion.blocks[alert]["to_do"]["rich_text"]
    assert pieces[0]["annotations"]["color"] == "blue" and "/issues/" in pieces[-1]["plain_text"]


def test_conflict_every_time_leaves_a_comment(gh: GitHubStandIn, notion: NotionStandIn, database: str,
                                              settings: Settings) -> None:
    page = notion.add_page(database, "Database outage", blocks(), status="Approved")
    result = ingest(settings, page)
    summary = notion.find_block(page, "ran out of disk")
    edits = iter(range(100))

    def person() -> None:
        notion.person_edits(summary, f"Edit {next(edits)}")
        notion.before_page_read(1, person)  # keeps editing: every check finds the page moved

    notion.before_page_read(1, person)
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "commented" and "changed" in outcome.reason
    assert outcome.attempts == 3 and notion.count("PATCH", r"/v1/blocks/") == 0
    assert not any("/issues/" in line for line in notion.text_of(page))
    (comment,) = notion.comments
    assert "".join(p["plain_text"] for p in comment["rich_text"]).count("/issues/") == 3


def test_off_by_default(gh: GitHubStandIn, notion: NotionStandIn, database: str, tmp_path: Path) -> None:
    settings = make_settings(gh, notion, database, tmp_path, on=False)
    page = notion.add_page(database, "Database outage", blocks(), status="In review")
    assert preview_notion(settings, page)[0].startswith("off:")
    notion.edit(page, status="Approved")
    result = ingest(settings, page)
    assert write_back_postmortem(settings, result.postmortem_key) is None
    assert notion.comments == [] and notion.count("PATCH", r"/v1/blocks/") == 0
