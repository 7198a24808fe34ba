"""Publish a webhook outbox row's task by the name it recorded (no task code imported: the receiver
stays light). Tasks queue their next task with worker/tasks/enqueue.py."""

from __future__ import annotations

from typing import Any

from worker.store.outbox import OutboxEntry

#: The Celery message header naming the webhook delivery a task descends from (read by
#: config/task_signals.py, which binds it to every log line of the task).
DELIVERY_HEADER = "followthrough_delivery_id"


def send_options(delivery_id: str | None, *, retry_policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """What every task we queue is sent with: no stored result (nobody reads one; storing it costs the
    worker four Redis round trips, and asking for none keeps a send from waiting on the result backend,
    whose consumer retries a lost Redis for 20 s before the publish even starts), the webhook delivery it
    descends from in a header (one id from delivery to ticket in the logs), and the publish retries."""
    options: dict[str, Any] = {"ignore_result": True}
    if retry_policy:
        options.update(retry=True, retry_policy=retry_policy)
    if delivery_id:
        options["headers"] = {DELIVERY_HEADER: delivery_id}
    return options


def republish(app: Any, entry: OutboxEntry, *, retry_policy: dict[str, Any] | None = None,
              delivery_id: str | None = None) -> None:
    """Publish an outbox row's task (by name: the routes pick its queue) with the row's id, and the
    webhook's delivery id in a header, so the worker's lines carry it too."""
    # A short argsrepr: Celery would otherwise build a repr of the arguments (the whole inline document) for
    # every message's headers, which costs time and shows document text in monitoring tools.
    app.send_task(entry.task, args=entry.args, kwargs={"outbox_id": entry.id},
                  argsrepr=f"<{entry.kind} delivery>", kwargsrepr=f"{{'outbox_id': {entry.id}}}",
                  **send_options(delivery_id, retry_policy=retry_policy))
