"""Hand work to the workers by task name (no task code imported: the receiver stays light)."""

from __future__ import annotations

from typing import Any

from config.celery_app import INGEST_QUEUE, INGEST_TASK, SYNC_TASK, TRACKER_QUEUE
from worker.service.requests import IngestRequest


def enqueue_ingest(app: Any, request: IngestRequest, *, retry_policy: dict[str, Any] | None = None) -> None:
    """Queue an ingest request on the ingest queue."""
    options: dict[str, Any] = {"retry": True, "retry_policy": retry_policy} if retry_policy else {}
    app.send_task(INGEST_TASK, args=[request.to_task()], queue=INGEST_QUEUE, **options)


def enqueue_sync(app: Any, postmortem_key: str) -> None:
    """Queue a sync of one postmortem on the tracker queue."""
    app.send_task(SYNC_TASK, args=[postmortem_key], queue=TRACKER_QUEUE)
