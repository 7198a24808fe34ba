"""When to try a task again, for every task: exponential backoff with jitter, or the tracker's Retry-After.

One rule for the pipeline tasks (base 5 s, capped by `max_retry_countdown_seconds`) and the follow-up
tasks (base 1 min, capped at 30 min). Celery's own `autoretry_for`/`retry_backoff` is not used: its
`retry_jitter` draws the wait from [0, delay], so a retry may come straight back (here the jitter spans
the upper half, so the backoff keeps growing), and every task also has a wait Celery cannot compute (a
Retry-After, a document already being synced, a report channel still claimed by a killed worker), so the
tasks call `self.retry(countdown=countdown_for(...))` themselves, in one style.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from connectors.errors import RateLimited, TrackerError, Transient

#: The only tracker errors worth another attempt; auth, not-found and invalid fail at once.
RETRYABLE: tuple[type[TrackerError], ...] = (RateLimited, Transient)

#: First wait of the pipeline tasks (seconds); doubled on each attempt.
BASE_DELAY = 5.0


def countdown_for(
    exc: BaseException,
    retries: int,
    *,
    cap: float,
    base: float = BASE_DELAY,
    rand: Callable[[float, float], float] = random.uniform,
) -> float:
    """Seconds to wait before attempt `retries + 1`: never earlier than a Retry-After, never over `cap`."""
    if isinstance(exc, RateLimited):
        # Jitter goes on top, so workers told the same Retry-After do not return in one burst.
        wait = max(0.0, exc.retry_after)
        return min(cap, wait + rand(0.0, min(30.0, 1.0 + wait * 0.1)))
    delay = min(cap, base * (2 ** max(0, retries)))
    # "Full jitter" over the upper half keeps the backoff growing while spreading workers out.
    return min(cap, rand(delay / 2, delay))
