"""Our own error classes for every outside system.

Vendor exceptions are mapped to these at the connector boundary, so retry policy (Celery) keys off
these classes and never off vendor types or message strings.
"""

from __future__ import annotations


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
