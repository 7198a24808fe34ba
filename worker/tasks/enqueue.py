"""Queue the next task from inside a task, by name (ingest queues a sync; the sweep queues both)."""

from __future__ import annotations

from typing import Any

from worker.service.requests import IngestRequest
from worker.tasks.names import INGEST_QUEUE, INGEST_TASK, SYNC_TASK, TRACKER_QUEUE


def enqueue_ingest(app: Any, request: IngestRequest, *, retry_policy: dict[str, Any] | None = None,
                   outbox_id: int | None = None) -> None:
    """Queue an ingest request on the ingest queue (naming its webhook outbox row, if any)."""
    options: dict[str, Any] = {"retry": True, "retry_policy": retry_policy} if retry_policy else {}
    kwargs = {"outbox_id": outbox_id} if outbox_id is not None else {}
    app.send_task(INGEST_TASK, args=[request.to_task()], kwargs=kwargs, queue=INGEST_QUEUE, **options)


def enqueue_sync(app: Any, postmortem_key: str) -> None:
    """Queue a sync of one postmortem on the tracker queue."""
    app.send_task(SYNC_TASK, args=[postmortem_key], queue=TRACKER_QUEUE)
