"""Read postmortem reviews from Jira (the `jira` library): one issue's description, or every approved one.

The client's own retries are off (`max_retries=0`) and failures are mapped to connectors.errors, so the
Celery task decides when to try again. Search uses `/rest/api/3/search/jql` (`enhanced_search_issues`);
the old search endpoint answers 410 on Cloud.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from config.settings import Settings
from config.sources import JiraSource
from connectors.errors import (
    AuthError,
    Invalid,
    Transient,
    from_http_status,
)
from connectors.sources import Document, JiraIssue

T = TypeVar("T")
_TIMEOUT = 15


@contextmanager
def _mapped(what: str) -> Iterator[None]:
    try:
        yield
    except JIRAError as exc:
        headers = getattr(exc.response, "headers", None) or {}
        raise from_http_status(exc.status_code or 0, headers, what) from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise Transient(f"{what}: {type(exc).__name__}") from None




def _jira_time(value: Any) -> datetime | None:
    """Jira's `updated` ("2026-01-02T03:04:05.678+0000") as an aware datetime; None if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def build_client(settings: Settings) -> JIRA:
    """A jira client for reads, without the library's own retries."""
    if not settings.jira_url:
        raise AuthError("JIRA_URL is not set")
    auth: dict[str, Any] = {}
    if settings.jira_pat is not None:
        auth["token_auth"] = settings.jira_pat.get_secret_value()
    elif settings.jira_email and settings.jira_api_token is not None:
        auth["basic_auth"] = (settings.jira_email, settings.jira_api_token.get_secret_value())
    with _mapped("jira"):
        return JIRA(server=settings.jira_url, max_retries=0, timeout=_TIMEOUT, **auth)


class JiraReader:
    """Fetch postmortem reviews from one Jira site."""

    def __init__(self, settings: Settings, *, client: JIRA | None = None) -> None:
        self._settings = settings
        self._client: JIRA | None = client

    def _jira(self) -> JIRA:
        if self._client is None:
            self._client = build_client(self._settings)
        return self._client

    def _call(self, what: str, func: Callable[[], T]) -> T:
        with _mapped(what):
            return func()

    def fetch(self, ref: JiraIssue) -> Document:
        """The issue's description (wiki markup from API v2) as the postmortem text."""
        limit = self._settings.max_document_bytes

        def read() -> Document:
            issue = self._jira().issue(ref.key, fields="summary,description,updated")
            text = issue.fields.description or ""
            content = str(text).encode("utf-8")
            if len(content) > limit:
                raise Invalid(f"{ref}: {len(content)} bytes is over max_document_bytes ({limit})")
            return Document(content=content, source=ref, filename=f"{ref.key}.jira",
                            title=str(issue.fields.summary or "") or None,
                            version=_jira_time(getattr(issue.fields, "updated", None)))

        return self._call(str(ref), read)

    def approved(self, source: JiraSource) -> list[JiraIssue]:
        """Every issue the configured JQL finds (all pages)."""

        def search() -> list[JiraIssue]:
            found = self._jira().enhanced_search_issues(source.search_jql(), maxResults=0, fields="summary")
            if found is None:
                # The library returns None when it does not know it talks to Cloud.
                raise Invalid("Jira search/jql is unavailable on this server")
            return [JiraIssue(str(issue.key)) for issue in found]

        return self._call("jira search", search)

    def approved_times(self, source: JiraSource) -> list[tuple[JiraIssue, datetime | None]]:
        """Every issue the configured JQL finds, with when it was approved (resolved, else last updated)."""

        def search() -> list[tuple[JiraIssue, datetime | None]]:
            found = self._jira().enhanced_search_issues(source.search_jql(), maxResults=0,
                                                        fields="summary,updated,resolutiondate")
            if found is None:
                raise Invalid("Jira search/jql is unavailable on this server")
            return [(JiraIssue(str(issue.key)),
                     _jira_time(getattr(issue.fields, "resolutiondate", None))
                     or _jira_time(getattr(issue.fields, "updated", None))) for issue in found]

        return self._call("jira search", search)
