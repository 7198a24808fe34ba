"""Publish webhook outbox rows' tasks by the names they recorded (no task code imported: the receiver
stays light). Tasks queue their next task with worker/tasks/enqueue.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kombu.exceptions import BatchPublishError
from kombu.utils.uuid import uuid

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
    """Publish one outbox row's task (the sweep): `publish_entries` with one row."""
    publish_entries(app, [(entry, delivery_id)], retry_policy=retry_policy)


def publish_entries(app: Any, entries: Sequence[tuple[OutboxEntry, str | None]], *,
                    retry_policy: dict[str, Any] | None = None) -> None:
    """Publish outbox rows' tasks, each with its row id and the webhook's delivery id in a header (so the
    worker's lines carry it too), in one broker round trip.

    Each message is Celery's own (`create_task_message`, `send_task_message`, routed by task name like
    `send_task`), published inside kombu's publish batch: on Redis, one pipelined LPUSH for them all;
    other transports publish each at once. What `send_task` adds around that (task lookup, routing and
    queue declaration on every call, a producer per message) cost the receiver more CPU than the rest of
    a delivery. A broker error is retried by `retry_policy` (by default the app's, as `send_task` does):
    kombu reconnects on a connection error, and a failed batch (kombu's BatchPublishError, "delivery is
    uncertain") is sent again. Either may deliver a message twice, which every task allows.
    """
    amqp = app.amqp

    def publish(producer: Any) -> None:
        with producer.batch(max_size=max(1, len(entries))):
            for entry, delivery_id in entries:
                options = send_options(delivery_id)
                route = amqp.router.route({}, entry.task, entry.args, {}, None)
                task_id = uuid()
                # A short argsrepr: Celery would otherwise build a repr of the arguments (the whole inline
                # document) for every message's headers, which costs time and shows document text in
                # monitoring tools.
                message = amqp.create_task_message(
                    task_id, entry.task, entry.args, {"outbox_id": entry.id}, reply_to=app.thread_oid,
                    ignore_result=options["ignore_result"], argsrepr=f"<{entry.kind} delivery>",
                    kwargsrepr=f"{{'outbox_id': {entry.id}}}",
                    create_sent_event=app.conf.task_send_sent_event)
                amqp.send_task_message(producer, entry.task, message, retry=False, declare=[],
                                       headers=options.get("headers"), **route)

    if retry_policy is None and app.conf.task_publish_retry:  # send_task's default: the app's policy
        retry_policy = dict(app.conf.task_publish_retry_policy)
    with app.producer_or_acquire() as producer:
        if retry_policy:
            # As kombu's own `publish(retry=True)` does: the policy also bounds opening the channel, which
            # otherwise retries a broker that is away for seconds with the connection's defaults.
            producer.connection.transport_options.update(retry_policy)
            ensured = producer.connection.ensure(producer, publish, retry_errors=(BatchPublishError,),
                                                 **retry_policy)
            ensured(producer)
        else:
            publish(producer)
