"""What one sync reports: a row per item (`ItemResult`) and the run's outcome (`SyncResult`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from connectors.errors import RateLimited, TrackerError


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What happened to one item (one row of `followthrough sync`)."""

    fingerprint: str
    title: str
    tracker: str | None
    ticket: str | None  # ticket key
    assignee: str | None
    owner_resolution: str  # directory | alias | account-id | tracker | fallback:... | needs-owner | -
    result: str  # created updated unchanged skipped failed pending removed conflict missing planned-*
    reason: str
    ticket_url: str | None = None


@dataclass(frozen=True, slots=True)
class SyncResult:
    """The outcome of one sync of one postmortem."""

    postmortem_key: str
    team: str
    dry_run: bool
    items: tuple[ItemResult, ...]
    #: The first retryable failure (RateLimited carries retry_after); None when nothing needs a retry.
    retry_error: TrackerError | None = None
    #: Why this was a dry run when nobody asked for one (no tracker credentials), else "".
    dry_run_reason: str = ""

    def counts(self) -> dict[str, int]:
        """Number of items per result."""
        return dict(Counter(item.result for item in self.items))

    @property
    def failed(self) -> bool:
        return any(item.result in ("failed", "pending") for item in self.items)

    def needs_owner(self) -> int:
        """How many live items have no owner that could be assigned (their tickets carry needs-owner)."""
        return sum(
            1
            for item in self.items
            if item.owner_resolution == "needs-owner" and item.result not in ("skipped", "removed")
        )


def describe(exc: BaseException | None) -> str:
    """An error as a result row's reason shows it."""
    if exc is None:
        return "no answer"
    if isinstance(exc, RateLimited):
        return f"rate limited, retry after {exc.retry_after:.0f}s"
    return f"{type(exc).__name__}: {exc}"


def join(a: str, b: str) -> str:
    """Two reasons as one."""
    return f"{a}; {b}" if a else b
