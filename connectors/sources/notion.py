"""Read postmortem pages from Notion (notion-client): one page as Markdown, or every approved page.

A page is a postmortem when its parent is a configured database; it is approved when the configured
status (or select) property holds the approved value. Its version is `last_edited_time`.
The page body is read block by block (`blocks.children.list`, 100 a page, one level a call, so nested
blocks are read recursively) and rendered to Markdown (connectors.sources.notion_render).
notion-client retries 429s and 5xxs itself with sleeps inside the call; that is off (`retry=False`), and
every failure is mapped to connectors.errors (429 and 529 with their Retry-After), so the Celery task
decides when to try again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import httpx
from notion_client import Client
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from config.settings import Settings
from config.sources import NotionSource
from connectors.errors import (
    AuthError,
    Invalid,
    NotFound,
    Transient,
    from_http_status,
)
from connectors.payload import iso_time
from connectors.sources import Document, NotConfigured, NotionPage
from connectors.sources.notion_render import Block, page_markdown, rich_text

_TIMEOUT_MS = 15_000
#: Nested block levels read below the page, and blocks read in all: a page past either is refused
#: rather than read for ever (a postmortem is a few hundred blocks).
MAX_DEPTH = 8
MAX_BLOCKS = 5_000
#: Block types whose children are other pages or databases, never part of this page's text.
_FOREIGN = frozenset({"child_page", "child_database", "link_to_page"})


@dataclass(frozen=True, slots=True)
class PageState:
    """A page as the database query lists it: its id and version."""

    page: NotionPage
    last_edited: datetime | None


@contextmanager
def _mapped(what: str) -> Iterator[None]:
    try:
        yield
    except HTTPResponseError as exc:
        # 529: Notion's "overloaded", answered with a Retry-After too; a 404 is also a page not shared.
        raise from_http_status(exc.status, exc.headers, what, rate_limited=(429, 529),
                               not_found="not found (or not shared with the integration)") from None
    except (RequestTimeoutError, httpx.TransportError) as exc:
        raise Transient(f"{what}: {type(exc).__name__}") from None






def page_title(page: dict[str, Any]) -> str | None:
    """The text of the page's title property."""
    for prop in (page.get("properties") or {}).values():
        if isinstance(prop, dict) and prop.get("type") == "title":
            return rich_text(prop.get("title") or []) or None
    return None


def page_database(page: dict[str, Any]) -> str | None:
    """The id of the database a page belongs to (directly or through one of its data sources)."""
    parent = page.get("parent") or {}
    database = parent.get("database_id")
    return str(database) if database else None


def status_value(page: dict[str, Any], prop_name: str) -> str | None:
    """The name the page's status or select property holds, or None."""
    prop = (page.get("properties") or {}).get(prop_name)
    if not isinstance(prop, dict):
        return None
    value = prop.get(str(prop.get("type")))
    return str(value.get("name")) if isinstance(value, dict) and value.get("name") else None


def _list_children(block_id: str, query: dict[str, Any], client: Client) -> Any:
    return client.blocks.children.list(block_id, **query)


def _query_source(data_source: str, body: dict[str, Any], client: Client) -> Any:
    return client.data_sources.query(data_source, **body)


def build_client(settings: Settings) -> Client:
    """A notion-client without its own retries (the task retries, honouring Retry-After)."""
    if settings.notion_token is None:
        raise AuthError("NOTION_TOKEN is not set")
    return Client(auth=settings.notion_token.get_secret_value(), base_url=settings.notion_api_url,
                  timeout_ms=_TIMEOUT_MS, retry=False, log_level=logging.WARNING)


