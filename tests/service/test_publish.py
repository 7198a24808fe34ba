"""Outbox rows' tasks published in one broker round trip (worker.service.enqueue.publish_entries), as the
messages Celery's own `send_task` writes, onto a private Redis."""

from __future__ import annotations

import base64
import json
from typing import Any

from redis import Redis

from config.celery_app import make_celery
from config.settings import load_settings
from worker.service.enqueue import DELIVERY_HEADER, publish_entries, send_options
from worker.store.outbox import OutboxEntry
from worker.tasks.names import INGEST_QUEUE, INGEST_TASK, SYNC_TASK, TRACKER_QUEUE

#: What differs from one message to the next by design: the task id (and what repeats it) and the tag.
_PER_MESSAGE = {"id", "root_id", "correlation_id", "delivery_tag"}


def _app(redis_url: str) -> Any:
    return make_celery(load_settings(redis_url=redis_url, celery_broker_url=None, database_url="sqlite://"))


def _decoded(raw: bytes | str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(raw)
    message["body"] = json.loads(base64.b64decode(message["body"]))
    for part in (message["headers"], message["properties"]):
        for name in _PER_MESSAGE & part.keys():
            part[name] = "<per message>"
    return message


def test_a_batch_holds_the_messages_send_task_writes(redis_url: str, redis_client: Redis) -> None:
    app = _app(redis_url)
    entries = [OutboxEntry(id=n, kind="generic", task=INGEST_TASK, args=[{"id": f"PM-{n}", "content": "x"}],
                           attempts=0) for n in (1, 2, 3)]
    publish_entries(app, [(entries[0], "delivery-1"), (entries[1], None), (entries[2], "delivery-3")])
    ours = [_decoded(raw) for raw in reversed(redis_client.lrange(INGEST_QUEUE, 0, -1))]
    redis_client.delete(INGEST_QUEUE)

    entry = entries[0]
    app.send_task(entry.task, args=entry.args, kwargs={"outbox_id": entry.id}, argsrepr="<generic delivery>",
                  kwargsrepr="{'outbox_id': 1}", **send_options("delivery-1"))
    (celerys,) = [_decoded(raw) for raw in redis_client.lrange(INGEST_QUEUE, 0, -1)]
    for name in ("argsrepr", "kwargsrepr"):  # send_task also copies its leftover options into properties
        celerys["properties"].pop(name)
    assert ours[0] == celerys
    assert [m["body"][0][0]["id"] for m in ours] == ["PM-1", "PM-2", "PM-3"]
    assert [m["body"][1] for m in ours] == [{"outbox_id": 1}, {"outbox_id": 2}, {"outbox_id": 3}]
    assert [m["headers"].get(DELIVERY_HEADER) for m in ours] == ["delivery-1", None, "delivery-3"]


def test_each_task_goes_to_the_queue_its_name_is_routed_to(redis_url: str, redis_client: Redis) -> None:
    app = _app(redis_url)
    ingest = OutboxEntry(id=7, kind="generic", task=INGEST_TASK, args=[{"id": "PM-7"}], attempts=0)
    sync = OutboxEntry(id=8, kind="generic", task=SYNC_TASK, args=["pm-key"], attempts=0)
    publish_entries(app, [(ingest, None), (sync, None)], retry_policy={"max_retries": 1})
    assert [json.loads(raw)["headers"]["task"] for raw in redis_client.lrange(INGEST_QUEUE, 0, -1)] == [
        INGEST_TASK]
    assert [json.loads(raw)["headers"]["task"] for raw in redis_client.lrange(TRACKER_QUEUE, 0, -1)] == [
        SYNC_TASK]
    redis_client.delete(INGEST_QUEUE, TRACKER_QUEUE)
