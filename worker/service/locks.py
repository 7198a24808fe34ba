"""Per-postmortem lock in Redis, so two syncs of one document never run at the same time.

The lock has a short TTL that a background thread renews while the holder works: a worker killed with
SIGKILL stops renewing, so its lock expires within `ttl` seconds and the redelivered task can take it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redis.exceptions import LockError, LockNotOwnedError
from redis.exceptions import RedisError as _RedisError

from worker.errors import Locked

LOCK_PREFIX = "followthrough:lock:sync:"

log = logging.getLogger(__name__)


class RedisUnavailable(Exception):
    """Redis could not be reached to take or release a lock; the task should be retried."""


@contextmanager
def postmortem_lock(client: Any, postmortem_key: str, *, ttl: float) -> Iterator[None]:
    """Hold the sync lock of one postmortem for the duration of the block, or raise Locked."""
    lock = client.lock(f"{LOCK_PREFIX}{postmortem_key}", timeout=ttl, blocking=False, thread_local=False)
    try:
        acquired = lock.acquire()
    except _RedisError as exc:
        raise RedisUnavailable(f"cannot take the sync lock: {type(exc).__name__}") from None
    if not acquired:
        raise Locked(postmortem_key)
    stop = threading.Event()
    lost = threading.Event()

    def renew() -> None:
        # Renew at a third of the TTL so one missed beat does not lose the lock.
        while not stop.wait(ttl / 3):
            try:
                lock.reacquire()
            except (LockError, _RedisError):
                lost.set()
                return

    renewer = threading.Thread(target=renew, name=f"lock-{postmortem_key}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        try:
            lock.release()
        except LockNotOwnedError:
            lost.set()
        except (LockError, _RedisError):
            # Unreleased: it expires by itself within ttl.
            pass
    if lost.is_set():
        # Sync is idempotent, so an overlap costs calls, not duplicates; say so for the operator.
        log.warning("sync lock of postmortem %s was lost before the sync finished", postmortem_key)


@contextmanager
def file_lock(postmortem_key: str, *, folder: str | None = None) -> Iterator[None]:
    """Without Redis (embedded broker, one host): the same guarantee from an flock on a local file."""
    import fcntl
    import hashlib
    import os
    import tempfile

    folder = folder or os.path.join(tempfile.gettempdir(), "followthrough-locks")
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha256(postmortem_key.encode("utf-8")).hexdigest()[:24]
    with open(os.path.join(folder, f"{name}.lock"), "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Locked(postmortem_key) from None
        try:
            yield
        finally:
            # The kernel also drops the lock when the process dies, so a killed worker never leaves one.
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
