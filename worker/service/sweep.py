"""The reconciliation sweep: approved postmortems in the configured sources that were never ingested.

GitHub does not redeliver a failed webhook and a receiver can be down, so beat runs this on a schedule.
A file counts as ingested when the store knows a postmortem from the same repository path (at any
commit); a Jira review when the store knows its issue key. A document the parser refused (recorded in the
store's parse failures) counts as seen too: it is retried when it changes (webhook) or on `resync`.
Changed documents are the webhooks' and `followthrough resync`'s job, so the sweep costs one tree read
and one paged search, not a fetch per file.
It also re-queues the sync of postmortems whose sync never completed (a worker killed outright leaves its
message unacknowledged until Redis's visibility timeout, two hours by default).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config.settings import Settings
from connectors.sources import BadSource, GitHubFile, JiraIssue, parse_source
from connectors.sources.github import GitHubReader
from connectors.sources.jira import JiraReader
from worker.service.requests import IngestRequest
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
    if sources.github is None and sources.jira is None:
        return []
    files, issues = _known(settings)
    unseen: list[IngestRequest] = []
    if sources.github is not None:
        for ref in GitHubReader(settings).list_postmortems(sources.github):
            if (ref.repo.lower(), ref.path) not in files:
                unseen.append(IngestRequest(source=str(ref), team=sources.github.team))
    if sources.jira is not None:
        for issue in JiraReader(settings).approved(sources.jira):
            if issue.key not in issues:
                unseen.append(IngestRequest(source=str(issue), team=sources.jira.team))
    return unseen


#: A postmortem ingested this recently may still have its first sync queued or running.
SETTLE = timedelta(minutes=10)


def unsynced(settings: Settings, *, settle: timedelta = SETTLE, now: datetime | None = None) -> list[str]:
    """Keys of stored postmortems never synced since their last ingest (a sync lost to a crash)."""
    now = now or datetime.now(UTC)
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
