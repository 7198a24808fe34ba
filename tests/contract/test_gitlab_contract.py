"""The postmortem as the contract on GitLab: one merge-request note per review, links written back after.

python-gitlab against the GitLab stand-in (MR notes listed, posted and edited; the files API's PUT with
`last_commit_id`, 400 when the file changed since), tickets in the GitHub stand-in, a real store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from config.settings import Settings
from config.teams import GitHubDestination, Team
from connectors.sources import GitLabFile, stable_id
from connectors.throttle import NoThrottle
from tests.contract.support import DOCUMENT, GITHUB_PEOPLE, PATH
from tests.standins.github import GitHubStandIn
from tests.standins.gitlab import GitLabStandIn
from tests.sync.support import settings_for
from worker.contract import render
from worker.contract.flows import write_back_postmortem
from worker.contract.source_flows import preview_gitlab
from worker.sync import pipeline
from worker.sync.pipeline import SyncResult

PROJECT = "acme/sre/postmortems"


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana", "bob"}) as standin:
        yield standin


@pytest.fixture
def gl() -> Iterator[GitLabStandIn]:
    with GitLabStandIn(project=PROJECT) as standin:
        standin.commit("main", {"README.md": b"readme\n"})
        yield standin


def make_settings(gh: GitHubStandIn, gl: GitLabStandIn, tmp_path: Path, *, on: bool = True,
                  **contract: Any) -> Settings:
    return settings_for(
        f"sqlite:///{tmp_path / 'ft.db'}", github_token=SecretStr("test-token"), github_api_url=gh.url,
        gitlab_token=SecretStr(gl.token), gitlab_url=gl.url,
        teams={"web": Team(tracker="github", github=GitHubDestination(repo="acme/ops"),
                           contract={"preview": on, "write_back": on})},  # type: ignore[arg-type]
        default_team="web", people=GITHUB_PEOPLE,
        sources={"gitlab": {"project": PROJECT, "path": "postmortems/", "branch": "main",
                            "contract": {"preview": on, "write_back": on, **contract}}},
    )


@pytest.fixture
def settings(gh: GitHubStandIn, gl: GitLabStandIn, tmp_path: Path) -> Settings:
    return make_settings(gh, gl, tmp_path)


def files(gl: GitLabStandIn, branch: str = "main") -> dict[str, bytes]:
    return dict(gl.commits[gl.branches[branch]].files)


def approve(settings: Settings, gl: GitLabStandIn, content: bytes) -> SyncResult:
    """The file lands on main and is ingested and synced as the merge hook's change task would."""
    sha = gl.commit("main", {**files(gl), PATH: content})
    ref = GitLabFile(PROJECT, sha, PATH)
    ingested = pipeline.ingest(settings, content=content, source=str(ref), postmortem_id=stable_id(ref),
                               filename=PATH.rsplit("/", 1)[-1])
    return pipeline.sync(settings, ingested.postmortem_key, throttle=NoThrottle())


def tickets(gh: GitHubStandIn) -> int:
    with gh.lock:
        return sum(1 for issue in gh.issues.values() if not issue.is_pull_request)


def open_review(gl: GitLabStandIn, content: bytes) -> int:
    gl.branches["pm-db"] = gl.branches["main"]
    sha = gl.commit("pm-db", {**files(gl), PATH: content})
    iid = max(gl.merge_requests, default=0) + 1
    gl.merge_requests[iid] = {"state": "opened", "target_branch": "main", "source_branch": "pm-db",
                              "sha": sha, "files": [(PATH, "added"), ("README.md", "modified")]}
    return iid


def notes(gl: GitLabStandIn, iid: int) -> list[str]:
    return [note["body"] for note in gl.mr_notes.get(iid, [])]


def test_one_preview_note_edited_in_place_and_no_ticket(gh: GitHubStandIn, gl: GitLabStandIn,
                                                        settings: Settings) -> None:
    iid = open_review(gl, DOCUMENT.encode())
    gl.add_note(iid, "Looks good to me", {"id": 7, "username": "ana"})
    action, previews, body = preview_gitlab(settings, PROJECT, iid)
    assert action == "created" and len(previews) == 1 and body.startswith(render.GITHUB_MARKER)
    (_, ours) = notes(gl, iid)
    assert render.GITHUB_MARKER in ours and "needs an owner" in ours and "Won't do, skipped" in ours
    assert "@ana" not in ours  # mentions neutralised
    second = DOCUMENT.replace("Page the on-call on replica lag | Zed Unknown |  |",
                              "Page the on-call on replica lag | Bob Stone | 2025-05-02 |")
    gl.merge_requests[iid]["sha"] = gl.commit("pm-db", {**files(gl, "pm-db"), PATH: second.encode()})
    assert preview_gitlab(settings, PROJECT, iid)[0] == "edited"
    assert preview_gitlab(settings, PROJECT, iid)[0] == "same"
    bodies = notes(gl, iid)
    assert len(bodies) == 2 and bodies[0] == "Looks good to me" and "Zed Unknown" not in bodies[1]
    assert tickets(gh) == 0 and gl.count("PUT", r"/repository/files/") == 0
    assert gl.count("POST", r"/notes$") == 1 and gl.count("PUT", r"/notes/\d+$") == 1


