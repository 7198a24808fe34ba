"""An eventually consistent search index for the stand-ins: searches see each write only after a lag.

Jira documents `search/jql` as eventually consistent (a write can be missing from searches for seconds,
sometimes minutes; bulk writes take longest), and GitHub serves lists from replicas. Every write is
snapshotted with the time it becomes searchable: `lag` seconds later, plus up to `jitter` more drawn from
a seeded generator. A search sees, per issue, the newest snapshot already visible (an issue with none is
not found at all). With `lag == jitter == 0` (the default) searches read the live state.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Callable
from typing import Any


class SearchIndex:
    """Delayed snapshots of issues, keyed by issue key; thread-safe."""

    def __init__(
        self,
        *,
        lag: float = 0.0,
        jitter: float = 0.0,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lag = lag
        self.jitter = jitter
        self._rng = random.Random(seed)
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshots: dict[str, list[tuple[float, dict[str, Any]]]] = {}

    @property
    def lagging(self) -> bool:
        return self.lag > 0 or self.jitter > 0

    def set_lag(self, lag: float, *, jitter: float = 0.0, seed: int | None = None) -> None:
        """Change the lag of writes from now on (earlier writes keep the time they were given)."""
        with self._lock:
            self.lag, self.jitter = lag, jitter
            if seed is not None:
                self._rng = random.Random(seed)

    def touch(self, key: str, fields: dict[str, Any]) -> None:
        """Record a write of this issue: searchable once its lag has passed."""
        with self._lock:
            if not self.lagging:
                self._snapshots.pop(key, None)  # no lag: searches read the live issue
                return
            delay = self.lag + (self._rng.uniform(0.0, self.jitter) if self.jitter > 0 else 0.0)
            now = self._clock()
            versions = self._snapshots.setdefault(key, [])
            versions.append((now + delay, copy.deepcopy(fields)))
            visible = [i for i, (t, _) in enumerate(versions) if t <= now]
            if len(visible) > 1:  # older visible versions can never be seen again
                versions[:] = [v for i, v in enumerate(versions) if i not in set(visible[:-1])]

    def view(self, key: str, live: dict[str, Any]) -> dict[str, Any] | None:
        """What a search sees of this issue now: the newest visible write, or None when none is yet."""
        with self._lock:
            versions = self._snapshots.get(key)
            if versions is None:
                return live  # written with no lag (or before any lag was set): already indexed
            now = self._clock()
            seen: dict[str, Any] | None = None
            for visible, fields in versions:  # in write order: the last visible write wins
                if visible <= now:
                    seen = fields
            return seen
