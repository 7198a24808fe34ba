"""One python-gitlab connection (gitlab.com or self-managed) and the mapping of its failures.

python-gitlab hides two loops: `obey_rate_limit` (on by default, and only settable per call) sleeps
through 429s inside the call up to ten times, and `retry_transient_errors` sends a request again after a
5xx or a dropped connection, a POST included, which creates a second issue when only the answer was lost.
Both are off here. Our own requests session has a response hook that turns a 429 into `_Throttled`
before the library sees the status (so it never sleeps), keeping the server's Retry-After, which the
library's exceptions drop; it becomes RateLimited. Transient retries are off, and the callers decide when
to try again (the tracker's creates settle and search first, as worker/sync does for Jira and GitHub).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gitlab
import requests
from gitlab.exceptions import GitlabAuthenticationError, GitlabError

from config.settings import Settings
from connectors.errors import AuthError, Invalid, NotFound, RateLimited, TrackerError, Transient
from connectors.instrument import instrument_session

DEFAULT_RETRY_AFTER = 60.0


class _Throttled(Exception):
    """A 429, raised from the session's response hook so python-gitlab never sleeps on it."""

    def __init__(self, retry_after: str | None) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


class Connection:
    """A Gitlab client with no hidden retries, and a count of the requests it made."""

    def __init__(self, settings: Settings, *, timeout: float) -> None:
        if settings.gitlab_token is None:
            raise AuthError("GITLAB_TOKEN is not set")
        self.calls = 0
        session = requests.Session()
        session.hooks["response"].append(self._count_and_throttle)
        instrument_session(session, "gitlab")  # calls counted by status for /metrics
        self.gl = gitlab.Gitlab(settings.gitlab_url, private_token=settings.gitlab_token.get_secret_value(),
                                timeout=timeout, session=session, per_page=100,
                                retry_transient_errors=False, keep_base_url=True)

    def _count_and_throttle(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        if response.status_code == 429:
            raise _Throttled(response.headers.get("Retry-After"))

    @contextmanager
    def mapped(self, what: str) -> Iterator[None]:
        """Turn python-gitlab and requests failures into connectors.errors classes."""
        try:
            yield
        except _Throttled as exc:
            raise RateLimited(f"{what}: rate limited", retry_after=_seconds(exc.retry_after)) from None
        except GitlabAuthenticationError:
            raise AuthError(f"{what}: HTTP 401") from None
        except GitlabError as exc:
            raise self.from_status(exc.response_code or 0, what, exc.error_message) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(f"{what}: {type(exc).__name__}") from None

    def from_status(self, status: int, what: str, message: Any = None) -> TrackerError:
        if status == 429:
            return RateLimited(f"{what}: rate limited", retry_after=DEFAULT_RETRY_AFTER)
        if status in (401, 403):
            return AuthError(f"{what}: HTTP {status}")
        if status == 404:
            return NotFound(f"{what}: not found")
        if status == 0 or status >= 500:
            return Transient(f"{what}: HTTP {status or 'error'}")
        reason = str(message)[:200] if message else f"HTTP {status}"
        return Invalid(f"{what}: {reason}")
