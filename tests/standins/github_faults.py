"""Fault injection for the GitHub stand-in: scripted rules plus a seeded random mode.

Kinds, and what the client sees:
- "429": 429 with `retry-after` and a secondary-limit message (docs.github.com "Rate limits for the REST
  API");
- "403-secondary": 403 with the secondary-limit message and no `retry-after` (client must wait >= 60 s);
- "ratelimit-exhausted": 403 "API rate limit exceeded", `x-ratelimit-remaining: 0` and `x-ratelimit-reset`;
- "500", "502", "503": server errors (502 with an HTML body, as a proxy would send);
- "timeout": no answer until `timeout_delay` passes, then the connection closes; nothing is committed;
- "reset": the connection is reset without a reply; nothing is committed;
- "lost_response": the request is carried out and committed, then the connection drops before the reply.
"""

from __future__ import annotations

import random as random_module
import re
import threading
from collections.abc import Collection
from dataclasses import dataclass

FAULT_KINDS = (
    "429",
    "403-secondary",
    "ratelimit-exhausted",
    "500",
    "502",
    "503",
    "timeout",
    "reset",
    "lost_response",
)


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    retry_after: float


@dataclass(slots=True)
class _Rule:
    method: str
    pattern: re.Pattern[str]
    kind: str
    remaining: int | None
    retry_after: float


class Faults:
    """Decides, per request, whether and how the stand-in misbehaves; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._rng: random_module.Random | None = None
        self._rate = 0.0
        self._kinds: tuple[str, ...] = FAULT_KINDS
        self._methods: frozenset[str] | None = None
        self._random_retry_after = 1.0
        #: Seconds a "timeout" fault holds the request before closing it (clients should give up first).
        self.timeout_delay = 3.0
        #: Every fault injected so far, as (method, path, kind).
        self.injected: list[tuple[str, str, str]] = []

    def add(
        self,
        method: str,
        path_regex: str,
        kind: str,
        *,
        times: int | None = 1,
        retry_after: float = 60.0,
    ) -> None:
        """Fail the next `times` requests (None: all) whose method and path match; `method` may be "*"."""
        _check_kind(kind)
        with self._lock:
            self._rules.append(_Rule(method.upper(), re.compile(path_regex), kind, times, retry_after))

    def random(
        self,
        *,
        rate: float = 0.2,
        seed: int | None = None,
        kinds: Collection[str] = FAULT_KINDS,
        methods: Collection[str] | None = None,
        retry_after: float = 1.0,
    ) -> None:
        """Fail a `rate` share of requests (optionally only these methods) with a kind drawn from `kinds`."""
        for kind in kinds:
            _check_kind(kind)
        with self._lock:
            self._rng = random_module.Random(seed)
            self._rate = rate
            self._kinds = tuple(kinds)
            self._methods = frozenset(m.upper() for m in methods) if methods is not None else None
            self._random_retry_after = retry_after

    def clear(self) -> None:
        """Remove every rule and switch the random mode off."""
        with self._lock:
            self._rules.clear()
            self._rng = None
            self._rate = 0.0

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any (consumes one use of a matching rule)."""
        with self._lock:
            fault = self._from_rules(method, path) or self._from_random(method)
            if fault is not None:
                self.injected.append((method, path, fault.kind))
            return fault

    def _from_rules(self, method: str, path: str) -> Fault | None:
        for rule in self._rules:
            if rule.remaining == 0 or rule.method not in ("*", method) or not rule.pattern.search(path):
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
            return Fault(rule.kind, rule.retry_after)
        return None

    def _from_random(self, method: str) -> Fault | None:
        if self._rng is None or (self._methods is not None and method not in self._methods):
            return None
        if self._rng.random() >= self._rate:
            return None
        return Fault(self._rng.choice(self._kinds), self._random_retry_after)


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