class NotionReader:
    """Fetch postmortem pages from one Notion workspace (the integration's)."""

    def __init__(self, settings: Settings, *, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client
        #: Requests made, for the calls-per-postmortem figure.
        self.calls = 0

    def _notion(self) -> Client:
        if self._client is None:
            self._client = build_client(self._settings)
        return self._client

    def _call(self, what: str, func: Callable[[Client], Any]) -> dict[str, Any]:
        client = self._notion()
        self.calls += 1
        with _mapped(what):
            reply = func(client)
        if not isinstance(reply, dict):  # the sync client answers JSON objects only
            raise Invalid(f"{what}: not a JSON object")
        return reply

    def _source(self) -> NotionSource:
        source = self._settings.sources.notion
        if source is None:
            raise NotConfigured("no Notion source is configured")
        return source

    def fetch(self, ref: NotionPage) -> Document:
        """The page as Markdown, with its version and whether it is approved; refuses other databases."""
        source = self._source()
        page = self._call(str(ref), lambda c: c.pages.retrieve(ref.page))
        if not source.has_database(page_database(page)):
            raise NotConfigured(f"{ref}: not a page of a configured Notion database")
        if page.get("in_trash") or page.get("archived"):
            raise NotFound(f"{ref}: the page is in the trash")
        title = page_title(page)
        text = page_markdown(title, self.blocks(ref.page, str(ref))).encode("utf-8")
        limit = self._settings.max_document_bytes
        if len(text) > limit:
            raise Invalid(f"{ref}: {len(text)} bytes is over max_document_bytes ({limit})")
        approved = status_value(page, source.status_property) == source.approved_status
        return Document(content=text, source=ref, filename=f"{ref.page}.md", title=title,
                        version=iso_time(page.get("last_edited_time")), approved=approved)

    def blocks(self, block_id: str, what: str) -> list[Block]:
        """Every block below `block_id`, children attached, within MAX_DEPTH and MAX_BLOCKS."""
        budget = [MAX_BLOCKS]
        return self._children(block_id, what, 0, budget)

    def _children(self, block_id: str, what: str, depth: int, budget: list[int]) -> list[Block]:
        blocks: list[Block] = []
        cursor: str | None = None
        while True:
            kwargs: dict[str, Any] = {"page_size": 100, **({"start_cursor": cursor} if cursor else {})}
            reply = self._call(what, partial(_list_children, block_id, kwargs))
            blocks += [b for b in reply.get("results", []) if isinstance(b, dict)]
            budget[0] -= len(reply.get("results", []))
            if budget[0] < 0:
                raise Invalid(f"{what}: more than {MAX_BLOCKS} blocks")
            cursor = reply.get("next_cursor") if reply.get("has_more") else None
            if not cursor:
                break
        for block in blocks:
            if block.get("has_children") and block.get("type") not in _FOREIGN:
                if depth + 1 > MAX_DEPTH:
                    raise Invalid(f"{what}: blocks nested deeper than {MAX_DEPTH} levels")
                block["children"] = self._children(str(block["id"]), what, depth + 1, budget)
        return blocks

    def data_sources(self, database_id: str) -> list[str]:
        """The data sources of a database (Notion-Version 2025-09-03: a database holds one or more)."""
        reply = self._call(f"notion database {database_id}", lambda c: c.databases.retrieve(database_id))
        sources = reply.get("data_sources", [])
        return [str(ds["id"]) for ds in sources if isinstance(ds, dict) and ds.get("id")]

    def me(self) -> dict[str, Any]:
        """The integration's bot user (checks the token)."""
        return self._call("notion token", lambda c: c.users.me())

    def schema(self, data_source_id: str) -> dict[str, Any]:
        """A data source's properties, by name."""
        reply = self._call(f"notion data source {data_source_id}",
                           lambda c: c.data_sources.retrieve(data_source_id))
        properties = reply.get("properties")
        return properties if isinstance(properties, dict) else {}

    def property_type(self, data_source_id: str, name: str) -> str | None:
        """The type of a data source's property (`status` or `select` for the approval rule), or None."""
        prop = self.schema(data_source_id).get(name)
        return str(prop.get("type")) if isinstance(prop, dict) else None

    def approved_pages(self, source: NotionSource) -> list[PageState]:
        """Every approved page of the configured databases with its `last_edited_time`, newest first."""
        found: list[PageState] = []
        for database in source.databases:
            for data_source in self.data_sources(database):
                kind = self.property_type(data_source, source.status_property) or "status"
                query = {"filter": {"property": source.status_property,
                                    kind: {"equals": source.approved_status}},
                         "sorts": [{"timestamp": "last_edited_time", "direction": "descending"}]}
                found += self._query(data_source, query)
        return found

    def _query(self, data_source: str, query: dict[str, Any]) -> list[PageState]:
        pages: list[PageState] = []
        cursor: str | None = None
        while True:
            body = {**query, "page_size": 100, **({"start_cursor": cursor} if cursor else {})}
            reply = self._call(f"notion query {data_source}",
                               partial(_query_source, data_source, body))
            for page in reply.get("results", []):
                if isinstance(page, dict) and page.get("object") == "page" and page.get("id"):
                    pages.append(PageState(NotionPage(str(page["id"]).replace("-", "").lower()),
                                           iso_time(page.get("last_edited_time"))))
            cursor = reply.get("next_cursor") if reply.get("has_more") else None
            if not cursor:
                return pages
