"""When to try a task again: exponential backoff with jitter, or the tracker's own Retry-After."""

from __future__ import annotations

import random
from collections.abc import Callable

from connectors.errors import RateLimited, TrackerError, Transient

#: The only tracker errors worth another attempt; auth, not-found and invalid fail at once.
RETRYABLE: tuple[type[TrackerError], ...] = (RateLimited, Transient)

BASE_DELAY = 5.0


def countdown_for(
    exc: BaseException,
    retries: int,
    *,
    cap: float,
    rand: Callable[[float, float], float] = random.uniform,
) -> float:
    """Seconds to wait before attempt `retries + 1`: never earlier than a Retry-After, never over `cap`."""
    if isinstance(exc, RateLimited):
        # Jitter goes on top, so workers told the same Retry-After do not return in one burst.
        base = max(0.0, exc.retry_after)
        return min(cap, base + rand(0.0, min(30.0, 1.0 + base * 0.1)))
    delay = min(cap, BASE_DELAY * (2 ** max(0, retries)))
    # "Full jitter" over the upper half keeps the backoff growing while spreading workers out.
    return min(cap, rand(delay / 2, delay))
