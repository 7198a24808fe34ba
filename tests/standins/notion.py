"""A local stand-in for the Notion API (Notion-Version 2025-09-03) that notion-client talks to.

Follows developers.notion.com/reference: retrieve a page (`parent.database_id`, `properties`,
`last_edited_time`, 404 `object_not_found` for a page not shared with the integration), retrieve block
children (`page_size` <= 100, `start_cursor`, `has_more`, `next_cursor`, one level a call), retrieve a
database (`data_sources[]`), retrieve a data source (`properties` schema), query a data source (a
`status`/`select` `equals` filter, `last_edited_time` sorts, cursor pagination), `GET /v1/users/me`,
429 `rate_limited` with `Retry-After`, and webhooks: `verification_token` on subscribe, then events
signed `X-Notion-Signature: sha256=<hex HMAC-SHA256 of the body, keyed by the token>`.
Contract writes (block updates, comments): tests.standins.notion_writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.standins.http_base import HttpError, Reply, StandInServer
from tests.standins.notion_writes import NotionWrites

VERSION = "2025-09-03"


def text(value: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": value}, "plain_text": value, "href": None}]


def block(kind: str, value: str = "", *, children: list[dict[str, Any]] | None = None,
          **extra: Any) -> dict[str, Any]:
    """A block of `kind` with rich text `value` (and nested `children`)."""
    body: dict[str, Any] = {"rich_text": text(value), **extra} if kind != "divider" else {}
    return {"type": kind, kind: body, "children": children or []}


def table(rows: list[list[str]]) -> dict[str, Any]:
    cells = [{"type": "table_row", "table_row": {"cells": [text(c) for c in row]}, "children": []}
             for row in rows]
    return {"type": "table", "table": {"table_width": len(rows[0]), "has_column_header": True},
            "children": cells}


def postmortem_blocks(title: str, items: int) -> list[dict[str, Any]]:
    """A postmortem as blocks: summary and an action-item table (owners from tests' directory)."""
    rows = [["Action", "Owner", "Due", "Priority"]] + [
        [f"Follow-up action number {n} for {title}", f"{'ann' if n % 2 else 'bob'}@example.com",
         f"2030-01-{1 + n % 28:02d}", f"P{1 + n % 3}"] for n in range(1, items + 1)]
    return [block("paragraph", "Owner: Ann Example"), block("heading_2", "Summary"),
            block("paragraph", "The service was down."), block("heading_2", "Action items"), table(rows)]


def dashed(compact: str) -> str:
    return str(uuid.UUID(compact))


@dataclass(slots=True)
class Page:
    id: str
    database: str
    title: str
    status: str
    blocks: list[dict[str, Any]]
    shared: bool = True
    edited: datetime = field(default_factory=lambda: datetime.now(UTC))


class NotionStandIn(NotionWrites, StandInServer):
    """In-memory databases (one data source each), pages and blocks."""

    def __init__(self, *, token: str = "secret_notion", status_property: str = "Status",
                 options: tuple[str, ...] = ("Draft", "In review", "Approved")) -> None:
        super().__init__()
        self.token = token
        self.status_property = status_property
        self.options = options
        self.databases: dict[str, str] = {}  # database id -> data source id (compact hex)
        self.pages: dict[str, Page] = {}
        self.blocks: dict[str, dict[str, Any]] = {}  # block id -> block (children as ids)
        self.bot_id = dashed(uuid.uuid4().hex)
        self.verification_token = "secret_" + uuid.uuid4().hex
        self._clock = datetime(2030, 1, 1, tzinfo=UTC)
        self._init_writes()

    def authorised(self, headers: Any) -> bool:
        return bool(headers.get("Authorization") == f"Bearer {self.token}")

    def unauthorised(self) -> Reply:
        return Reply(401, {"object": "error", "status": 401, "code": "unauthorized",
                           "message": "API token is invalid."})

    def throttled(self, retry_after: int) -> Reply:
        return Reply(429, {"object": "error", "status": 429, "code": "rate_limited",
                           "message": "You have been rate limited."}, (("Retry-After", str(retry_after)),))

    # --- test helpers --------------------------------------------------------------------------
    def tick(self) -> datetime:
        """A strictly later edit time (Notion rounds to the minute; the stand-in steps a minute), or the
        same one while `same_minute` is set (edits within one minute: `last_edited_time` does not move)."""
        if not self.same_minute:
            self._clock += timedelta(minutes=1)
        return self._clock

    def add_database(self) -> str:
        database, data_source = uuid.uuid4().hex, uuid.uuid4().hex
        with self.lock:
            self.databases[database] = data_source
        return database

    def _store_blocks(self, blocks: list[dict[str, Any]]) -> list[str]:
        ids = []
        for item in blocks:
            block_id = uuid.uuid4().hex
            children = self._store_blocks(item.get("children") or [])
            self.blocks[block_id] = {**{k: v for k, v in item.items() if k != "children"},
                                     "id": dashed(block_id), "object": "block",
                                     "has_children": bool(children), "child_ids": children}
            ids.append(block_id)
        return ids

    def add_page(self, database: str, title: str, blocks: list[dict[str, Any]], *,
                 status: str = "Draft") -> str:
        page_id = uuid.uuid4().hex
        with self.lock:
            self.blocks[page_id] = {"child_ids": self._store_blocks(blocks)}
            self.pages[page_id] = Page(page_id, database, title, status, blocks, edited=self.tick())
        return page_id

    def edit(self, page_id: str, *, status: str | None = None,
             blocks: list[dict[str, Any]] | None = None) -> None:
        with self.lock:
            page = self.pages[page_id]
            if status is not None:
                page.status = status
            if blocks is not None:
                self.blocks[page_id] = {"child_ids": self._store_blocks(blocks)}
            page.edited = self.tick()

    def event(self, page_id: str, kind: str = "page.properties_updated", *,
              author_type: str = "person", author_id: str | None = None,
              token: str | None = None) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery about a page: its body and the signed headers."""
        body = json.dumps({
            "id": str(uuid.uuid4()), "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "workspace_id": str(uuid.uuid4()), "subscription_id": str(uuid.uuid4()),
            "integration_id": str(uuid.uuid4()), "type": kind, "attempt_number": 1,
            "authors": [{"id": author_id or str(uuid.uuid4()), "type": author_type}],
            "entity": {"id": dashed(page_id), "type": "page"}, "data": {},
        }).encode()
        key = (token or self.verification_token).encode()
        signature = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        return body, {"X-Notion-Signature": signature, "Content-Type": "application/json"}

    # --- API --------------------------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/v1/pages/([0-9a-f-]+)", "GET", self._page),
            (r"/v1/blocks/([0-9a-f-]+)/children", "GET", self._children),
            (r"/v1/databases/([0-9a-f-]+)", "GET", self._database),
            (r"/v1/data_sources/([0-9a-f-]+)", "GET", self._data_source),
            (r"/v1/data_sources/([0-9a-f-]+)/query", "POST", self._query),
            (r"/v1/users/me", "GET", self._me),
            *self.write_routes(),
        ]

    @staticmethod
    def _missing(kind: str, given: str) -> HttpError:
        return HttpError(404, {"object": "error", "status": 404, "code": "object_not_found",
                               "message": f"Could not find {kind} with ID: {given}. Make sure the relevant "
                                          "pages and databases are shared with your integration."})

    def _page_json(self, page: Page) -> dict[str, Any]:
        edited = page.edited.isoformat().replace("+00:00", "Z")
        return {"object": "page", "id": dashed(page.id), "created_time": edited, "last_edited_time": edited,
                "in_trash": False, "archived": False,
                "parent": {"type": "data_source_id", "data_source_id": dashed(self.databases[page.database]),
                           "database_id": dashed(page.database)},
                "properties": {"Name": {"id": "title", "type": "title", "title": text(page.title)},
                               self.status_property: {"id": "st", "type": "status",
                                                      "status": {"id": "x", "name": page.status}}},
                "url": f"https://www.notion.so/{page.id}"}

    def _page(self, given: str, **_: Any) -> Reply:
        self.fire_page_hooks()
        page = self.pages.get(given.replace("-", ""))
        if page is None or not page.shared:
            raise self._missing("page", given)
        return Reply(200, self._page_json(page))

    def _children(self, given: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        parent = self.blocks.get(given.replace("-", ""))
        owner = self.pages.get(given.replace("-", ""))
        if parent is None or (owner is not None and not owner.shared):
            raise self._missing("block", given)
        size = min(100, int((query.get("page_size") or ["100"])[0]))
        start = int((query.get("start_cursor") or ["0"])[0])
        ids = parent["child_ids"]
        chunk = [{k: v for k, v in self.blocks[i].items() if k != "child_ids"}
                 for i in ids[start:start + size]]
        more = start + size < len(ids)
        return Reply(200, {"object": "list", "results": chunk, "has_more": more,
                           "next_cursor": str(start + size) if more else None, "type": "block", "block": {}})

    def _database(self, given: str, **_: Any) -> Reply:
        data_source = self.databases.get(given.replace("-", ""))
        if data_source is None:
            raise self._missing("database", given)
        return Reply(200, {"object": "database", "id": dashed(given.replace("-", "")),
                           "data_sources": [{"id": dashed(data_source), "name": "Postmortems"}]})

    def _data_source(self, given: str, **_: Any) -> Reply:
        if given.replace("-", "") not in self.databases.values():
            raise self._missing("data source", given)
        options = [{"id": str(n), "name": name} for n, name in enumerate(self.options)]
        return Reply(200, {"object": "data_source", "id": given, "properties": {
            "Name": {"id": "title", "type": "title", "title": {}},
            self.status_property: {"id": "st", "type": "status", "status": {"options": options}}}})

    def _query(self, given: str, *, payload: Any, **_: Any) -> Reply:
        source = given.replace("-", "")
        database = next((d for d, s in self.databases.items() if s == source), None)
        if database is None:
            raise self._missing("data source", given)
        wanted = _equals(payload.get("filter") or {})
        pages = [p for p in self.pages.values() if p.database == database and p.shared
                 and (wanted is None or (p.status == wanted[1] and wanted[0] == self.status_property))]
        pages.sort(key=lambda p: p.edited, reverse=True)
        size = min(100, int(payload.get("page_size") or 100))
        start = int(payload.get("start_cursor") or 0)
        more = start + size < len(pages)
        results = [self._page_json(p) for p in pages[start:start + size]]
        return Reply(200, {"object": "list", "results": results,
                           "has_more": more, "next_cursor": str(start + size) if more else None,
                           "type": "page_or_data_source"})

    def _me(self, **_: Any) -> Reply:
        return Reply(200, {"object": "user", "id": self.bot_id, "type": "bot", "name": "Followthrough",
                           "bot": {"workspace_name": "Acme"}})


def _equals(condition: dict[str, Any]) -> tuple[str, str] | None:
    """The (property, value) of a `status`/`select` `equals` filter, or None."""
    for kind in ("status", "select"):
        if kind in condition:
            return str(condition.get("property")), str(condition[kind].get("equals"))
    if condition:
        raise HttpError(400, {"object": "error", "status": 400, "code": "validation_error",
                              "message": "unsupported filter"})
    return None
