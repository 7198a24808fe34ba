"""Remember webhook deliveries for a while, so a repeated delivery is answered 200 and not ingested twice.

This only saves work: ingest is idempotent on the content hash and sync on the tracker search, so a
duplicate that slips past (an expired key, the in-memory fallback after a restart) creates no ticket.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any, Protocol

KEY_PREFIX = "followthrough:webhook:"


class Deduper(Protocol):
    def claim(self, kind: str, delivery: str, *, ttl: int) -> bool:
        """True the first time a delivery is seen within `ttl` seconds."""
        ...

    def release(self, kind: str, delivery: str) -> None:
        """Forget a delivery (its enqueue failed, so the sender's retry must go through)."""
        ...


def _key(kind: str, delivery: str) -> str:
    digest = hashlib.sha256(delivery.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{KEY_PREFIX}{kind}:{digest}"


class RedisDeduper:
    """SET NX with a TTL: shared by every receiver process."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def claim(self, kind: str, delivery: str, *, ttl: int) -> bool:
        return bool(self._client.set(_key(kind, delivery), b"1", nx=True, ex=ttl))

    def release(self, kind: str, delivery: str) -> None:
        self._client.delete(_key(kind, delivery))


class MemoryDeduper:
    """For one receiver process without Redis (embedded broker); forgotten on restart."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, kind: str, delivery: str, *, ttl: int) -> bool:
        now = time.monotonic()
        key = _key(kind, delivery)
        with self._lock:
            if len(self._seen) > 100_000:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
            if self._seen.get(key, 0.0) > now:
                return False
            self._seen[key] = now + ttl
            return True

    def release(self, kind: str, delivery: str) -> None:
        with self._lock:
            self._seen.pop(_key(kind, delivery), None)
