"""Celery tasks: thin wrappers that call the pipeline, with retry policy keyed off connectors.errors.

Every task is idempotent (acks_late redelivers a task whose worker died): ingest keys on the content
hash, and sync searches the tracker for the postmortem's tickets before creating any.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from celery import Task, shared_task
from celery.exceptions import Retry

from config.settings import Settings
from connectors.redis_throttle import RedisWriteThrottle, github_write_buckets, token_key
from connectors.sources import GitHubFile, NotionPage, parse_source, stable_id
from connectors.sources.github import GitHubReader
from connectors.throttle import LocalWriteThrottle, NoThrottle, WriteThrottle
from worker.contract.flows import notion_previews, write_back_wanted
from worker.errors import Locked, UserError
from worker.parse.errors import ParseError
from worker.service.fetch import fetch_document
from worker.service.requests import IngestRequest, parse_request
from worker.service.sweep import poll_source, redrive_outbox, source_sweeps, unsynced
from worker.service.trust import check_source
from worker.store.outbox import Outbox
from worker.sync import pipeline
from worker.tasks.enqueue import enqueue_ingest, enqueue_notion_preview, enqueue_sync, enqueue_write_back
from worker.tasks.names import (
    INGEST_PULL_TASK,
    INGEST_TASK,
    POLL_SOURCE_TASK,
    RECONCILE_TASK,
    RESYNC_TASK,
    SYNC_TASK,
)
from worker.tasks.retry import RETRYABLE, countdown_for

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Attempts for rate-limited or transient tracker errors before the task fails for good (the next
#: reconcile sweep or a resync picks the postmortem up again).
MAX_RETRIES = 10

#: A ref that names one commit (40 hex digits): its content never changes.
_COMMIT = re.compile(r"[0-9a-f]{40}")

_local_throttle: WriteThrottle | None = None
_local_throttle_guard = threading.Lock()


def _settings(task: Task) -> Settings:
    settings = getattr(task.app, "settings", None)
    if not isinstance(settings, Settings):
        raise RuntimeError("the Celery app carries no Followthrough settings; use config.celery_app")
    return settings


def _redis(task: Task) -> Any:
    return getattr(task.app, "redis", None)


def _retry(task: Task, exc: BaseException, *, countdown: float | None = None,
           unlimited: bool = False) -> Retry:
    settings = _settings(task)
    if countdown is None:
        countdown = countdown_for(exc, task.request.retries, cap=settings.max_retry_countdown_seconds)
    log.info("%s: retry in %.1f s after %s", task.name, countdown, type(exc).__name__)
    if unlimited:
        return task.retry(exc=exc, countdown=countdown, max_retries=None)  # type: ignore[no-any-return]
    return task.retry(exc=exc, countdown=countdown)  # type: ignore[no-any-return]


def _github_throttle(task: Task, settings: Settings) -> WriteThrottle:
    """One write budget per GitHub token across all workers (Redis), or per process without Redis."""
    global _local_throttle
    if settings.github_token is None:
        return NoThrottle()
    client = _redis(task)
    if client is not None:
        return RedisWriteThrottle(client, token_key(settings.github_token.get_secret_value()),
                                  min_interval=settings.github_write_interval,
                                  buckets=github_write_buckets(settings.github_write_interval))
    with _local_throttle_guard:
        if _local_throttle is None:
            _local_throttle = LocalWriteThrottle(max_wait=15.0, min_interval=settings.github_write_interval)
        return _local_throttle


@contextmanager
def _outbox_entry(settings: Settings, entry_id: int | None) -> Iterator[None]:
    """Finish the webhook's outbox row when the task did its work; fail it when it never can.

    A retry or a crash leaves the row pending: the sweep publishes it again after the grace period.
    """
    if entry_id is None:
        yield
        return
    try:
        yield
    except UserError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        Outbox(pipeline.open_store(settings)).fail(entry_id, first)
        raise
    Outbox(pipeline.open_store(settings)).finish(entry_id)


@dataclass(frozen=True, slots=True)
class _Read:
    """A postmortem's bytes as read for an ingest, and the source's own version of them."""

    content: bytes
    source: str
    filename: str | None
    title: str | None
    version: datetime | None
    approved: bool | None = None  # False: the source says the document is not (or no longer) approved


def _read(settings: Settings, request: IngestRequest) -> _Read:
    if request.content is not None:
        return _Read(request.content.encode("utf-8"), f"inline:{request.id}", request.filename,
                     request.title, None)
    document = fetch_document(settings, parse_source(str(request.source)))
    return _Read(document.content, str(document.source), request.filename or document.filename,
                 request.title or document.title, document.version, document.approved)


def _already_stored(settings: Settings, request: IngestRequest) -> str | None:
    """The stored postmortem's key when it already holds this exact source version (a file pinned to a
    commit): then nothing is fetched again."""
    if request.source is None:
        return None
    ref = parse_source(request.source)
    if not (isinstance(ref, GitHubFile) and _COMMIT.fullmatch(ref.ref)):
        return None
    key = pipeline.postmortem_key(request.id or stable_id(ref))
    stored = pipeline.open_store(settings).get_postmortem(key)
    return key if stored is not None and stored.source == str(ref) else None


def _ingest(task: Task, settings: Settings, request: IngestRequest, *, version: datetime | None,
            sequence: int | None) -> dict[str, Any]:
    """Read and store one postmortem, then queue its sync; `version` only from the receiver or the source."""
    check_source(settings, request)
    known = _already_stored(settings, request)
    if known is not None:
        log.info("%s: postmortem %s: this source version is already stored; not fetched again",
                 task.name, known)
        return {"postmortem_key": known, "changed": False, "item_count": 0, "stale": False}
    try:
        read = _read(settings, request)
    except RETRYABLE as exc:
        raise _retry(task, exc) from None
    if read.approved is False:  # a Notion page edited, but not (or no longer) approved
        ref = parse_source(read.source)
        if isinstance(ref, NotionPage) and notion_previews(settings):
            enqueue_notion_preview(task.app, ref.page)  # in review, perhaps: its preview
        return {"postmortem_key": None, "skipped": "not approved"}
    postmortem_id = request.id or stable_id(parse_source(read.source))
    result = pipeline.ingest(
        settings, content=read.content, source=read.source, postmortem_id=postmortem_id, title=read.title,
        team=request.team, approved_at=request.approved_at, filename=read.filename,
        version=version or read.version, sequence=sequence,
    )
    if result.stale:
        # Dropped, never silently: one WARNING line, and the ingest counter's `stale` result.
        log.warning("%s: postmortem %s: an older version than the stored one; dropped",
                    task.name, result.postmortem_key)
    else:
        # Queue the sync even when nothing changed: the earlier attempt may have died between storing
        # the document and queueing its sync, and a sync with nothing to do costs a search, no writes.
        enqueue_sync(task.app, result.postmortem_key)
    return {"postmortem_key": result.postmortem_key, "changed": result.changed,
            "item_count": result.item_count, "stale": result.stale}


def _from_outbox(settings: Settings, outbox_id: int) -> IngestRequest | None:
    """The request as the receiver stored it in its outbox row (version included), while pending."""
    entry = Outbox(pipeline.open_store(settings)).pending(outbox_id)
    if entry is None or entry.task != INGEST_TASK or not entry.args:
        return None
    return parse_request(entry.args[0])


def _nothing_to_do(task: Task, settings: Settings, outbox_id: int) -> None:
    if Outbox(pipeline.open_store(settings)).state(outbox_id) is None:
        # Pending rows are never purged: the receiver writes to another store, or the message is forged.
        log.warning("%s: outbox row %s is not in this store (do the receiver and the workers share "
                    "FOLLOWTHROUGH_DATABASE_URL?); nothing done", task.name, outbox_id)
    else:
        log.info("%s: outbox row %s is already finished; nothing to do", task.name, outbox_id)


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=INGEST_TASK, max_retries=MAX_RETRIES
)
def ingest_postmortem(self: Task, payload: dict[str, Any], outbox_id: int | None = None) -> dict[str, Any]:
    """Parse and store one postmortem (inline content or fetched from its source), then queue its sync.

    The payload comes from the broker, which is no trust boundary: only configured sources are read,
    never a local file, and a version on the broker is ignored. With `outbox_id` (a webhook delivery),
    the request, its version and its arrival sequence are read from the receiver's outbox row in the
    store; a row already finished (or unknown) means there is nothing left to do.
    """
    settings = _settings(self)
    try:
        if outbox_id is not None:
            with _outbox_entry(settings, outbox_id):
                request = _from_outbox(settings, outbox_id)
                if request is None:
                    _nothing_to_do(self, settings, outbox_id)
                    return {"postmortem_key": None, "changed": False, "item_count": 0, "stale": False}
                return _ingest(self, settings, request, version=request.version, sequence=outbox_id)
        request = parse_request(payload)
        if request.version is not None:
            log.warning("%s: a version set on the broker is ignored (only the receiver or the source sets "
                        "one)", self.name)
        return _ingest(self, settings, request, version=None, sequence=None)
    except ParseError as exc:
        # An expected refusal (an empty, binary or over-budget document): one WARNING line, no traceback
        # and no Sentry event; the pipeline recorded the parse failure. Never retried. A refused source
        # still fails the task: it is not expected from a configured sender.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        log.warning("%s: refused: %s", self.name, reason)
        return {"postmortem_key": None, "changed": False, "item_count": 0, "stale": False, "refused": reason}


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=INGEST_PULL_TASK, max_retries=MAX_RETRIES
)
def ingest_pull_request(self: Task, repo: str, number: int, outbox_id: int | None = None) -> dict[str, Any]:
    """Ingest every configured postmortem file a merged pull request added or changed.

    The files are ingested here, not queued: their version is the merge time GitHub reports, and a version
    must never travel on the broker.
    """
    settings = _settings(self)
    with _outbox_entry(settings, outbox_id):
        source = settings.sources.github
        if source is None or not source.has_repo(repo):
            return {"queued": 0, "reason": "repository is not a configured postmortem source"}
        reader = GitHubReader(settings)
        try:
            pull = reader.merged_pull(repo, number)
            branch = source.branch or reader.default_branch(repo)
        except RETRYABLE as exc:
            raise _retry(self, exc) from None
        if not pull.merged or pull.base_ref != branch or pull.merge_sha is None:
            return {"queued": 0, "reason": "not merged into the postmortem branch"}
        queued = 0
        for path in pull.paths:
            if source.covers(path):
                ref = f"github:{source.repo}@{pull.merge_sha}:{path}"
                # The merge time orders the versions: a replayed older merge never replaces a newer one.
                _ingest(self, settings, IngestRequest(source=ref, team=source.team), version=pull.merged_at,
                        sequence=outbox_id)
                queued += 1
    return {"queued": queued}


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=SYNC_TASK, max_retries=MAX_RETRIES
)
def sync_postmortem(self: Task, postmortem_key: str) -> dict[str, int]:
    """Create and update the postmortem's tickets; a sync of the same document already running defers it.

    One lock keeps two syncs of a document apart: the store's sync lock, taken inside `pipeline.sync`
    (a PostgreSQL session advisory lock, or an flock beside the SQLite file). It covers every worker on
    every host and the CLI's `sync`/`resync` alike, and a killed holder frees it at once (the server ends
    the session when its socket closes; the kernel drops the flock with the process). So the task takes
    no lock of its own: `SyncBusy` (a `Locked`) sends it back to the queue, never dropped.
    """
    settings = _settings(self)
    try:
        result = pipeline.sync(settings, postmortem_key, throttle=_github_throttle(self, settings))
    except Locked as exc:
        # Another sync of this document is running; come back once it is likely done. Never dropped.
        raise _retry(self, exc, countdown=settings.sync_lock_seconds / 2, unlimited=True) from None
    except RETRYABLE as exc:
        raise _retry(self, exc) from None
    if result.retry_error is not None:
        raise _retry(self, result.retry_error) from None
    if not result.dry_run and write_back_wanted(settings):
        enqueue_write_back(self.app, postmortem_key)  # the ticket links go into the postmortem itself
    return dict(result.counts())


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=RECONCILE_TASK, max_retries=3
)
def reconcile(self: Task) -> dict[str, Any]:
    """Sweep the configured sources for approved postmortems that were never ingested; queue them."""
    settings = _settings(self)
    # Each part in its own try: a broken source (a wrong branch, say) never stops the others, the
    # re-queueing of lost syncs or the outbox; its error names the call that failed, and beat tries again.
    failed: list[str] = []
    redriven = _part(failed, "outbox", lambda: redrive_outbox(settings, self.app)) or 0
    queued = 0
    for name, sweep in source_sweeps(settings):
        for request in _part(failed, f"source {name}", sweep) or []:
            enqueue_ingest(self.app, request)
            queued += 1
    stale = _part(failed, "unsynced postmortems", lambda: unsynced(settings)) or []
    for postmortem_key in stale:
        enqueue_sync(self.app, postmortem_key)
    return {"queued": queued, "resynced": len(stale), "redriven": redriven, "failed": failed}


def _part(failed: list[str], name: str, call: Callable[[], T]) -> T | None:
    """Run one part of the reconcile task; a failure is one WARNING line naming the part and the call."""
    try:
        return call()
    except Exception as exc:  # any failure of one part: the other parts still run
        message = f"{name} failed: {type(exc).__name__}: {exc}"
        log.warning("reconcile: %s", message)
        failed.append(message)
        return None


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=POLL_SOURCE_TASK, max_retries=MAX_RETRIES
)
def poll_one_source(self: Task, name: str, outbox_id: int | None = None) -> dict[str, int]:
    """Poll one document source through its cursor (a push notification woke it); queue what it finds."""
    settings = _settings(self)
    with _outbox_entry(settings, outbox_id):
        try:
            found = poll_source(settings, str(name))
        except RETRYABLE as exc:
            raise _retry(self, exc) from None
        for request in found:
            enqueue_ingest(self.app, request)
    return {"queued": len(found)}


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=RESYNC_TASK, max_retries=MAX_RETRIES
)
def resync(self: Task, postmortem_key: str) -> dict[str, Any]:
    """Re-read one stored postmortem's source, ingest it again and queue its sync."""
    from worker.service.resync import reingest

    settings = _settings(self)
    try:
        result = reingest(settings, postmortem_key)
    except RETRYABLE as exc:
        raise _retry(self, exc) from None
    enqueue_sync(self.app, result.postmortem_key)
    return {"postmortem_key": result.postmortem_key, "changed": result.changed,
            "item_count": result.item_count}

