"""Map what the `jira` client raises (JIRAError, requests exceptions) to `connectors.errors`.

This is the only place that looks at Jira status codes and rate-limit headers, so retry policy elsewhere
keys off our own classes. Messages are built from the status and Jira's own error text, never from
`str(JIRAError)`, which dumps request and response headers.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from jira.exceptions import JIRAError

from connectors.errors import AuthError, Invalid, NotFound, RateLimited, TrackerError, Transient

#: Wait used when a 429 carries neither Retry-After nor X-RateLimit-Reset.
DEFAULT_RETRY_AFTER = 10.0


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP-date) or X-RateLimit-Reset (ISO 8601 or epoch)."""
    current = time.time() if now is None else now
    retry_after = _header(headers, "Retry-After")
    if retry_after:
        seconds = _seconds(retry_after)
        if seconds is not None:
            return seconds
        when = _http_date(retry_after)
        if when is not None:
            return max(0.0, when - current)
    reset = _header(headers, "X-RateLimit-Reset")
    if reset:
        # developer.atlassian.com/cloud/jira/platform/rate-limiting/: an ISO 8601 timestamp
        # (yyyy-MM-ddTHH:mmZ); other vendors send epoch seconds, accept both.
        seconds = _seconds(reset)
        if seconds is not None:
            return max(0.0, seconds - current) if seconds > 1e9 else seconds
        when = _iso_date(reset)
        if when is not None:
            return max(0.0, when - current)
    return None


def jira_reason(response: requests.Response | None, fallback: str = "") -> str:
    """Jira's own explanation from an error body: errorMessages plus field errors ("field: message")."""
    if response is None:
        return fallback
    try:
        data: Any = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:300] if text else fallback
    return reason_from_body(data) or fallback


def reason_from_body(data: Any) -> str:
    """Join `errorMessages` and `errors` of a Jira error document into one line."""
    if not isinstance(data, dict):
        return ""
    parts: list[str] = []
    messages = data.get("errorMessages")
    if isinstance(messages, list):
        parts.extend(str(m) for m in messages if m)
    errors = data.get("errors")
    if isinstance(errors, dict):
        parts.extend(f"{name}: {message}" for name, message in errors.items())
    for key in ("message", "errorMessage"):
        if not parts and isinstance(data.get(key), str):
            parts.append(data[key])
    return "; ".join(parts)


def map_jira_error(exc: BaseException, *, action: str) -> TrackerError:
    """Translate one client exception into our error classes; `action` says what we were doing."""
    if isinstance(exc, TrackerError):
        return exc
    if isinstance(exc, requests.Timeout):
        return Transient(f"Jira {action}: timed out")
    if isinstance(exc, requests.RequestException):
        # Connection refused or reset, or the connection dropped before a response came back.
        return Transient(f"Jira {action}: connection failed ({type(exc).__name__})")
    if isinstance(exc, JIRAError):
        return _from_status(exc.status_code, exc.response, exc.text or "", action=action)
    if isinstance(exc, json.JSONDecodeError | KeyError):
        return Transient(f"Jira {action}: unexpected response ({type(exc).__name__})")
    raise exc


def _from_status(
    status: int | None, response: requests.Response | None, text: str, *, action: str
) -> TrackerError:
    reason = jira_reason(response, fallback=text)
    headers: Mapping[str, str] = response.headers if response is not None else {}
    where = f"Jira {action}: HTTP {status}"
    message = f"{where}: {reason}" if reason else where
    if status == 429:
        wait = parse_retry_after(headers)
        return RateLimited(message, retry_after=DEFAULT_RETRY_AFTER if wait is None else wait)
    if status == 503 and _header(headers, "Retry-After"):
        wait = parse_retry_after(headers)
        return RateLimited(message, retry_after=DEFAULT_RETRY_AFTER if wait is None else wait)
    if status is None or status >= 500:
        return Transient(message)
    if status in (401, 403):
        return AuthError(message)
    if status in (404, 410):
        return NotFound(message)
    return Invalid(message)


@contextmanager
def jira_errors(action: str) -> Iterator[None]:
    """Run a block of client calls, raising only `connectors.errors` classes out of it."""
    try:
        yield
    except (JIRAError, requests.RequestException, json.JSONDecodeError, KeyError) as exc:
        raise map_jira_error(exc, action=action) from None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        # Plain dicts (tests, other callers) are not case-insensitive like requests' headers.
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value.strip() if isinstance(value, str) else None


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value)
    except ValueError:
        return None
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def _http_date(value: str) -> float | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _iso_date(value: str) -> float | None:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()
