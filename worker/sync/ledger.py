"""One sync run's bookkeeping: each item's result row, in-process retries, and the error to retry after.

Every write of a run (create, update, comment, restore) reports through one `Ledger`, so a long rate limit
seen by any of them stops the rest (`stop`), and the result carries the longest wait the worker's retry
must honour (`retry_error`). A rate limit longer than `MAX_INLINE_WAIT` is never slept here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from connectors.errors import RateLimited, TrackerError
from connectors.factory import MAX_INLINE_WAIT
from worker.sync.plan import Step
from worker.sync.results import ItemResult, describe

#: In-process attempts for one sync's creates, updates and comments before handing over to a retry.
MAX_ATTEMPTS = 3
#: Pause before attempt n (seconds): short, the worker's retry does the long waits.
BACKOFF = (0.0, 0.2, 0.5)


class Ledger:
    """The result rows and retry state of one sync run."""

    def __init__(self, tracker_kind: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.tracker_kind = tracker_kind
        self.sleep = sleep
        self.results: dict[str, ItemResult] = {}
        #: Set only for items left pending: the error the worker's retry should wait out.
        self.retry_error: TrackerError | None = None
        self.stop: RateLimited | None = None  # a long rate limit: no more calls in this run
        self.last_error: TrackerError | None = None

    def backoff(self, attempt: int) -> None:
        """Pause before in-process attempt `attempt` (the first goes at once)."""
        if attempt:
            self.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])

    # --- rows -----------------------------------------------------------------------------------

    def row(
        self, step: Step, result: str, reason: str, *, key: str | None = None, url: str | None = None
    ) -> ItemResult:
        resolution = step.resolution
        return ItemResult(
            fingerprint=step.fingerprint,
            title=step.title,
            tracker=self.tracker_kind,
            ticket=key or step.ticket_key,
            assignee=(step.desired.assignee if step.desired else None)
            if result.startswith("planned") or result in ("created", "updated")
            else (
                step.ticket.fields.assignee if step.ticket else (resolution.assignee if resolution else None)
            ),
            owner_resolution=resolution.how if resolution else "-",
            result=result,
            reason=reason,
            ticket_url=url or step.ticket_url,
        )

    def done(
        self, step: Step, result: str, reason: str, *, key: str | None = None, url: str | None = None
    ) -> None:
        self.results[step.fingerprint] = self.row(step, result, reason, key=key, url=url)

    def failed(self, step: Step, error: TrackerError) -> None:
        if error.retryable:
            self.pending(step, error, "")
        else:
            self.done(step, "failed", describe(error))

    def pending(self, step: Step, error: TrackerError | None, what: str) -> None:
        """Leave an item for the next attempt; the result's retry_error tells the worker when."""
        if error is not None and _longer_wait(error, self.retry_error):
            self.retry_error = error
        detail = f"{what} ({describe(error)})" if what else describe(error)
        self.done(step, "pending", f"{detail}; will retry")

    # --- retries --------------------------------------------------------------------------------

    def retryable(self, exc: TrackerError) -> bool:
        """Whether to try again in-process; a long rate limit is recorded for the worker instead."""
        if not exc.retryable:
            return False
        self.last_error = exc
        if isinstance(exc, RateLimited):
            if exc.retry_after <= MAX_INLINE_WAIT:
                self.sleep(exc.retry_after)
            else:
                self.stop = exc
        return True

    def call(
        self, call: Callable[[], None], *, before_retry: Callable[[], bool] | None = None
    ) -> TrackerError | None:
        """Run an idempotent write with bounded retries; return the error that stopped it, if any."""
        error: TrackerError | None = None
        for attempt in range(MAX_ATTEMPTS):
            if self.stop is not None:
                return self.stop
            if attempt:
                self.backoff(attempt)
                try:
                    if before_retry is not None and before_retry():
                        return None
                except TrackerError as exc:
                    if not self.retryable(exc):
                        return exc
                    error = exc
                    continue
            try:
                call()
                return None
            except TrackerError as exc:
                error = exc
                if not self.retryable(exc):
                    return exc
        return error


def _longer_wait(new: TrackerError, old: TrackerError | None) -> bool:
    """Whether `new` should replace `old` as the error the worker's retry waits out."""
    if old is None:
        return True
    if isinstance(new, RateLimited):
        return not isinstance(old, RateLimited) or new.retry_after > old.retry_after
    return False
