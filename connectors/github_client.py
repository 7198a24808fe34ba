"""Build the PyGithub client: token auth, a retry policy that cannot duplicate writes, no hidden waits.

PyGithub's default `GithubRetry` retries POST on any 5xx (10 times, no backoff), so a lost response
becomes a duplicate issue, and it waits out a primary rate limit for up to an hour inside the call.
`SafeGithubRetry` retries only reads, and raises instead of sleeping longer than `max_rate_limit_wait`.
Write spacing is our injected `WriteThrottle`'s job (shared across processes), not PyGithub's
per-process `seconds_between_writes`.
"""

from __future__ import annotations

import json
import math
from typing import Any

import github
from github import Auth, GithubRetry, RateLimitExceededExceedsMaxWait
from urllib3.response import BaseHTTPResponse

from config.settings import ConfigError, Settings
from connectors.instrument import instrument_github

#: Only reads are retried by the HTTP layer: a retried POST/PATCH whose first response was lost would
#: write twice. Writes are retried by the sync pipeline with search-then-create instead.
RETRYABLE_METHODS = frozenset({"GET", "HEAD"})


class SafeGithubRetry(GithubRetry):
    """GithubRetry for reads only, which never sleeps longer than `max_rate_limit_wait` for a limit."""

    def __init__(self, *, max_rate_limit_wait: float = 30.0, **kwargs: Any) -> None:
        kwargs.setdefault("total", 3)
        kwargs.setdefault("backoff_factor", 0.5)
        kwargs.setdefault("allowed_methods", RETRYABLE_METHODS)
        # Hand the last 5xx response back to PyGithub (which raises GithubException with its status)
        # instead of urllib3's MaxRetryError, so the error mapping sees the status code.
        kwargs.setdefault("raise_on_status", False)
        kwargs.setdefault("secondary_rate_wait", 60.0)
        super().__init__(max_rate_limit_wait=max_rate_limit_wait, **kwargs)

    def increment(self, method: str | None = None, url: str | None = None, *args: Any, **kwargs: Any) -> Any:
        # urllib3 sleeps a `Retry-After` of any length (429/503, and 403 via GithubRetry); refuse long ones.
        response = kwargs.get("response") or (args[0] if args else None)
        if isinstance(response, BaseHTTPResponse) and self.max_rate_limit_wait is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_rate_limit_wait:
                raise RateLimitExceededExceedsMaxWait(
                    response.status, _json_body(response, url or ""), dict(response.headers), wait=wait
                )
        return super().increment(method, url, *args, **kwargs)


def connect_github(
    settings: Settings,
    *,
    timeout: float = 30,
    max_wait: float = 30.0,
    read_retries: int = 3,
    read_backoff: float = 0.5,
    seconds_between_requests: float = 0.0,
) -> github.Github:
    """A PyGithub client for GITHUB_API_URL authenticated with GITHUB_TOKEN (ConfigError when it is unset)."""
    token = settings.github_token.get_secret_value() if settings.github_token else ""
    if not token.strip():
        raise ConfigError("GITHUB_TOKEN is not set: a GitHub token is needed to create and read issues")
    instrument_github()  # calls counted by status for /metrics
    return github.Github(
        auth=Auth.Token(token.strip()),
        base_url=settings.github_api_url,
        # PyGithub only accepts whole seconds here.
        timeout=max(1, math.ceil(timeout)),
        retry=SafeGithubRetry(max_rate_limit_wait=max_wait, total=read_retries, backoff_factor=read_backoff),
        per_page=100,
        seconds_between_requests=seconds_between_requests or None,
        seconds_between_writes=None,
        # Lazy objects let us PATCH or comment on `owner/repo#12` without first GETting the repo and issue.
        lazy=True,
    )


def _json_body(response: BaseHTTPResponse, url: str) -> Any:
    try:
        return json.loads(GithubRetry.get_content(response, url))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None
