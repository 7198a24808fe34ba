"""Celery tasks: thin wrappers that call the pipeline, with retry policy keyed off connectors.errors.

Every task is idempotent (acks_late redelivers a task whose worker died): ingest keys on the content
hash, and sync searches the tracker for the postmortem's tickets before creating any.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Retry

from config.settings import Settings
from connectors.redis_throttle import RedisWriteThrottle, token_key
from connectors.sources import NotionPage, parse_source, stable_id
from connectors.sources.github import GitHubReader
from connectors.throttle import LocalWriteThrottle, NoThrottle, WriteThrottle
from worker.contract.flows import notion_previews, write_back_wanted
from worker.errors import Locked, UserError
from worker.service.fetch import fetch_document
from worker.service.requests import IngestRequest, parse_request
from worker.service.sweep import find_unseen, poll_source, redrive_outbox, unsynced
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

#: Attempts for rate-limited or transient tracker errors before the task fails for good (the next
#: reconcile sweep or a resync picks the postmortem up again).
MAX_RETRIES = 10

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
        return RedisWriteThrottle(client, token_key(settings.github_token.get_secret_value()))
    with _local_throttle_guard:
        if _local_throttle is None:
            _local_throttle = LocalWriteThrottle(max_wait=15.0)
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


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=INGEST_TASK, max_retries=MAX_RETRIES
)
def ingest_postmortem(self: Task, payload: dict[str, Any], outbox_id: int | None = None) -> dict[str, Any]:
    """Parse and store one postmortem (inline content or fetched from its source), then queue its sync.

    The payload comes from the broker, which is no trust boundary: only configured sources are read,
    never a local file. `outbox_id` names the receiver's outbox row of the delivery, if any.
    """
    settings = _settings(self)
    with _outbox_entry(settings, outbox_id):
        request = parse_request(payload)
        check_source(settings, request)
        try:
            if request.content is not None:
                content = request.content.encode("utf-8")
                source = f"inline:{request.id}"
                filename = request.filename
                title = request.title
                version = request.version
            else:
                ref = parse_source(str(request.source))
                document = fetch_document(settings, ref)
                if document.approved is False:  # a Notion page edited, but not (or no longer) approved
                    if isinstance(ref, NotionPage) and notion_previews(settings):
                        enqueue_notion_preview(self.app, ref.page)  # in review, perhaps: its preview
                    return {"postmortem_key": None, "skipped": "not approved"}
                content, source = document.content, str(document.source)
                version = request.version or document.version
                filename = request.filename or document.filename
                title = request.title or document.title
        except RETRYABLE as exc:
            raise _retry(self, exc) from None
        postmortem_id = request.id or stable_id(parse_source(source))
        result = pipeline.ingest(
            settings, content=content, source=source, postmortem_id=postmortem_id, title=title,
            team=request.team, approved_at=request.approved_at, filename=filename, version=version,
        )
        if result.stale:
            log.info("%s: postmortem %s: an older version than the stored one; ignored",
                     self.name, result.postmortem_key)
        else:
            # Queue the sync even when nothing changed: the earlier attempt may have died between storing
            # the document and queueing its sync, and a sync with nothing to do costs a search, no writes.
            enqueue_sync(self.app, result.postmortem_key)
    return {"postmortem_key": result.postmortem_key, "changed": result.changed,
            "item_count": result.item_count, "stale": result.stale}


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=INGEST_PULL_TASK, max_retries=MAX_RETRIES
)
def ingest_pull_request(self: Task, repo: str, number: int, outbox_id: int | None = None) -> dict[str, Any]:
    """Queue an ingest of every configured postmortem file a merged pull request added or changed."""
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
                enqueue_ingest(self.app, IngestRequest(source=ref, team=source.team, version=pull.merged_at))
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
def reconcile(self: Task) -> dict[str, int]:
    """Sweep the configured sources for approved postmortems that were never ingested; queue them."""
    settings = _settings(self)
    # First the webhook deliveries accepted but never finished: they need no tracker, only the store.
    redriven = redrive_outbox(settings, self.app)
    try:
        unseen = find_unseen(settings)
    except RETRYABLE as exc:
        raise _retry(self, exc) from None
    for request in unseen:
        enqueue_ingest(self.app, request)
    stale = unsynced(settings)
    for postmortem_key in stale:
        enqueue_sync(self.app, postmortem_key)
    return {"queued": len(unseen), "resynced": len(stale), "redriven": redriven}


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

