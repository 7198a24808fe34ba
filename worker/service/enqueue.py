"""Hand work to the workers by task name (no task code imported: the receiver stays light)."""

from __future__ import annotations

from typing import Any

from config.celery_app import INGEST_QUEUE, INGEST_TASK, SYNC_TASK, TRACKER_QUEUE
from worker.service.requests import IngestRequest
from worker.store.outbox import OutboxEntry


def enqueue_ingest(app: Any, request: IngestRequest, *, retry_policy: dict[str, Any] | None = None,
                   outbox_id: int | None = None) -> None:
    """Queue an ingest request on the ingest queue (naming its webhook outbox row, if any)."""
    options: dict[str, Any] = {"retry": True, "retry_policy": retry_policy} if retry_policy else {}
    kwargs = {"outbox_id": outbox_id} if outbox_id is not None else {}
    app.send_task(INGEST_TASK, args=[request.to_task()], kwargs=kwargs, queue=INGEST_QUEUE, **options)


def republish(app: Any, entry: OutboxEntry, *, retry_policy: dict[str, Any] | None = None) -> None:
    """Publish an outbox row's task (by name: the routes pick its queue) with the row's id."""
    options: dict[str, Any] = {"retry": True, "retry_policy": retry_policy} if retry_policy else {}
    # Nobody reads these results; asking for none also keeps a send from waiting on the result backend
    # (Celery's result consumer retries a lost Redis for 20 s before the publish even starts).
    app.send_task(entry.task, args=entry.args, kwargs={"outbox_id": entry.id}, ignore_result=True,
                  **options)


def enqueue_sync(app: Any, postmortem_key: str) -> None:
    """Queue a sync of one postmortem on the tracker queue."""
    app.send_task(SYNC_TASK, args=[postmortem_key], queue=TRACKER_QUEUE)
