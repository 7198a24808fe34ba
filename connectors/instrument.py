"""Count tracker HTTP calls at the transport: a requests adapter that records each call's status.

Nothing in the vendor clients is patched: the `jira` client's session gets this adapter mounted (its
public `requests.Session.mount`), and PyGithub builds its connections from the classes registered with
its `Requester.injectConnectionClasses`, which here differ from its own only by mounting this adapter.
A call that gets no response (refused, reset, timed out) is counted with status "error".
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

from config.metrics import RATE_LIMIT_WAIT_SECONDS, RATE_LIMIT_WAITS, TRACKER_CALLS, status_label


class CountingAdapter(HTTPAdapter):
    """An HTTPAdapter that counts every call it sends, by tracker and HTTP status."""

    def __init__(self, tracker: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tracker = tracker

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            response = super().send(request, *args, **kwargs)
        except Exception:
            TRACKER_CALLS.labels(tracker=self.tracker, status="error").inc()
            raise
        TRACKER_CALLS.labels(tracker=self.tracker, status=status_label(response.status_code)).inc()
        return response


def instrument_session(session: requests.Session, tracker: str) -> None:
    """Count the calls this session sends (keeps requests' default adapter settings)."""
    adapter = CountingAdapter(tracker)
    session.mount("https://", adapter)
    session.mount("http://", adapter)


def instrument_github() -> None:
    """Make PyGithub open counted connections (process-wide; safe to call again)."""
    from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester

    class CountedHTTPS(HTTPSRequestsConnectionClass):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.adapter = CountingAdapter("github", max_retries=self.retry,
                                           pool_connections=self.pool_size, pool_maxsize=self.pool_size)
            self.session.mount("https://", self.adapter)

    class CountedHTTP(HTTPRequestsConnectionClass):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.adapter = CountingAdapter("github", max_retries=self.retry,
                                           pool_connections=self.pool_size, pool_maxsize=self.pool_size)
            self.session.mount("http://", self.adapter)

    global _github_instrumented
    if not _github_instrumented:
        Requester.injectConnectionClasses(CountedHTTP, CountedHTTPS)
        _github_instrumented = True


_github_instrumented = False


def record_wait(seconds: float, *, source: str = "throttle") -> None:
    """Count one wait forced by a rate limit or write budget."""
    RATE_LIMIT_WAITS.labels(source=source).inc()
    if seconds > 0:
        RATE_LIMIT_WAIT_SECONDS.labels(source=source).inc(seconds)
