"""Write throttles for trackers with secondary rate limits (GitHub: >= 1 s between writes, <= 80/min).

A throttle is injected into a connector. `LocalWriteThrottle` is for a single process (the CLI);
the worker injects a Redis token bucket shared by every worker process (see `worker/tasks/pipeline.py`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from connectors.errors import RateLimited


class WriteThrottle(Protocol):
    def acquire(self) -> None:
        """Block until one write may go out, or raise RateLimited if the wait would exceed the bound."""
        ...


class LocalWriteThrottle:
    """In-process limiter: at least `min_interval` s between writes and at most `per_minute` a minute."""

    def __init__(
        self,
        *,
        min_interval: float = 1.0,
        per_minute: int = 80,
        max_wait: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._min_interval = min_interval
        self._per_minute = per_minute
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            while self._sent and now - self._sent[0] >= 60.0:
                self._sent.popleft()
            wait = 0.0
            if self._sent:
                wait = max(wait, self._sent[-1] + self._min_interval - now)
            if len(self._sent) >= self._per_minute:
                wait = max(wait, self._sent[0] + 60.0 - now)
            if wait > self._max_wait:
                raise RateLimited("write budget exhausted", retry_after=wait)
            if wait > 0:
                from connectors.instrument import record_wait  # loads prometheus-client only when waiting

                record_wait(wait)
                self._sleep(wait)
            self._sent.append(now + max(wait, 0.0))


class NoThrottle:
    """For trackers without a write limit of their own, and for the stand-in servers in tests."""

    def acquire(self) -> None:
        return None
