"""A per-document parse-time budget, and a deterministic count of the text the parser's regexes scan.

Every regex in the parser runs in linear time on bounded input, so the budget is a second line of defence:
a document whose parse runs past it is refused with a ParseError instead of holding a worker slot. The
stages call `check()` between blocks, rows and sentences; `charge(n)` counts characters handed to the
regex-bearing helpers, which the complexity tests read as a measure of work that does not depend on the
machine's speed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from worker.parse.errors import ParseError

DEFAULT_BUDGET_SECONDS = 10.0  # a 900 KB document takes 1-3 s on a busy 2-core worker


@dataclass(slots=True)
class Budget:
    """The deadline of one parse and the work counted so far."""

    seconds: float
    deadline: float
    scanned: int = 0  # characters handed to regex-bearing helpers
    checks: int = 0
    ticks: int = 0  # steps counted by third-party parsers' hooks (see tick)


_CURRENT: ContextVar[Budget | None] = ContextVar("followthrough_parse_budget", default=None)


@contextmanager
def budget(seconds: float) -> Iterator[Budget]:
    """Run a parse under a time budget of `seconds`; nested uses keep the outer budget."""
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    current = Budget(seconds=seconds, deadline=time.monotonic() + seconds)
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)


def check() -> None:
    """Raise ParseError when the current parse has used up its budget."""
    current = _CURRENT.get()
    if current is None:
        return
    current.checks += 1
    if time.monotonic() > current.deadline:
        raise ParseError(
            f"the document took longer than the {current.seconds:g}-second parse budget"
            " (FOLLOWTHROUGH_PARSE_BUDGET_SECONDS); it was not read"
        )


def charge(chars: int) -> None:
    """Count `chars` characters of regex work (the complexity tests' measure), then check the clock."""
    current = _CURRENT.get()
    if current is None:
        return
    current.scanned += chars
    check()


_TICKS_PER_CHECK = 512  # reading the clock on every step of markdown-it's inline loop would cost ~10%


def tick() -> None:
    """Count one step of a third-party parser (markdown-it's block and inline rules call this through a
    hook); the clock is read every few hundred steps, so a library's own loops respect the budget too."""
    current = _CURRENT.get()
    if current is None:
        return
    current.ticks += 1
    if current.ticks % _TICKS_PER_CHECK == 0:
        check()
