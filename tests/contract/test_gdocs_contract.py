"""The postmortem as the contract on Google Docs: one Drive comment per review, links inserted into the
item's own paragraph after approval.

google-api-python-client against the Drive stand-in (Docs `documents.get` and `batchUpdate` with
`writeControl.requiredRevisionId`, 400 when stale; Drive comments listed, created and edited), tickets in
the GitHub stand-in, a real store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import Settings
from config.teams import GitHubDestination, Team
from connectors.sources import GoogleDoc, stable_id
from connectors.sources.gdocs import DriveReader
from connectors.throttle import NoThrottle
from tests.contract.support import GITHUB_PEOPLE
from tests.standins.gdrive import DriveStandIn
from tests.standins.github import GitHubStandIn
from tests.sync.support import settings_for
from worker.contract import render
from worker.contract.flows import write_back_postmortem
from worker.contract.source_flows import preview_gdocs
from worker.sync import pipeline
from worker.sync.pipeline import SyncResult

PARAGRAPHS = [
    ("HEADING_1", "Database outage"),
    ("NORMAL_TEXT", "Postmortem owner: Ana Lima"),
    ("HEADING_2", "Summary"),
    ("NORMAL_TEXT", "The primary database ran out of disk."),
    ("HEADING_2", "Action items"),
    ("BULLET", "Add a disk usage alert on the primary (owner: Ana Lima, due 2025-04-01, P1)"),
    ("BULLET", "Rotate the WAL archive weekly (owner: Bob Stone, due 2025-04-15)"),
    ("HEADING_2", "Lessons learned"),
    ("NORMAL_TEXT", "Disks fill up."),
]


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana", "bob"}) as standin:
        yield standin


@pytest.fixture
def drive() -> Iterator[DriveStandIn]:
    with DriveStandIn() as standin:
        yield standin


def make_settings(gh: GitHubStandIn, drive: DriveStandIn, folders: tuple[str, str], tmp_path: Path, *,
                  on: bool = True) -> Settings:
    approved, review = folders
    return settings_for(
        f"sqlite:///{tmp_path / 'ft.db'}", github_token=SecretStr("test-token"), github_api_url=gh.url,
        google_bearer_token=SecretStr("drive-token"), google_api_url=drive.url,
        teams={"web": Team(tracker="github", github=GitHubDestination(repo="acme/ops"),
                           contract={"preview": on, "write_back": on})},  # type: ignore[arg-type]
        default_team="web", people=GITHUB_PEOPLE,
        sources={"gdocs": {"approved_folders": [approved],
                           "contract": {"preview": on, "write_back": on, "review_folders": [review]}}},
    )


@pytest.fixture
def folders(drive: DriveStandIn) -> tuple[str, str]:
    return drive.folder("Approved"), drive.folder("In review")


@pytest.fixture
def settings(gh: GitHubStandIn, drive: DriveStandIn, folders: tuple[str, str], tmp_path: Path) -> Settings:
    return make_settings(gh, drive, folders, tmp_path)


def ingest(settings: Settings, file_id: str) -> SyncResult:
    assert settings.sources.gdocs is not None
    document = DriveReader(settings, settings.sources.gdocs).fetch(GoogleDoc(file_id))
    ingested = pipeline.ingest(settings, content=document.content, source=str(document.source),
                               postmortem_id=stable_id(GoogleDoc(file_id)), filename=document.filename,
                               version=document.version)
    return pipeline.sync(settings, ingested.postmortem_key, throttle=NoThrottle())


def tickets(gh: GitHubStandIn) -> int:
    with gh.lock:
        return sum(1 for issue in gh.issues.values() if not issue.is_pull_request)


def test_one_preview_comment_edited_in_place_and_no_ticket(
    gh: GitHubStandIn, drive: DriveStandIn, folders: tuple[str, str], settings: Settings
) -> None:
    doc = drive.structured("Database outage", PARAGRAPHS, folders[1])
    drive.add_drive_comment(doc, "Who owns the alert?", me=False)
    action, previews, body = preview_gdocs(settings, doc)
    assert action == "created" and len(previews) == 1 and body.startswith(render.PLAIN_MARKER)
    drive.person_types(doc, 6, " and page someone")
    assert preview_gdocs(settings, doc)[0] == "edited"
    assert preview_gdocs(settings, doc)[0] == "same"
    ours = [c for c in drive.drive_comments[doc] if c["author"]["me"]]
    assert len(drive.drive_comments[doc]) == 2 and len(ours) == 1 and "page someone" in ours[0]["content"]
    assert tickets(gh) == 0 and drive.count("POST", r":batchUpdate") == 0


def test_approval_writes_every_link_once_and_keeps_the_rest(
    gh: GitHubStandIn, drive: DriveStandIn, folders: tuple[str, str], settings: Settings
) -> None:
    doc = drive.structured("Database outage", PARAGRAPHS, folders[0])
    result = ingest(settings, doc)
    keys = {row.ticket for row in result.items if row.ticket}
    assert len(keys) == 2 and tickets(gh) == 2
    drive.calls.clear()
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and set(outcome.written) == keys
    assert len(drive.calls) == 2  # documents.get and one batchUpdate
    after = drive.plain(doc)
    for n, (_, text) in enumerate(PARAGRAPHS):
        if n in (5, 6):
            assert after[n].startswith(text + " (http") and after[n].count("/issues/") == 1
        else:
            assert after[n] == text  # every other paragraph as it was
    rerun = write_back_postmortem(settings, result.postmortem_key)  # a second run writes nothing
    assert rerun is not None and rerun.status == "unchanged" and drive.count("POST", r":batchUpdate") == 1


def test_own_edit_triggers_no_new_ticket(gh: GitHubStandIn, drive: DriveStandIn, folders: tuple[str, str],
                                         settings: Settings) -> None:
    doc = drive.structured("Database outage", PARAGRAPHS, folders[0])
    first = ingest(settings, doc)
    write_back_postmortem(settings, first.postmortem_key)
    gh.reset_calls()
    again = ingest(settings, doc)  # the change feed lists the document (our edit) and it is read again
    assert {r.fingerprint: r.ticket for r in again.items} == {r.fingerprint: r.ticket for r in first.items}
    assert gh.count("POST", r"/issues$") == 0 and tickets(gh) == 2


def test_concurrent_human_edit_is_kept(gh: GitHubStandIn, drive: DriveStandIn, folders: tuple[str, str],
                                       settings: Settings) -> None:
    doc = drive.structured("Database outage", PARAGRAPHS, folders[0])
    result = ingest(settings, doc)
    drive.before_batch_update = lambda: drive.person_types(doc, 3, " Twice.")
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and outcome.attempts == 2
    after = drive.plain(doc)
    assert after[3] == "The primary database ran out of disk. Twice."
    assert sum(line.count("/issues/") for line in after) == 2


def test_conflict_every_time_leaves_a_comment(gh: GitHubStandIn, drive: DriveStandIn,
                                              folders: tuple[str, str], settings: Settings) -> None:
    doc = drive.structured("Database outage", PARAGRAPHS, folders[0])
    result = ingest(settings, doc)

    def person() -> None:
        drive.person_types(doc, 8, " Again.")
        drive.before_batch_update = person

    drive.before_batch_update = person
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "commented" and outcome.attempts == 3
    assert not any("/issues/" in line for line in drive.plain(doc))
    (comment,) = drive.drive_comments[doc]
    assert comment["content"].count("/issues/") == 2


def test_off_by_default(gh: GitHubStandIn, drive: DriveStandIn, folders: tuple[str, str],
                        tmp_path: Path) -> None:
    settings = make_settings(gh, drive, folders, tmp_path, on=False)
    doc = drive.structured("Database outage", PARAGRAPHS, folders[0])
    assert preview_gdocs(settings, doc)[0].startswith("off:")
    result = ingest(settings, doc)
    assert write_back_postmortem(settings, result.postmortem_key) is None
    assert drive.count("POST", r":batchUpdate") == 0 and doc not in drive.drive_comments
