"""The postmortem as the contract on GitHub: one preview per pull request, links written back after.

Real PyGithub against the GitHub stand-in (contents API with sha and 409, issue comments), a real store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import Settings
from connectors.sources import GitHubFile, stable_id
from connectors.throttle import NoThrottle
from tests.contract.support import DOCUMENT, PATH, github_settings
from tests.standins.github import GitHubStandIn
from worker.contract import render
from worker.contract.flows import preview_pull, write_back_postmortem
from worker.sync import pipeline
from worker.sync.pipeline import SyncResult


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana", "bob"}) as standin:
        yield standin


@pytest.fixture
def settings(gh: GitHubStandIn, tmp_path: Path) -> Settings:
    return github_settings(f"sqlite:///{tmp_path / 'ft.db'}", gh.url)


def approve(settings: Settings, gh: GitHubStandIn, content: bytes) -> SyncResult:
    """Merge: the file lands on main, and it is ingested and synced as the merged-PR hook would."""
    sha = gh.put_file("main", PATH, content, message="merge")
    ref = GitHubFile("acme/ops", sha, PATH)
    ingested = pipeline.ingest(settings, content=content, source=str(ref), postmortem_id=stable_id(ref),
                               filename=PATH.rsplit("/", 1)[-1])
    return pipeline.sync(settings, ingested.postmortem_key, throttle=NoThrottle())


def tickets(gh: GitHubStandIn) -> int:
    with gh.lock:
        return sum(1 for issue in gh.issues.values() if not issue.is_pull_request)


def pull_comments(gh: GitHubStandIn, number: int) -> list[str]:
    with gh.lock:
        return list(gh.issues[number].comments)


def test_one_preview_edited_in_place_and_no_ticket(gh: GitHubStandIn, settings: Settings) -> None:
    gh.put_file("pm-db", PATH, DOCUMENT.encode())
    pull = gh.add_pull(head_ref="pm-db", files=[(PATH, "added"), ("README.md", "modified")])
    first = preview_pull(settings, "acme/ops", pull.number)
    assert first.action == "created"
    body = pull_comments(gh, pull.number)[0]
    assert render.GITHUB_MARKER in body
    assert "Add a disk usage alert on the primary" in body and "needs an owner" in body
    assert "Won't do, skipped" in body and "No due date" in body
    assert "@ana" not in body  # mentions neutralised
    second_version = DOCUMENT.replace("Page the on-call on replica lag | Zed Unknown |  |",
                                      "Page the on-call on replica lag | Bob Stone | 2025-05-02 |")
    gh.put_file("pm-db", PATH, second_version.encode())
    again = preview_pull(settings, "acme/ops", pull.number)
    assert again.action == "edited"
    same = preview_pull(settings, "acme/ops", pull.number)
    assert same.action == "same"
    comments = pull_comments(gh, pull.number)
    assert len(comments) == 1 and "Zed Unknown" not in comments[0] and "Bob Stone" in comments[0]
    assert tickets(gh) == 0
    assert gh.count("POST", r"/issues$") == 0 and gh.count("PUT", r"/contents/") == 0


def item_lines(text: str) -> set[int]:
    marks = ("disk usage alert", "WAL archive", "failover", "replica lag", "| Action")
    return {n for n, line in enumerate(text.splitlines()) if any(m in line for m in marks)}


def test_approval_writes_every_link_once_and_keeps_formatting(gh: GitHubStandIn, settings: Settings) -> None:
    result = approve(settings, gh, DOCUMENT.encode())
    keys = {row.ticket for row in result.items if row.ticket}
    assert len(keys) == 4 and tickets(gh) == 4
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and set(outcome.written) == keys
    written = gh.file("main", PATH).decode()
    for key in keys:
        assert len(re.findall(rf"/issues/{key.rsplit('#', 1)[1]}(?!\d)", written)) == 1, key
    before, after = DOCUMENT.splitlines(keepends=True), written.splitlines(keepends=True)
    assert len(before) == len(after)
    for n, (old, new) in enumerate(zip(before, after, strict=True)):
        if n not in item_lines(DOCUMENT):
            assert old == new, n  # byte-identical outside the items' own lines
    assert gh.count("PUT", r"/contents/") == 1
    # A second run writes nothing.
    rerun = write_back_postmortem(settings, result.postmortem_key)
    assert rerun is not None and rerun.status == "unchanged"
    assert gh.count("PUT", r"/contents/") == 1 and gh.file("main", PATH).decode() == written


def test_own_edit_triggers_no_new_ticket(gh: GitHubStandIn, settings: Settings) -> None:
    first = approve(settings, gh, DOCUMENT.encode())
    write_back_postmortem(settings, first.postmortem_key)
    own = gh.file("main", PATH)
    gh.reset_calls()
    again = approve(settings, gh, own)  # the sweep or a hook ingests the product's own commit
    assert again.postmortem_key == first.postmortem_key
    assert {row.fingerprint: row.ticket for row in again.items} == \
        {row.fingerprint: row.ticket for row in first.items}
    assert gh.count("POST", r"/issues$") == 0 and gh.count("PATCH", r"/issues/\d+$") == 0
    assert tickets(gh) == 4


def test_concurrent_human_edit_is_kept(gh: GitHubStandIn, settings: Settings) -> None:
    result = approve(settings, gh, DOCUMENT.encode())
    human = DOCUMENT.replace("Disks fill up.", "Disks fill up, and alerts must page.")
    gh.before_contents_put = lambda: gh.put_file("main", PATH, human.encode(), message="a person")
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and outcome.attempts == 2
    final = gh.file("main", PATH).decode()
    assert "Disks fill up, and alerts must page." in final
    assert len(outcome.written) == 4
    assert all(re.search(rf"/issues/{k.rsplit('#', 1)[1]}(?!\d)", final) for k in outcome.written)
    assert gh.count("PUT", r"/contents/") == 2  # the 409 and the write on the person's text


def test_conflict_every_time_leaves_a_comment(gh: GitHubStandIn, settings: Settings) -> None:
    result = approve(settings, gh, DOCUMENT.encode())
    edits = iter(range(100))

    def person() -> None:
        gh.put_file("main", PATH, (DOCUMENT + f"\nEdit {next(edits)}\n").encode(), message="a person")
        gh.before_contents_put = person  # keeps editing: every guarded write goes stale

    gh.before_contents_put = person
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "commented" and "changed" in outcome.reason
    assert outcome.attempts == 3
    final = gh.file("main", PATH).decode()
    assert final.endswith("Edit 2\n") and "/issues/" not in final  # the person's text, untouched
    comments = [body for bodies in gh.commit_comments.values() for body in bodies]
    assert len(comments) == 1 and comments[0].count("/issues/") == 4


TABLE_ONLY = (
    "# Cache outage on 2025-03-02\n\n**Postmortem owner:** Ana Lima\n\n## Action items\n\n"
    "- [ ] Add a cache hit-rate alert (owner: Ana Lima, due 2025-04-01)\n\n"
    "| Action | Owner | Due |\n|---|---|---|\n"
    "| Write the cache warm-up runbook | Ana Lima | 2025-05-01 |\n"
)


def test_ticket_column_added_and_closed_item_ticked(gh: GitHubStandIn, tmp_path: Path) -> None:
    settings = github_settings(f"sqlite:///{tmp_path / 'ft.db'}", gh.url,
                               team_contract={"add_column": True, "done_marker": "checkbox"})
    result = approve(settings, gh, TABLE_ONLY.encode())
    assert write_back_postmortem(settings, result.postmortem_key) is not None
    text = gh.file("main", PATH).decode()
    assert "| Action | Owner | Due | Ticket |\n|---|---|---|---|\n" in text
    row = r"\| Write the cache warm-up runbook \| Ana Lima \| 2025-05-01 \| http\S+/issues/\d+ \|"
    assert re.search(row, text)
    alert = next(row for row in result.items if row.title.startswith("Add a cache"))
    assert alert.ticket is not None
    gh.close_issue(int(alert.ticket.rsplit("#", 1)[1]))
    pipeline.sync(settings, result.postmortem_key, throttle=NoThrottle())  # reads the closed state
    ticked = write_back_postmortem(settings, result.postmortem_key)
    assert ticked is not None and ticked.status == "written" and ticked.written == (alert.ticket,)
    final = gh.file("main", PATH).decode()
    assert final.startswith(text.split("- [ ]")[0]) and "- [x] Add a cache hit-rate alert" in final
    assert final.replace("- [x]", "- [ ]") == text


def test_pull_mode_proposes_the_links_once(gh: GitHubStandIn, tmp_path: Path) -> None:
    settings = github_settings(f"sqlite:///{tmp_path / 'ft.db'}", gh.url, write_mode="pull")
    result = approve(settings, gh, DOCUMENT.encode())
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and len(outcome.written) == 4
    assert gh.file("main", PATH).decode() == DOCUMENT  # the postmortem branch is not written
    (pull,) = [p for p in gh.open_pulls.values() if p.head_ref.startswith("followthrough/links/")]
    proposed = gh.file(pull.head_ref, PATH).decode()
    assert proposed.count("/issues/") == 4
    again = write_back_postmortem(settings, result.postmortem_key)  # our pull request is still open
    assert again is not None and again.status == "unchanged"
    assert gh.count("PUT", r"/contents/") == 1 and gh.count("POST", r"/pulls$") == 1
    gh.merge_pull(pull.number)
    merged = approve(settings, gh, gh.file("main", PATH))  # the merge is ingested: no new ticket
    assert tickets(gh) == 4 and {r.ticket for r in merged.items} == {r.ticket for r in result.items}
    after = write_back_postmortem(settings, result.postmortem_key)
    assert after is not None and after.status == "unchanged" and gh.count("POST", r"/pulls$") == 1


def test_check_run_preview_neutral_then_green(gh: GitHubStandIn, tmp_path: Path) -> None:
    settings = github_settings(f"sqlite:///{tmp_path / 'ft.db'}", gh.url, preview_as="check_run")
    head = gh.put_file("pm-db", PATH, DOCUMENT.encode())
    pull = gh.add_pull(head_ref="pm-db", files=[(PATH, "added")])
    assert preview_pull(settings, "acme/ops", pull.number).action == "created"
    assert preview_pull(settings, "acme/ops", pull.number).action == "edited"  # the same commit again
    (run,) = [r for r in gh.check_runs.values() if r["head_sha"] == head]
    assert run["conclusion"] == "neutral" and "needs an owner" in run["output"]["text"]
    clean = "\n".join(line for line in DOCUMENT.splitlines()
                      if "replica lag" not in line and "won't do" not in line) + "\n"
    newer = gh.put_file("pm-db", PATH, clean.encode())
    assert preview_pull(settings, "acme/ops", pull.number).action == "created"  # one per head commit
    (green,) = [r for r in gh.check_runs.values() if r["head_sha"] == newer]
    assert green["conclusion"] == "success", green["output"]["text"]
    assert comments_count(gh, pull.number) == 0 and tickets(gh) == 0


def comments_count(gh: GitHubStandIn, number: int) -> int:
    return len(pull_comments(gh, number))


def test_preview_names_duplicates_and_skipped_items(gh: GitHubStandIn, settings: Settings) -> None:
    document = ("# Cache outage\n\nOwner: Ana Lima\n\n## Action items\n\n"
                "- [ ] Add a cache hit-rate alert (due 2025-01-01)\n"
                "- [x] Restart the cache fleet\n\n"
                "| Action | Owner | Due |\n|---|---|---|\n"
                "| Add a cache hit-rate alert | Ana Lima | 2025-01-01 |\n")
    gh.put_file("pm-cache", PATH, document.encode())
    pull = gh.add_pull(head_ref="pm-cache", files=[(PATH, "modified")])
    posted = preview_pull(settings, "acme/ops", pull.number)
    (_, preview), = posted.previews
    assert [item.title for item in preview.items] == ["Add a cache hit-rate alert", "Restart the cache fleet"]
    assert preview.items[1].outcome == "skipped: done in the document" and preview.items[1].owner == "n/a"
    duplicate = "Duplicates merged: 'Add a cache hit-rate alert' is written 2 times; one ticket."
    assert preview.problems == (duplicate,)
    assert "Duplicates merged" in pull_comments(gh, pull.number)[0] and tickets(gh) == 0


def test_a_file_gone_from_the_branch_is_reported_not_retried(gh: GitHubStandIn, settings: Settings) -> None:
    result = approve(settings, gh, DOCUMENT.encode())
    with gh.lock:
        del gh.contents_by_ref["main"][PATH]
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "failed" and "not found" in outcome.reason
    assert gh.count("PUT", r"/contents/") == 0
