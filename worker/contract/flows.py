"""The contract's entry points per source: keep a review's one preview current, write links back.

GitLab and Notion have theirs in worker.contract.source_flows.
`preview_pull` (GitHub: an open pull request touching configured postmortem paths) and `preview_jira`
(a review issue in its review status) build the preview from a dry-run plan, so no ticket exists before
approval, and edit the one preview comment in place. `write_back_postmortem` runs after a sync and puts
each tracked item's ticket link into the postmortem through the source's guarded writer. Each is a no-op
unless the source and the postmortem's team both turn the feature on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from config.settings import Settings
from config.sources import GitHubSource
from connectors.contract_confluence import storage_paragraphs
from connectors.contract_github import GitHubFileWriter, GitHubPullWriter, GitHubReview
from connectors.contract_jira import JiraReview
from connectors.errors import AuthError, Conflict, Invalid, NotFound
from connectors.revision import Revision
from connectors.sources import GitHubFile, JiraIssue, parse_source, stable_id
from connectors.sources.github import GitHubReader
from connectors.tracker import TicketStatus
from worker.contract import render
from worker.contract.lines import Dialect
from worker.contract.planned import preview_one, previews_of
from worker.contract.planned import team_allows as _team_allows
from worker.contract.preview import Preview
from worker.contract.source_flows import vendor_writer
from worker.contract.storage import storage_links
from worker.contract.writeback import DocumentWriter, Tracked, WriteBack, write_back
from worker.models import ActionItem
from worker.sync import pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PreviewPosted:
    action: str  # "created", "edited", "same", or "off: <why>"
    previews: tuple[tuple[str, Preview], ...] = ()
    body: str = ""


def preview_pull(settings: Settings, repo: str, number: int) -> PreviewPosted:
    """Post or edit the one preview comment of an open pull request; creates no ticket."""
    source = settings.sources.github
    if source is None or not source.contract.preview or not source.has_repo(repo):
        return PreviewPosted("off: previews are not enabled for this repository")
    review = GitHubReview(settings, source.repo)
    pull = review.open_pull(number)
    reader = GitHubReader(settings)
    previews = previews_of(settings, pull.paths, covers=source.covers,
                           ref_for=lambda path: GitHubFile(source.repo, pull.head_sha, path),
                           fetch=reader.fetch, team=source.team)
    if not previews:
        return PreviewPosted("off: no postmortem of a team with previews on")
    body = render.markdown(previews)
    if source.contract.preview_as == "check_run":
        summary = render.summary_line([p for _, p in previews])
        action = review.upsert_check_run(pull.head_sha, render.CHECK_NAME, "Followthrough preview", summary,
                                         body, attention=any(p.attention for _, p in previews))
        return PreviewPosted(action, tuple(previews), body)
    return PreviewPosted(review.upsert_comment(number, body, render.GITHUB_MARKER), tuple(previews), body)


def preview_jira(settings: Settings, key: str) -> PreviewPosted:
    """Post or edit the one preview comment of a Jira review issue while it is in the review status."""
    source = settings.sources.jira
    if source is None or not source.contract.preview or not source.covers(key):
        return PreviewPosted("off: previews are not enabled for this project")
    review = JiraReview(settings, key)
    status, revision = review.state()
    if status.casefold() != source.contract.review_status.casefold():
        return PreviewPosted("off: the issue is not in the review status")
    content = revision.text.encode("utf-8")
    ref = JiraIssue(key)
    preview = preview_one(settings, content, source=str(ref), identity=stable_id(ref), team=source.team,
                           filename=f"{key}.jira")
    if preview is None:
        return PreviewPosted("off: the team has previews off")
    previews = ((key, preview),)
    body = render.jira_wiki(previews)
    return PreviewPosted(review.upsert_comment(body, render.JIRA_MARKER), previews, body)


def _github_writer(settings: Settings, source: GitHubSource, ref: GitHubFile) -> DocumentWriter:
    branch = source.branch or GitHubReader(settings).default_branch(source.repo)
    if source.contract.write_mode == "pull":
        work = f"followthrough/links/{stable_key(ref)}"
        return GitHubPullWriter(settings, source.repo, ref.path, branch, work)
    return GitHubFileWriter(settings, source.repo, ref.path, branch)


def stable_key(ref: GitHubFile) -> str:
    """Our branch's name part for one postmortem file: the postmortem key of its stable id."""
    return pipeline.postmortem_key(stable_id(ref))


