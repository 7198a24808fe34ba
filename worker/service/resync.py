"""Manual resync: re-read stored postmortems from their sources and reconcile their tickets again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from config.settings import Settings
from connectors.errors import TrackerError
from connectors.factory import tracker_configured
from connectors.sources import (
    BadSource,
    ConfluencePage,
    GitHubFile,
    GitLabFile,
    InlineSource,
    at_head,
    parse_source,
)
from connectors.sources.github import GitHubReader
from connectors.sources.gitlab import GitLabReader
from connectors.throttle import WriteThrottle
from worker.errors import UserError
from worker.service.fetch import fetch_document
from worker.sync import pipeline
from worker.sync.execute import SyncResult

#: Item results that need a person's attention; resync names the item and ticket behind each.
PROBLEM_RESULTS = ("conflict", "missing", "failed", "pending")


@dataclass(frozen=True, slots=True)
class ResyncOutcome:
    """What resyncing one postmortem did; `error` is a one-line reason when it failed."""

    postmortem_key: str
    title: str | None
    changed: bool = False
    counts: dict[str, int] | None = None
    error: str | None = None
    #: Only planned: asked for (--dry-run), or no credentials for the team's tracker (`dry_run_reason`).
    dry_run: bool = False
    dry_run_reason: str = ""
    #: One line per item that needs attention: `TICKET "title": result (reason)`.
    problems: tuple[str, ...] = ()
    needs_owner: int = 0
    #: Some items failed or wait for a retry.
    failed: bool = False


def select(settings: Settings, ids: Sequence[str], *, every: bool) -> list[Any]:
    """The stored postmortems named by key or id (or all of them); an unknown name is a UserError."""
    records = list(pipeline.list_postmortems(settings))
    if every:
        return records
    if not ids:
        raise UserError("name at least one postmortem ID, or use --all")
    chosen: list[Any] = []
    for wanted in ids:
        match = [r for r in records if wanted in (str(r.key), str(getattr(r, "identity", "")))]
        if not match:
            raise UserError(f"no stored postmortem has key or id {wanted!r}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def _record(settings: Settings, postmortem_key: str) -> Any:
    # One lookup by key: `resync --all` asks for each postmortem in turn.
    store = pipeline.existing_store(settings)
    record = store.get_postmortem(postmortem_key) if store is not None else None
    if record is None:
        raise UserError(f"no stored postmortem has key {postmortem_key!r}")
    return record


def reingest(settings: Settings, postmortem_key: str, *, local_files: bool = False) -> pipeline.IngestResult:
    """Fetch the postmortem's current text from its source and ingest it (a no-op when unchanged)."""
    record = _record(settings, postmortem_key)
    content, filename, source = fetch_current(settings, record, postmortem_key, local_files=local_files)
    return pipeline.ingest(
        settings, content=content, source=source,
        postmortem_id=str(getattr(record, "identity", "") or postmortem_key),
        title=getattr(record, "title", None), team=getattr(record, "team", None), filename=filename,
    )


def fetch_current(settings: Settings, record: Any, postmortem_key: str, *,
                  local_files: bool = False) -> tuple[bytes, str | None, str]:
    """The postmortem's current text from its source: (content, file name, source to record)."""
    try:
        ref = parse_source(str(record.source))
    except BadSource as exc:
        raise UserError(str(exc)) from None
    if isinstance(ref, InlineSource):
        # Pushed by a webhook with inline content: the stored copy is the only one there is.
        content = pipeline.load_content(settings, postmortem_key)
        filename = None
    else:
        if isinstance(ref, GitHubFile):
            # Recorded at the commit that merged it; resync reads what the branch holds now.
            source = settings.sources.github
            branch = source.branch if source is not None and source.branch else None
            ref = at_head(ref, branch or GitHubReader(settings).default_branch(ref.repo))
        elif isinstance(ref, GitLabFile):
            ref = _gitlab_head(settings, ref)
        document = fetch_document(settings, ref, local_files=local_files)
        content, filename = document.content, document.filename
        if isinstance(ref, ConfluencePage):
            ref = document.source  # the page version just read
    return content, filename, str(record.source) if isinstance(ref, InlineSource) else str(ref)