def test_previews_off_by_default(gh: GitHubStandIn, gl: GitLabStandIn, tmp_path: Path) -> None:
    settings = make_settings(gh, gl, tmp_path, on=False)
    iid = open_review(gl, DOCUMENT.encode())
    assert preview_gitlab(settings, PROJECT, iid)[0].startswith("off:")
    result = approve(settings, gl, DOCUMENT.encode())
    assert write_back_postmortem(settings, result.postmortem_key) is None
    assert notes(gl, iid) == [] and gl.count("PUT", r"/repository/files/") == 0


def item_lines(text: str) -> set[int]:
    marks = ("disk usage alert", "WAL archive", "failover", "replica lag", "| Action")
    return {n for n, line in enumerate(text.splitlines()) if any(m in line for m in marks)}


def test_approval_writes_every_link_once_and_keeps_formatting(gh: GitHubStandIn, gl: GitLabStandIn,
                                                              settings: Settings) -> None:
    result = approve(settings, gl, DOCUMENT.encode())
    keys = {row.ticket for row in result.items if row.ticket}
    assert len(keys) == 4 and tickets(gh) == 4
    gl.reset_calls()
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and set(outcome.written) == keys
    written = gl.file("main", PATH).decode()
    for key in keys:
        assert len(re.findall(rf"/issues/{key.rsplit('#', 1)[1]}(?!\d)", written)) == 1, key
    before, after = DOCUMENT.splitlines(keepends=True), written.splitlines(keepends=True)
    assert len(before) == len(after)
    for n, (old, new) in enumerate(zip(before, after, strict=True)):
        if n not in item_lines(DOCUMENT):
            assert old == new, n  # byte-identical outside the items' own lines
    assert files(gl)["README.md"] == b"readme\n"
    calls = len(gl.calls)  # the branch's default (configured: none), the file read, the guarded PUT
    assert gl.count("PUT", r"/repository/files/") == 1 and calls == 2
    rerun = write_back_postmortem(settings, result.postmortem_key)  # a second run writes nothing
    assert rerun is not None and rerun.status == "unchanged"
    assert gl.count("PUT", r"/repository/files/") == 1 and gl.file("main", PATH).decode() == written


def test_own_edit_triggers_no_new_ticket(gh: GitHubStandIn, gl: GitLabStandIn, settings: Settings) -> None:
    first = approve(settings, gl, DOCUMENT.encode())
    write_back_postmortem(settings, first.postmortem_key)
    own = gl.file("main", PATH)
    gh.reset_calls()
    again = approve(settings, gl, own)  # the push hook or the sweep ingests the product's own commit
    assert again.postmortem_key == first.postmortem_key
    assert {r.fingerprint: r.ticket for r in again.items} == {r.fingerprint: r.ticket for r in first.items}
    assert gh.count("POST", r"/issues$") == 0 and gh.count("PATCH", r"/issues/\d+$") == 0
    assert tickets(gh) == 4


def test_concurrent_human_edit_is_kept(gh: GitHubStandIn, gl: GitLabStandIn, settings: Settings) -> None:
    result = approve(settings, gl, DOCUMENT.encode())
    human = DOCUMENT.replace("Disks fill up.", "Disks fill up, and alerts must page.")
    gl.before_files_put = lambda: gl.commit("main", {**files(gl), PATH: human.encode()})
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and outcome.attempts == 2
    final = gl.file("main", PATH).decode()
    assert "Disks fill up, and alerts must page." in final and len(outcome.written) == 4
    assert all(re.search(rf"/issues/{k.rsplit('#', 1)[1]}(?!\d)", final) for k in outcome.written)
    assert gl.count("PUT", r"/repository/files/") == 2  # the stale 400 and the write on the person's text


def test_conflict_every_time_leaves_a_comment(gh: GitHubStandIn, gl: GitLabStandIn,
                                              settings: Settings) -> None:
    result = approve(settings, gl, DOCUMENT.encode())
    edits = iter(range(100))

    def person() -> None:
        gl.commit("main", {**files(gl), PATH: (DOCUMENT + f"\nEdit {next(edits)}\n").encode()})
        gl.before_files_put = person  # keeps editing: every guarded write goes stale

    gl.before_files_put = person
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "commented" and "changed" in outcome.reason
    assert outcome.attempts == 3
    final = gl.file("main", PATH).decode()
    assert final.endswith("Edit 2\n") and "/issues/" not in final  # the person's text, untouched
    comments = [body for bodies in gl.commit_comments.values() for body in bodies]
    assert len(comments) == 1 and comments[0].count("/issues/") == 4


def test_merge_request_mode_proposes_the_links_once(gh: GitHubStandIn, gl: GitLabStandIn,
                                                    tmp_path: Path) -> None:
    settings = make_settings(gh, gl, tmp_path, write_mode="pull")
    result = approve(settings, gl, DOCUMENT.encode())
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and len(outcome.written) == 4
    assert gl.file("main", PATH).decode() == DOCUMENT  # the postmortem branch is not written
    (proposal,) = [mr for mr in gl.merge_requests.values()
                   if str(mr.get("source_branch", "")).startswith("followthrough/links/")]
    assert gl.file(proposal["source_branch"], PATH).decode().count("/issues/") == 4
    again = write_back_postmortem(settings, result.postmortem_key)  # our merge request is still open
    assert again is not None and again.status == "unchanged"
    assert gl.count("PUT", r"/repository/files/") == 1 and gl.count("POST", r"/merge_requests$") == 1
