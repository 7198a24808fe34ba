"""The reconciliation sweep: approved postmortems in the configured sources that were never ingested.

GitHub does not redeliver a failed webhook and a receiver can be down, so beat runs this on a schedule.
A file counts as ingested when the store knows a postmortem from the same repository path (at any
commit); a Jira review when the store knows its issue key. A document the parser refused (recorded in the
store's parse failures) counts as seen too: it is retried when it changes (webhook) or on `resync`.
Changed documents are the webhooks' and `followthrough resync`'s job, so the sweep costs one tree read
and one paged search, not a fetch per file.
Notion and GitLab (each in its own try): approved Notion pages never ingested or edited since the stored
`last_edited_time` (one paged database query per data source); GitLab files never ingested, or changed
since the commit they were read at (one tree read, one compare per older commit), and closed incidents.
Confluence and Google Docs (each in its own try) have no dependable approval event, so their sweeps poll
through a cursor kept in the store and queue edited documents too (worker/service/poll_confluence.py,
poll_gdocs.py).
It also re-queues the sync of postmortems whose sync never completed (a worker killed outright leaves its
message unacknowledged until Redis's visibility timeout, two hours by default), and publishes again the
webhook deliveries in the outbox whose task never finished. Both wait `sweep_grace_minutes` first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from config.settings import Settings
from connectors.errors import TrackerError
from connectors.sources import BadSource, GitHubFile, GitLabFile, JiraIssue, parse_source
from connectors.sources.github import GitHubReader
from connectors.sources.gitlab import GitLabReader
from connectors.sources.jira import JiraReader
from connectors.sources.notion import NotionReader
from worker.service import poll_confluence, poll_gdocs
from worker.service.enqueue import republish
from worker.service.requests import IngestRequest
from worker.store.outbox import Outbox
from worker.sync import pipeline


def _known(settings: Settings) -> tuple[set[tuple[str, str]], set[str]]:
    files: set[tuple[str, str]] = set()
    issues: set[str] = set()
    # Documents the parser refused count as seen: re-queueing them would fail the same way every sweep.
    failed = [failure.source for failure in pipeline.parse_failures(settings)]
    for source in [str(record.source) for record in pipeline.list_postmortems(settings)] + failed:
        try:
            ref = parse_source(source)
        except BadSource:
            continue
        if isinstance(ref, GitHubFile):
            files.add((ref.repo.lower(), ref.path))
        elif isinstance(ref, JiraIssue):
            issues.add(ref.key)
    return files, issues


def find_unseen(settings: Settings) -> list[IngestRequest]:
    """Ingest requests for every approved postmortem in the configured sources not yet in the store."""
    sources = settings.sources
    unseen = _vendor_unseen(settings) + _document_unseen(settings)
    if sources.github is None and sources.jira is None:
        return unseen
    files, issues = _known(settings)
    if sources.github is not None:
        for ref in GitHubReader(settings).list_postmortems(sources.github):
            if (ref.repo.lower(), ref.path) not in files:
                unseen.append(IngestRequest(source=str(ref), team=sources.github.team))
    if sources.jira is not None:
        for issue in JiraReader(settings).approved(sources.jira):
            if issue.key not in issues:
                unseen.append(IngestRequest(source=str(issue), team=sources.jira.team))
    return unseen


log = logging.getLogger(__name__)


def _vendor_unseen(settings: Settings) -> list[IngestRequest]:
    """Notion and GitLab: each source swept in its own try, so one failing source never stops another."""
    sweeps: list[tuple[str, Callable[[Settings, dict[str, Any]], list[IngestRequest]]]] = []
    if settings.sources.notion is not None:
        sweeps.append(("notion", _notion_unseen))
    if settings.sources.gitlab is not None:
        sweeps.append(("gitlab", _gitlab_unseen))
    if not sweeps:
        return []
    stored = _stored(settings)
    found: list[IngestRequest] = []
    for name, sweep in sweeps:
        try:
            found += sweep(settings, stored)
        except TrackerError as exc:
            log.warning("sweep: the %s source failed (%s: %s); the next sweep tries again",
                        name, type(exc).__name__, exc)
    return found


#: The document sources' sweeps: each polls its source through the cursor it keeps in the store.
DOCUMENT_SWEEPS: dict[str, Callable[[Settings], list[IngestRequest]]] = {
    "confluence": lambda settings: poll_confluence.poll(settings),
    "gdocs": lambda settings: poll_gdocs.poll(settings),
}


def _document_unseen(settings: Settings) -> list[IngestRequest]:
    """Confluence and Google Docs: each swept in its own try, so one failing source never stops another."""
    found: list[IngestRequest] = []
    for name, sweep in DOCUMENT_SWEEPS.items():
        if getattr(settings.sources, name) is None:
            continue
        try:
            found += sweep(settings)
        except TrackerError as exc:
            log.warning("sweep: the %s source failed (%s: %s); the next sweep tries again",
                        name, type(exc).__name__, exc)
    return found


def _stored(settings: Settings) -> dict[str, Any]:
    """Stored source string -> version (None when unknown); refused documents count as seen (no version)."""
    stored: dict[str, Any] = {failure.source: None for failure in pipeline.parse_failures(settings)}
    for record in pipeline.list_postmortems(settings):
        stored[str(record.source)] = _aware(record.version) if record.version is not None else None
    return stored


def _notion_unseen(settings: Settings, stored: dict[str, Any]) -> list[IngestRequest]:
    """Approved pages never ingested, or edited (`last_edited_time`) after the stored version."""
    source = settings.sources.notion
    assert source is not None
    found = []
    for state in NotionReader(settings).approved_pages(source):
        ref = str(state.page)
        if ref not in stored or (stored[ref] is not None and state.last_edited is not None
                                 and state.last_edited > stored[ref]):
            found.append(IngestRequest(source=ref, team=source.team))
    return found


def _gitlab_unseen(settings: Settings, stored: dict[str, Any]) -> list[IngestRequest]:
    """Files on the branch never ingested or changed since the commit they were read at; incidents."""
    source = settings.sources.gitlab
    assert source is not None
    reader = GitLabReader(settings)
    read_at: dict[str, str] = {}  # path -> the commit its stored version was read at
    for text in stored:
        try:
            ref = parse_source(text)
        except BadSource:
            continue
        if isinstance(ref, GitLabFile) and source.has_project(ref.project):
            read_at[ref.path] = ref.ref
    found = []
    heads = reader.list_postmortems(source)
    head = heads[0].ref if heads else None
    changed: set[str] = set()
    for old in {read_at[f.path] for f in heads if f.path in read_at and read_at[f.path] != f.ref}:
        changed.update(reader.changed_paths(source.project, old, str(head)))
    for ref in heads:
        if ref.path not in read_at or (ref.path in changed and read_at[ref.path] != ref.ref):
            found.append(IngestRequest(source=str(ref), team=source.team))
    if source.incidents:
        found += [IngestRequest(source=str(incident), team=source.team)
                  for incident in reader.incidents(source) if str(incident) not in stored]
    return found


def poll_source(settings: Settings, name: str) -> list[IngestRequest]:
    """One document source's sweep alone (a push notification's poll); errors reach the caller."""
    sweep = DOCUMENT_SWEEPS.get(name)
    return sweep(settings) if sweep is not None and getattr(settings.sources, name) is not None else []


#: Re-drives of one outbox row before it is given up as failed (its dedupe key is then released).
MAX_OUTBOX_ATTEMPTS = 5


def grace(settings: Settings) -> timedelta:
    """How long fresh work is left to its own tasks before the sweep queues it again (a setting)."""
    return timedelta(minutes=settings.sweep_grace_minutes)


def unsynced(settings: Settings, *, settle: timedelta | None = None,
             now: datetime | None = None) -> list[str]:
    """Keys of stored postmortems never synced since their last ingest (a sync lost to a crash)."""
    now = now or datetime.now(UTC)
    settle = grace(settings) if settle is None else settle
    stale = []
    for record in pipeline.list_postmortems(settings):
        ingested = _aware(record.ingested_at)
        if now - ingested < settle:
            continue
        if record.synced_at is None or _aware(record.synced_at) < ingested:
            stale.append(str(record.key))
    return stale


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def redrive_outbox(settings: Settings, app: Any, *, now: datetime | None = None) -> int:
    """Publish again every accepted webhook delivery whose task has not finished within the grace period.

    Tasks are idempotent, so a delivery whose first message is merely slow costs one more no-op run.
    A row re-driven MAX_OUTBOX_ATTEMPTS times is marked failed, which frees its dedupe key.
    """
    outbox = Outbox(pipeline.open_store(settings))
    count = 0
    for entry in outbox.unfinished(older_than=grace(settings), now=now):
        if entry.attempts >= MAX_OUTBOX_ATTEMPTS:
            outbox.fail(entry.id, f"not finished after {entry.attempts} attempts", now=now)
            continue
        republish(app, entry)
        outbox.mark_sent(entry.id, now=now)
        count += 1
    # Finished rows are the webhook dedupe; they are kept for its window, then forgotten.
    outbox.purge(older_than=timedelta(seconds=settings.webhook_dedupe_ttl_seconds), now=now)
    return count
