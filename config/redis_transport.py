"""kombu's Redis transport, with a worker that survives a broker restart while tasks are running.

With kombu 5.7 and Celery 5.7, when the broker connection drops while a worker holds unacknowledged
messages, the consumer collects the dead connection (which drops its client) and then closes it. Two
things then reach for that client: closing the channel (it tries to put the unacked messages back into
their queues) and, later, the ack of a task that was still running. Both raise `AttributeError:
'NoneType' object has no attribute 'hostname'`, which Celery takes for an unrecoverable error: the whole
worker exits (seen in tests/service/test_service.py's Redis restart test).

This channel turns that case into the connection error it is. kombu already handles those: the channel
closes, the late ack is logged as failed, and the worker reconnects. Nothing is lost: the messages stay
in Redis's unacked set (kept by AOF across a restart) and come back after the visibility timeout, and
every task is idempotent.

It also keeps one Redis client per channel for its commands: kombu builds a new `redis.Redis` (about 170
response callbacks registered each time) for every publish, which cost the receiver about a third of a
millisecond of CPU per delivery. The client shares the channel's connection pool, as kombu's did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):  # type: ignore[misc]
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection of this channel was closed")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[no-untyped-call]

    _command_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        kept = self._command_client
        if kept is None or kept.connection_pool is not self.pool:  # a new pool after a reconnect
            kept = self._command_client = self._create_client()  # type: ignore[no-untyped-call]
        yield kept


class Transport(kombu_redis.Transport):  # type: ignore[misc]
    Channel = Channel
