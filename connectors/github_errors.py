"""Map PyGithub, requests and urllib3 failures to `connectors.errors` at the GitHub boundary.

Rate limits follow docs.github.com "Rate limits for the REST API": a 403 or 429 with `retry-after`
(seconds), or with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds), or a 403 whose
message says a secondary rate limit was exceeded (then wait at least one minute).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3.exceptions
from github import GithubException, RateLimitExceededExceedsMaxWait
from github.Requester import Requester

from connectors.errors import AuthError, Invalid, NotFound, RateLimited, TrackerError, Transient

#: docs.github.com: "If the retry-after header is not present ... wait for at least one minute".
SECONDARY_LIMIT_WAIT = 60.0


@contextmanager
def github_errors(action: str, *, clock: Callable[[], float] = time.time) -> Iterator[None]:
    """Run a PyGithub call and re-raise any failure as a `TrackerError` naming `action`."""
    try:
        yield
    except TrackerError:
        raise
    except GithubException as exc:
        raise map_github_exception(exc, action, clock=clock) from exc
    except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
        raise Transient(f"{action}: GitHub did not answer in time") from exc
    except (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError) as exc:
        raise Transient(f"{action}: connection to GitHub failed ({type(exc).__name__})") from exc


def map_github_exception(
    exc: GithubException, action: str, *, clock: Callable[[], float] = time.time
) -> TrackerError:
    """The `TrackerError` for one PyGithub exception (status, headers and body inspected)."""
    status = exc.status
    headers = _lower(exc.headers)
    message = _message(exc)
    if isinstance(exc, RateLimitExceededExceedsMaxWait):
        wait = exc.wait if exc.wait is not None else rate_limit_wait(headers, message, clock=clock)
        return RateLimited(f"{action}: GitHub rate limit, retry in {wait:.0f}s", retry_after=wait or 1.0)
    if status in (403, 429):
        wait = rate_limit_wait(headers, message, clock=clock)
        if wait is not None:
            return RateLimited(f"{action}: GitHub rate limit, retry in {wait:.0f}s", retry_after=wait)
        if status == 429:
            return RateLimited(f"{action}: GitHub rate limit (429)", retry_after=SECONDARY_LIMIT_WAIT)
        return AuthError(f"{action}: GitHub refused access (403): {message}")
    if status == 401:
        return AuthError(f"{action}: GitHub rejected the credentials (401); check GITHUB_TOKEN")
    if status in (404, 410):
        return NotFound(f"{action}: not found on GitHub ({status})")
    if status in (400, 422):
        return Invalid(
            f"{action}: GitHub rejected the request ({status}): {validation_reason(exc.data, message)}"
        )
    if status is not None and status >= 500:
        return Transient(f"{action}: GitHub server error ({status})")
    return Invalid(f"{action}: unexpected GitHub answer ({status}): {message}")


def rate_limit_wait(
    headers: Mapping[str, str], message: str, *, clock: Callable[[], float] = time.time
) -> float | None:
    """Seconds to wait if this response is a rate limit, else None."""
    retry_after = headers.get("retry-after")
    if retry_after:
        parsed = _parse_retry_after(retry_after, clock=clock)
        if parsed is not None:
            return parsed
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        return max(float(headers["x-ratelimit-reset"]) - clock(), 0.0) + 1.0
    if Requester.isRateLimitError(message):
        return SECONDARY_LIMIT_WAIT
    return None


def validation_reason(data: Any, fallback: str) -> str:
    """GitHub's own explanation from a 422 body: the `errors` entries, else the message."""
    if not isinstance(data, dict):
        return fallback or "no reason given"
    reasons: list[str] = []
    for error in data.get("errors") or ():
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                str(error[k]) for k in ("resource", "field", "code") if error.get(k)
            )
            if error.get("value") is not None and "message" not in error:
                text += f" ({error['value']})"
            reasons.append(str(text))
        else:
            reasons.append(str(error))
    base = str(data.get("message") or fallback or "invalid request")
    return f"{base}: {'; '.join(reasons)}" if reasons else base


def _parse_retry_after(value: str, *, clock: Callable[[], float]) -> float | None:
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - clock(), 0.0)
    except (TypeError, ValueError):
        return None


def _lower(headers: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return exc.message or ""
