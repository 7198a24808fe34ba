"""Queue the next task from inside a task, by name (ingest queues a sync; the sweep queues both)."""

from __future__ import annotations

from typing import Any

from config import logs
from worker.service.enqueue import send_options
from worker.service.requests import IngestRequest
from worker.tasks.names import (
    INGEST_QUEUE,
    INGEST_TASK,
    PREVIEW_NOTION_TASK,
    SYNC_TASK,
    TRACKER_QUEUE,
    WRITE_BACK_TASK,
)


def _send_options(retry_policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """The options of every send (worker.service.enqueue), with the delivery this task descends from."""
    return send_options(logs.current().get("delivery_id"), retry_policy=retry_policy)


def enqueue_ingest(app: Any, request: IngestRequest, *, retry_policy: dict[str, Any] | None = None,
                   outbox_id: int | None = None) -> None:
    """Queue an ingest request on the ingest queue (naming its webhook outbox row, if any)."""
    kwargs = {"outbox_id": outbox_id} if outbox_id is not None else {}
    app.send_task(INGEST_TASK, args=[request.to_task()], kwargs=kwargs, queue=INGEST_QUEUE,
                  **_send_options(retry_policy))


def enqueue_sync(app: Any, postmortem_key: str) -> None:
    """Queue a sync of one postmortem on the tracker queue."""
    app.send_task(SYNC_TASK, args=[postmortem_key], queue=TRACKER_QUEUE, **_send_options())


def enqueue_write_back(app: Any, postmortem_key: str) -> None:
    """Queue the ticket links' write-back into one postmortem on the tracker queue."""
    app.send_task(WRITE_BACK_TASK, args=[postmortem_key], queue=TRACKER_QUEUE, **_send_options())


def enqueue_notion_preview(app: Any, page: str) -> None:
    """Queue the preview of a Notion page that was edited but is not approved (it may be in review)."""
    app.send_task(PREVIEW_NOTION_TASK, args=[page], queue=INGEST_QUEUE, **_send_options())