def _gitlab_head(settings: Settings, ref: GitLabFile) -> GitLabFile:
    """The same GitLab file pinned to the postmortem branch's head commit (what resync re-reads)."""
    source = settings.sources.gitlab
    reader = GitLabReader(settings)
    branch = source.branch if source is not None and source.branch else reader.default_branch(ref.project)
    return GitLabFile(ref.project, reader.branch_head(ref.project, branch), ref.path)


def problems(result: SyncResult) -> tuple[str, ...]:
    """One line per item needing attention, naming its ticket and title."""
    return tuple(
        f"{item.ticket or 'no ticket'} \"{item.title}\": {item.result}"
        + (f" ({item.reason})" if item.reason else "")
        for item in result.items
        if item.result in PROBLEM_RESULTS
    )


def _plan(settings: Settings, postmortem_key: str, throttle: WriteThrottle | None, *,
          local_files: bool = False) -> tuple[bool, SyncResult]:
    """Fetch the current text and preview its sync, writing nothing; (changed, plan)."""
    record = _record(settings, postmortem_key)
    content, filename, source = fetch_current(settings, record, postmortem_key, local_files=local_files)
    plan = pipeline.preview(
        settings, content=content, source=source, team=getattr(record, "team", None), filename=filename,
        postmortem_id=str(getattr(record, "identity", "") or postmortem_key), throttle=throttle,
    )
    return hashlib.sha256(content).hexdigest() != getattr(record, "content_hash", None), plan


def plans_only(settings: Settings, postmortem_key: str) -> bool:
    """Whether a resync of this postmortem can only plan: its team's tracker has no credentials."""
    record = _record(settings, postmortem_key)
    team = settings.team(getattr(record, "team", None))
    return team is not None and not tracker_configured(settings, team)


def resync_one(settings: Settings, postmortem_key: str, *, throttle: WriteThrottle | None = None,
               title: str | None = None, dry_run: bool = False, local_files: bool = False) -> ResyncOutcome:
    """Re-ingest and sync one postmortem in this process; failures are reported, not raised.

    A dry run, or a team whose tracker has no credentials, only plans: nothing is stored or written.
    """
    try:
        if dry_run or plans_only(settings, postmortem_key):
            changed, synced = _plan(settings, postmortem_key, throttle, local_files=local_files)
        else:
            ingested = reingest(settings, postmortem_key, local_files=local_files)
            changed = ingested.changed
            synced = pipeline.sync(settings, ingested.postmortem_key, throttle=throttle)
    except (UserError, TrackerError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return ResyncOutcome(postmortem_key, title, error=first)
    error = None
    if synced.retry_error is not None:
        error = f"{type(synced.retry_error).__name__}: {synced.retry_error} (run resync again later)"
    return ResyncOutcome(
        postmortem_key, title, changed=changed, counts=synced.counts(), error=error, dry_run=synced.dry_run,
        dry_run_reason=synced.dry_run_reason, problems=problems(synced), failed=synced.failed,
        needs_owner=synced.needs_owner(),
    )


def resync_many(
    settings: Settings,
    keys: Iterable[tuple[str, str | None]],
    *,
    throttle: WriteThrottle | None = None,
    dry_run: bool = False,
    on_done: Callable[[ResyncOutcome], None] = lambda outcome: None,
    local_files: bool = False,
) -> list[ResyncOutcome]:
    """Resync (key, title) pairs one after another, calling `on_done` after each."""
    outcomes = []
    for key, title in keys:
        outcome = resync_one(settings, key, throttle=throttle, title=title, dry_run=dry_run,
                             local_files=local_files)
        on_done(outcome)
        outcomes.append(outcome)
    return outcomes
