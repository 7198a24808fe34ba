"""Our own error classes for every outside system.

Vendor exceptions are mapped to these at the connector boundary, so retry policy (Celery) keys off
these classes and never off vendor types or message strings.
"""

from __future__ import annotations

from typing import Any


class TrackerError(Exception):
    """Base class: a tracker call failed. `retryable` tells the worker whether to try again."""

    retryable: bool = False


class RateLimited(TrackerError):
    """The tracker asked us to slow down; `retry_after` is seconds to wait before the next call."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[object, ...]:
        # Celery pickles the exception of a retry; without this it falls back to TrackerError.
        return (_rate_limited, (str(self), self.retry_after))


def _rate_limited(message: str, retry_after: float) -> RateLimited:
    return RateLimited(message, retry_after=retry_after)


class Transient(TrackerError):
    """A 5xx, a timeout or a dropped connection: the same call may succeed later."""

    retryable = True


class AuthError(TrackerError):
    """Credentials are missing, wrong or lack permission."""


class NotFound(TrackerError):
    """The project, repository, issue or user does not exist."""


class Invalid(TrackerError):
    """The tracker rejected the request's content; `reason` carries the tracker's own explanation."""


class Conflict(TrackerError):
    """A guarded write found the document changed since it was read (a stale sha or version)."""


def from_http_status(status: int, headers: Any, what: str, *, rate_limited: tuple[int, ...] = (429,),
                     not_found: str = "not found") -> TrackerError:
    """The connector error of a vendor's HTTP status; a rate limit carries its Retry-After (else 60 s)."""
    if status in rate_limited:
        return RateLimited(f"{what}: rate limited", retry_after=_retry_after(headers))
    if status in (401, 403):
        return AuthError(f"{what}: HTTP {status}")
    if status == 404:
        return NotFound(f"{what}: {not_found}")
    if status == 0 or status >= 500:
        return Transient(f"{what}: HTTP {status or 'error'}")
    return Invalid(f"{what}: HTTP {status}")


def _retry_after(headers: Any) -> float:
    try:  # the vendors' header mappings are case-insensitive, a plain dict is not
        value = headers.get("Retry-After", headers.get("retry-after", 60))
        return max(0.0, float(value))
    except (TypeError, ValueError, AttributeError):
        return 60.0