def _writer(settings: Settings, source_text: str) -> tuple[DocumentWriter, int, str | None] | None:
    """The source's writer, its attempt bound and the file name; None where write-back is off."""
    ref = parse_source(source_text)
    vendor = vendor_writer(settings, ref)  # GitLab files and Notion pages
    if vendor is not None:
        return vendor
    github, jira = settings.sources.github, settings.sources.jira
    if isinstance(ref, GitHubFile) and github is not None and github.contract.write_back \
            and github.has_repo(ref.repo) and github.covers(ref.path):
        return _github_writer(settings, github, ref), github.contract.max_attempts, ref.path
    if isinstance(ref, JiraIssue) and jira is not None and jira.contract.write_back and jira.covers(ref.key):
        review = JiraReview(settings, ref.key)
        if not jira.contract.edit_description:  # one "attempt" that conflicts: the links go in a comment
            return _CommentOnly(review), 1, f"{ref.key}.jira"
        return review, jira.contract.max_attempts, f"{ref.key}.jira"
    return None


class _CommentOnly:
    """A Jira review whose description may not be edited: every write becomes the comment fallback."""

    def __init__(self, review: JiraReview) -> None:
        self._review = review

    def read(self) -> Revision:
        return self._review.read()

    def write(self, text: str, base: Revision, message: str) -> None:
        raise Conflict("editing the description is not allowed here")

    def comment(self, text: str, base: Revision) -> None:
        self._review.comment(text, base)


def write_back_wanted(settings: Settings) -> bool:
    """Whether any source has write-back on (the sync task queues a write-back only then)."""
    found = settings.sources
    sources = (found.github, found.jira, found.gitlab, found.notion, found.confluence, found.gdocs)
    return any(source is not None and source.contract.write_back for source in sources)


def notion_previews(settings: Settings) -> bool:
    """Whether Notion pages get review previews (an edited page that is not approved queues one)."""
    return settings.sources.notion is not None and settings.sources.notion.contract.preview


def done_marks_due(settings: Settings, team: str | None = None) -> list[str]:
    """Postmortems whose team marks closed tickets' items done and that hold a closed ticket (after a
    status refresh these get a write-back, which writes nothing when every mark is there already)."""
    if not write_back_wanted(settings):
        return []
    store = pipeline.existing_store(settings)
    if store is None:
        return []
    keys = []
    for name, options in settings.teams.items():
        if (team is not None and name != team) or not (options.contract.write_back
                                                       and options.contract.done_marker):
            continue
        keys += [record.key for record in store.list_postmortems(team=name)
                 if any(row.status == TicketStatus.DONE for row in store.items(record.key))]
    return keys


def write_back_postmortem(settings: Settings, postmortem_key: str) -> WriteBack | None:
    """Write each tracked item's ticket link into the postmortem; None when write-back is off for it."""
    store = pipeline.open_store(settings)
    record = store.get_postmortem(postmortem_key)
    if record is None or not _team_allows(settings, record.team, "write_back"):
        return None
    found = _writer(settings, record.source)
    if found is None:
        return None
    writer, attempts, filename = found
    tickets = {
        row.item.fingerprint: Tracked(row.ticket_key, row.ticket_url or "",
                                      closed=row.status == TicketStatus.DONE)
        for row in store.items(postmortem_key)
        if row.ticket_key and row.removed_at is None
    }
    if not tickets:
        return WriteBack("unchanged", (), 0)
    team = settings.team(record.team)
    assert team is not None  # _team_allows saw it

    def parse(text: str) -> list[ActionItem]:
        parsed = pipeline.parse_with_limits(settings, text.encode("utf-8"), filename=filename,
                                            identity=record.identity)
        return list(parsed.action_items)

    dialect = Dialect.WIKI if (filename or "").endswith((".jira", ".wiki")) else Dialect.MARKDOWN
    storage = (filename or "").endswith(".xhtml")  # Confluence: edited as XML, the comment in storage
    try:
        result = write_back(writer, parse, tickets, dialect, max_attempts=attempts,
                            add_column=team.contract.add_column, done_marker=team.contract.done_marker,
                            editor=storage_links if storage else None,
                            render_comment=storage_paragraphs if storage else lambda text: text)
    except (NotFound, AuthError, Invalid) as exc:
        # The file or issue is gone, or we may not write it: retrying will not help; say why, once.
        log.warning("write-back of %s: not written: %s", postmortem_key, exc)
        return WriteBack("failed", (), 0, reason=str(exc))
    log.info("write-back of %s: %s %s (%d attempts)%s", postmortem_key, result.status,
             ",".join(result.written) or "-", result.attempts, f": {result.reason}" if result.reason else "")
    return result
