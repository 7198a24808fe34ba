"""A local stand-in for the Confluence REST APIs the postmortem source uses, Cloud or Data Center.

Followed documentation (developer.atlassian.com):
- Cloud v2: GET /wiki/api/v2/pages/{id} (`body-format=storage`; without it no body; `include-labels`;
  `version.number`, `version.createdAt`, `spaceId`), GET /wiki/api/v2/pages/{id}/labels and
  GET /wiki/api/v2/spaces?keys= (cursor pages, `_links.next` starting with /wiki).
- Cloud v1: GET /wiki/rest/api/search?cql= (results[].content, `expand=content.version`, cursor pages with
  `_links.next`), GET /wiki/rest/api/content/{id}/state (`contentState`), GET /wiki/rest/api/user/current.
- Data Center: GET /rest/api/content/{id}?expand=body.storage,version,space,metadata.labels,
  GET /rest/api/content/search?cql= (start/limit pages, `_links.next`), GET /rest/api/space/{key},
  GET /rest/api/user/current; admin webhooks signed with `X-Hub-Signature: sha256=<HMAC of the body>`.
- Contract writes (page update with the version plus one, footer comments): tests.standins.confluence_writes.
- Auth: Cloud Basic (email, API token); Data Center Bearer (personal access token). 429 with Retry-After.
CQL: `space = "K"`, `type = page`, `label = "x"`, `lastmodified > now("-Nm")` (or `>=`), joined by AND.
Search is eventually consistent: it sees each page as it was `search_lag` seconds ago.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from tests.standins.confluence_writes import ConfluenceWrites
from tests.standins.rest_base import Fail, Handler, Query, Reply, RestStandIn

_CLAUSE = re.compile(r'^\s*(space|type|label)\s*=\s*"?([^"]*?)"?\s*$|'
                     r'^\s*lastmodified\s*>=?\s*now\("-(\d+)m"\)\s*$')


@dataclass
class Snapshot:
    """A page as it was at `at` (search reads the one `search_lag` seconds old)."""

    at: float
    space: str
    labels: frozenset[str]
    title: str
    version: int


@dataclass
class Page:
    id: str
    space: str
    title: str
    body: str
    version: int = 1
    created: str = ""
    labels: set[str] = field(default_factory=set)
    status: str | None = None
    history: list[Snapshot] = field(default_factory=list)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


class ConfluenceStandIn(ConfluenceWrites, RestStandIn):
    """In-memory Confluence site; `edition` is "cloud" (paths under /wiki) or "datacenter"."""

    def __init__(self, *, edition: str = "cloud", spaces: tuple[str, ...] = ("OPS",),
                 email: str = "bot@example.com", api_token: str = "conf-token", pat: str = "conf-pat",
                 search_lag: float = 0.0, page_size: int = 2) -> None:
        super().__init__()
        self.edition, self.email, self.api_token, self.pat = edition, email, api_token, pat
        self.spaces = {key: str(1000 + n) for n, key in enumerate(spaces)}
        self.pages: dict[str, Page] = {}
        self.search_lag = search_lag
        self.page_size = page_size  # small, so pagination is exercised
        self.include_labels = True  # False: GET page ignores include-labels (labels only from /labels)
        # Page ids are unique per site: start anywhere, so stand-ins sharing one store never reuse one.
        self._next_id = 10_000 + secrets.randbelow(10**8) * 10
        self._init_writes()

    @property
    def base(self) -> str:
        """The URL a client is configured with (Cloud: .../wiki)."""
        return f"{self.url}/wiki" if self.edition == "cloud" else self.url

    # -- test controls ------------------------------------------------------------------------------
    def _snap(self, page: Page) -> None:
        snapshot = Snapshot(time.time(), page.space, frozenset(page.labels), page.title, page.version)
        page.history.append(snapshot)

    def create(self, space: str, title: str, body: str, *, labels: tuple[str, ...] = ()) -> str:
        with self.lock:
            self._next_id += 1
            page = Page(str(self._next_id), space, title, body, created=_iso(time.time()), labels=set(labels))
            self.pages[page.id] = page
            self._snap(page)
            return page.id

    def edit(self, page_id: str, body: str) -> int:
        with self.lock:
            page = self.pages[page_id]
            page.body, page.version, page.created = body, page.version + 1, _iso(time.time())
            self._snap(page)
            return page.version

    def label(self, page_id: str, name: str) -> None:
        """Add a label (no new version, and `lastmodified` does not move: as in Confluence)."""
        with self.lock:
            page = self.pages[page_id]
            page.labels.add(name)
            last = page.history[-1]
            page.history.append(Snapshot(time.time(), page.space, frozenset(page.labels), last.title,
                                         page.version))

    def event(self, secret: str, page_id: str, *, event: str = "page_updated",
              timestamp_ms: int | None = None) -> tuple[bytes, dict[str, str]]:
        """A Data Center webhook delivery for a page: its body and signed headers."""
        with self.lock:
            page = self.pages[page_id]
            payload = {"timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
                       "event": event, "userKey": "u1",
                       "page": {"id": int(page.id), "spaceKey": page.space, "title": page.title,
                                "version": page.version}}
        body = json.dumps(payload).encode()
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"X-Hub-Signature": f"sha256={digest}", "Content-Type": "application/json"}

    # -- auth ---------------------------------------------------------------------------------------
    def authorised(self, headers: Mapping[str, str]) -> bool:
        auth = headers.get("Authorization") or ""
        if self.edition == "cloud":
            expected = base64.b64encode(f"{self.email}:{self.api_token}".encode()).decode()
            return auth == f"Basic {expected}"
        return auth == f"Bearer {self.pat}"

    def routes(self) -> list[tuple[str, str, Handler]]:
        if self.edition == "cloud":
            return [
                ("GET", r"/wiki/api/v2/pages/(\d+)", self._v2_page),
                ("GET", r"/wiki/api/v2/pages/(\d+)/labels", self._v2_labels),
                ("GET", r"/wiki/api/v2/spaces", self._v2_spaces),
                ("GET", r"/wiki/rest/api/search", self._search),
                ("GET", r"/wiki/rest/api/content/(\d+)/state", self._state),
                ("GET", r"/wiki/rest/api/space/([^/]+)/state", self._space_states),
                ("GET", r"/wiki/rest/api/user/current", self._me),
                *self.write_routes(),
            ]
        return [
            ("GET", r"/rest/api/content/search", self._search),
            ("GET", r"/rest/api/content/(\d+)", self._dc_page),
            ("GET", r"/rest/api/space/([^/]+)", self._dc_space),
            ("GET", r"/rest/api/user/current", self._me),
        ]

    def _page(self, page_id: str) -> Page:
        page = self.pages.get(page_id)
        if page is None:
            raise Fail(404, {"statusCode": 404, "message": "No content found with id"})
        return page

    def _me(self, **_: Any) -> Reply:
        return Reply({"accountId": "bot", "email": self.email, "type": "known"})

    def _v2_page(self, page_id: str, *, query: Query, **_: Any) -> Reply:
        page = self._page(page_id)
        reply: dict[str, Any] = {"id": page.id, "status": "current", "title": page.title,
                                 "spaceId": self.spaces[page.space],
                                 "version": {"number": page.version, "createdAt": page.created}}
        if query.get("body-format", [""])[0] == "storage":
            reply["body"] = {"storage": {"representation": "storage", "value": page.body}}
        if query.get("include-labels", [""])[0] == "true" and self.include_labels:
            names = sorted(page.labels)
            reply["labels"] = {"results": [{"id": str(i), "name": n, "prefix": "global"}
                                           for i, n in enumerate(names[:50])],
                               "meta": {"hasMore": len(names) > 50, "cursor": ""}}
        return Reply(reply)

    def _v2_labels(self, page_id: str, *, query: Query, **_: Any) -> Reply:
        names = sorted(self._page(page_id).labels)
        start = int(query.get("cursor", ["0"])[0])
        chunk = names[start:start + self.page_size]
        links = {}
        if start + self.page_size < len(names):
            links["next"] = f"/wiki/api/v2/pages/{page_id}/labels?cursor={start + self.page_size}"
        return Reply({"results": [{"name": n, "prefix": "global"} for n in chunk], "_links": links})

    def _v2_spaces(self, *, query: Query, **_: Any) -> Reply:
        keys = [k for value in query.get("keys", []) for k in value.split(",") if k]
        found = [{"id": sid, "key": key, "name": key} for key, sid in self.spaces.items() if key in keys]
        return Reply({"results": found, "_links": {}})

    def _space_states(self, key: str, **_: Any) -> Reply:
        if key not in self.spaces:
            raise Fail(404, {"statusCode": 404, "message": "No space with key"})
        names = ("Rough draft", "In progress", "Ready for review", "Verified")
        return Reply([{"id": n, "name": name, "color": "#000"} for n, name in enumerate(names)])

    def _state(self, page_id: str, **_: Any) -> Reply:
        page = self._page(page_id)
        return Reply({"contentState": {"id": 1, "name": page.status, "color": "#000"}} if page.status else {})

    def _dc_page(self, page_id: str, *, query: Query, **_: Any) -> Reply:
        page = self._page(page_id)
        expand = set(query.get("expand", [""])[0].split(","))
        reply: dict[str, Any] = {"id": page.id, "type": "page", "status": "current", "title": page.title}
        if "space" in expand:
            reply["space"] = {"key": page.space, "id": int(self.spaces[page.space])}
        if "version" in expand:
            reply["version"] = {"number": page.version, "when": page.created}
        if "body.storage" in expand:
            reply["body"] = {"storage": {"value": page.body, "representation": "storage"}}
        if "metadata.labels" in expand:
            reply["metadata"] = {"labels": {"results": [{"prefix": "global", "name": n}
                                                        for n in sorted(page.labels)]}}
        return Reply(reply)

    def _dc_space(self, key: str, **_: Any) -> Reply:
        if key not in self.spaces:
            raise Fail(404, {"statusCode": 404, "message": "No space with key"})
        return Reply({"key": key, "id": int(self.spaces[key]), "name": key})

    # -- CQL search -----------------------------------------------------------------------------------
    def _matches(self, cql: str) -> list[Page]:
        wanted: dict[str, str] = {}
        minutes: int | None = None
        for clause in re.split(r"\s+AND\s+", cql, flags=re.IGNORECASE):
            match = _CLAUSE.match(clause)
            if match is None:
                raise Fail(400, {"statusCode": 400, "message": f"Could not parse cql : {cql}"})
            if match.group(3):
                minutes = int(match.group(3))
            else:
                wanted[match.group(1)] = match.group(2)
        seen_at = time.time() - self.search_lag
        found = []
        for page in self.pages.values():
            snaps = [s for s in page.history if s.at <= seen_at]
            if not snaps:
                continue  # not indexed yet
            snap = snaps[-1]
            # When this version was made: a label added later does not move `lastmodified`.
            edited = next(s.at for s in snaps if s.version == snap.version)
            if wanted.get("space") not in (None, snap.space) or wanted.get("type") not in (None, "page"):
                continue
            if "label" in wanted and wanted["label"] not in snap.labels:
                continue
            if minutes is not None and edited < time.time() - minutes * 60:
                continue
            found.append((page, snap))
        return [page for page, _ in sorted(found, key=lambda pair: pair[0].id)]

    def _search(self, *, query: Query, **_: Any) -> Reply:
        cql = query.get("cql", [""])[0]
        limit = min(int(query.get("limit", ["25"])[0]), self.page_size)
        start = int(query.get("cursor", query.get("start", ["0"]))[0])
        pages = self._matches(cql)
        chunk = pages[start:start + limit]
        path = "/rest/api/search" if self.edition == "cloud" else "/rest/api/content/search"
        links: dict[str, str] = {}
        if start + limit < len(pages):
            key = "cursor" if self.edition == "cloud" else "start"
            expand = query.get("expand", [""])[0]
            params = {"cql": cql, "limit": limit, key: start + limit, "expand": expand}
            links["next"] = f"{path}?{urlencode(params)}"
        if self.edition == "cloud":
            results = [{"content": {"id": p.id, "type": "page", "title": p.title,
                                    "version": {"number": p.version}},
                        "title": p.title, "lastModified": p.created} for p in chunk]
        else:
            results = [{"id": p.id, "type": "page", "title": p.title, "version": {"number": p.version}}
                       for p in chunk]
        return Reply({"results": results, "size": len(results), "_links": links})
