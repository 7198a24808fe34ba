"""Beat scheduler that sends periodic tasks only while it holds a lock in Redis.

Run exactly one `followthrough beat`. If a second one is started by mistake (or kept as a warm standby),
it finds the lock held and stays idle; when the active one dies, its lock expires within LOCK_TTL seconds
and the standby takes over. Without Redis (embedded broker) there is no lock: run one beat.

The lock is redis-py's own `Lock` (acquire, reacquire each tick, release). celery-redbeat was not taken: it
keeps the schedule in Redis as JSON and encodes only Celery's interval, crontab and its rrule schedules,
so the per-team `PeriodSchedule` (a cron in the team's own zone) cannot be stored, and it needs Redis
where the embedded broker has none; this class adds the lock and nothing else to Celery's scheduler.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from typing import Any

from celery.beat import PersistentScheduler

from config.celery_app import redis_url

LOCK_KEY = "followthrough:lock:beat"
LOCK_TTL = 30.0

log = logging.getLogger(__name__)


class LockedScheduler(PersistentScheduler):  # type: ignore[misc]
    """PersistentScheduler guarded by a Redis lock, so at most one beat sends periodic tasks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock: Any = None
        self._held = False
        self._identity = f"{socket.gethostname()}:{os.getpid()}"
        super().__init__(*args, **kwargs)

    def _client(self) -> Any:
        settings = getattr(self.app, "settings", None)
        url = redis_url(settings) if settings is not None else None
        if url is None:
            return None
        if self._lock is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            self._lock = client.lock(LOCK_KEY, timeout=LOCK_TTL, blocking=False, thread_local=False)
        return self._lock

    def _hold(self) -> bool:
        from redis.exceptions import LockError, RedisError

        lock = self._client()
        if lock is None:
            return True
        try:
            if self._held:
                lock.reacquire()
            else:
                self._held = bool(lock.acquire())
                if self._held:
                    log.info("beat %s holds the scheduler lock", self._identity)
        except (LockError, RedisError) as exc:
            if self._held:
                log.warning("beat %s lost the scheduler lock: %s", self._identity, type(exc).__name__)
            self._held = False
        return self._held

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """Send due tasks if this beat holds the lock; wake often enough to keep (or take) it."""
        if not self._hold():
            return LOCK_TTL / 3
        return float(min(super().tick(*args, **kwargs), LOCK_TTL / 3))

    def close(self) -> None:
        """Release the lock on a clean shutdown, so a standby takes over at once."""
        if self._held and self._lock is not None:
            from redis.exceptions import LockError, RedisError

            with contextlib.suppress(LockError, RedisError):
                self._lock.release()
            self._held = False
        super().close()
