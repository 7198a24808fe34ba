"""Fault injection for the Jira stand-in: planned faults (`add`) and a seeded random mode (`random`).

Kinds:
- "429": Too Many Requests with Retry-After (and X-RateLimit-* headers), as
  developer.atlassian.com/cloud/jira/platform/rate-limiting/ describes.
- "500", "502", "503" (503 carries Retry-After when one is given), "401", "403", "404".
- "timeout": hang longer than the client's timeout, then drop the connection; nothing is done.
- "reset": drop the connection (TCP RST) without doing anything or answering.
- "lost_response": do the request (a create is committed), then drop the connection instead of
  answering: the case that makes naive retries create duplicates.
"""

from __future__ import annotations

import random as _random
import re
import threading
from dataclasses import dataclass, field

KINDS = ("429", "500", "502", "503", "401", "403", "404", "timeout", "reset", "lost_response")
#: What `random()` draws from unless told otherwise: the faults a healthy client must survive.
RANDOM_KINDS = ("429", "500", "502", "503", "timeout", "reset", "lost_response")


@dataclass
class Fault:
    method: str  # "POST", or "*" for any
    path: re.Pattern[str]
    kind: str
    times: int = 1
    retry_after: str | None = "1"
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0  # let this many matching requests through first

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and self.path.search(path) is not None


@dataclass(frozen=True)
class Injected:
    """A fault that was actually served."""

    method: str
    path: str
    kind: str


class FaultPlan:
    """Thread-safe list of faults to serve; `injected` records every fault served, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._planned: list[Fault] = []
        self._rng: _random.Random | None = None
        self._rate = 0.0
        self._random_kinds: tuple[str, ...] = RANDOM_KINDS
        self._random_path: re.Pattern[str] = re.compile("")
        self._random_methods: frozenset[str] | None = None
        self.injected: list[Injected] = []

    def add(
        self,
        method: str,
        path_regex: str,
        kind: str,
        *,
        times: int = 1,
        retry_after: str | None = "1",
        headers: dict[str, str] | None = None,
        after: int = 0,
    ) -> Fault:
        """Serve `kind` to `times` requests whose method and path (regex search) match, after `after`."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
        fault = Fault(
            method.upper(), re.compile(path_regex), kind, times, retry_after, dict(headers or {}), after
        )
        with self._lock:
            self._planned.append(fault)
        return fault

    def random(
        self,
        *,
        rate: float = 0.2,
        seed: int | None = None,
        kinds: tuple[str, ...] = RANDOM_KINDS,
        path_regex: str = "",
        methods: tuple[str, ...] | None = None,
    ) -> None:
        """Fault a `rate` share of matching requests, choosing kinds with a seeded generator."""
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}")
        with self._lock:
            self._rng = _random.Random(seed)
            self._rate = rate
            self._random_kinds = kinds
            self._random_path = re.compile(path_regex)
            self._random_methods = frozenset(m.upper() for m in methods) if methods else None

    def clear(self) -> None:
        """Stop every planned and random fault."""
        with self._lock:
            self._planned.clear()
            self._rng = None
            self._rate = 0.0

    @property
    def pending(self) -> int:
        """How many planned faults are still to be served."""
        with self._lock:
            return sum(f.times for f in self._planned)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault to serve for this request, if any (planned faults first)."""
        with self._lock:
            for fault in self._planned:
                if fault.matches(method, path):
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    fault.times -= 1
                    if fault.times <= 0:
                        self._planned.remove(fault)
                    self.injected.append(Injected(method, path, fault.kind))
                    return fault
            if self._rng is not None and self._rate > 0:
                if self._random_methods is not None and method not in self._random_methods:
                    return None
                if self._random_path.search(path) is None:
                    return None
                if self._rng.random() < self._rate:
                    kind = self._rng.choice(self._random_kinds)
                    self.injected.append(Injected(method, path, kind))
                    return Fault(method, re.compile(""), kind)
        return None
