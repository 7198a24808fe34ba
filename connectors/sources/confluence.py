"""Read postmortem pages from Confluence Cloud (v2 pages API) and Data Center (content API).

Pages come in storage format (the parser reads it). A page is a postmortem when it sits in a configured
space and carries that space's approval: a label, or (Cloud) a page status. Polling is CQL search by
space, approval and a `lastmodified` window; it is the trigger on Cloud (no admin webhooks there) and the
reconcile sweep on both editions. atlassian-python-api does the HTTP: its own backoff and its hidden
Retry-After sleep are off, so a 429 becomes RateLimited (with Retry-After) and the Celery task decides
when to try again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from atlassian.confluence.cloud.cloud import ConfluenceCloud
from atlassian.confluence.server import Server as ConfluenceServer
from atlassian.errors import ApiError

from config.settings import Settings
from config.sources import ConfluenceSource, ConfluenceSpace
from connectors.errors import (
    AuthError,
    Invalid,
    NotFound,
    Transient,
    from_http_status,
)
from connectors.payload import iso_time
from connectors.sources import ConfluencePage, Document
from connectors.sources.refusals import NotApproved, OutsideSource

_TIMEOUT = 15
#: Space key -> id per site and configured keys, for the life of the process: a space's id never
#: changes, and without it every Cloud page read would cost a second call.
_SPACE_IDS: dict[tuple[str, str], dict[str, str]] = {}
_SPACE_IDS_GUARD = threading.Lock()
#: Results per search page (Confluence caps search pages lower on some sites; `_links.next` is followed).
_PAGE = 100


@contextmanager
def _mapped(what: str) -> Iterator[None]:
    """Turn the library's and requests' failures into connector errors."""
    try:
        yield
    except requests.HTTPError as exc:
        response = exc.response
        status = response.status_code if response is not None else 0
        headers = response.headers if response is not None else {}
        raise from_http_status(status, headers, what) from None
    except ApiError:  # the library's wording for a 404 of a page
        raise NotFound(f"{what}: not found") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise Transient(f"{what}: {type(exc).__name__}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise Invalid(f"{what}: unexpected reply ({type(exc).__name__})") from None






def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def space_cql(space: ConfluenceSpace, *, minutes: int | None) -> str:
    """The CQL of one space's candidate pages, edited within the last `minutes` (None: all of them)."""
    cql = f"space = {_quote(space.key)} AND type = page"
    if space.approval == "label":
        cql += f" AND label = {_quote(space.label)}"
    if minutes is not None:
        # Relative to the server's clock: no time zone (CQL dates are in the user's zone) and no skew.
        cql += f' AND lastmodified > now("-{minutes}m")'
    return cql


@dataclass(frozen=True, slots=True)
class _Page:
    """What one page read returns, whatever the edition."""

    id: str
    title: str
    space_key: str
    body: str
    number: int
    created: datetime | None
    labels: tuple[str, ...]


def build_client(settings: Settings, source: ConfluenceSource,
                 session: requests.Session | None = None) -> Any:
    """The library client of the edition: the v2 client on Cloud, the Server client on Data Center."""
    # The library sleeps out a 429's Retry-After and retries once by default (`retry_with_header`), inside
    # a worker slot; off, so the Celery task's countdown does the waiting.
    common: dict[str, Any] = {"timeout": _TIMEOUT, "backoff_and_retry": False, "retry_with_header": False,
                              "session": session}
    if source.edition == "cloud":
        if not settings.confluence_email or settings.confluence_api_token is None:
            raise AuthError("CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN are not set")
        return ConfluenceCloud(source.url, username=settings.confluence_email,
                               password=settings.confluence_api_token.get_secret_value(), **common)
    if settings.confluence_pat is None:
        raise AuthError("CONFLUENCE_PAT is not set")
    return ConfluenceServer(  # type: ignore[no-untyped-call]
        source.url, token=settings.confluence_pat.get_secret_value(), **common)


class ConfluenceReader:
    """Fetch and find postmortem pages in one Confluence site."""

    def __init__(self, settings: Settings, source: ConfluenceSource, *,
                 session: requests.Session | None = None) -> None:
        self._settings = settings
        self.source = source
        self._session = session
        self._client: Any = None
        #: HTTP calls made (the calls-per-postmortem figure).
        self.calls = 0

    def _get(self, what: str, path: str, params: dict[str, Any] | None = None) -> Any:
        if self._client is None:
            self._client = build_client(self._settings, self.source, self._session)
        self.calls += 1
        with _mapped(what):
            return self._client.get(path, params=params or {})

    def get_json(self, what: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """One GET relative to the site URL (for `check`)."""
        return self._get(what, path, params)

    def fetch(self, ref: ConfluencePage) -> Document:
        """The page's current storage format; refused when outside the spaces or not approved."""
        page = self._read_cloud(ref.page_id) if self.source.edition == "cloud" else self._read_dc(ref.page_id)
        space = self.source.space(page.space_key)
        if space is None:
            raise OutsideSource(f"{ref}: page is in space {page.space_key[:50]!r}, not a configured space")
        self._require_approval(ref, page, space)
        content = page.body.encode("utf-8")
        limit = self._settings.max_document_bytes
        if len(content) > limit:
            raise Invalid(f"{ref}: {len(content)} bytes is over max_document_bytes ({limit})")
        return Document(content=content, source=ConfluencePage(page.id, page.number),
                        filename=f"confluence-{page.id}.xhtml", title=page.title or None,
                        version=page.created)

    def _require_approval(self, ref: ConfluencePage, page: _Page, space: ConfluenceSpace) -> None:
        if space.approval == "label":
            if space.label not in page.labels:
                raise NotApproved(f"{ref}: page has no label {space.label!r}")
        elif self.page_status(page.id) != space.status:
            raise NotApproved(f"{ref}: page status is not {space.status!r}")

    def _read_dc(self, page_id: str) -> _Page:
        reply = self._get(f"confluence:{page_id}", f"rest/api/content/{page_id}",
                          {"expand": "body.storage,version,space,metadata.labels"})
        labels = reply.get("metadata", {}).get("labels", {}).get("results", [])
        return _Page(id=str(reply["id"]), title=str(reply.get("title") or ""),
                     space_key=str(reply["space"]["key"]), body=str(reply["body"]["storage"]["value"]),
                     number=int(reply["version"]["number"]), created=iso_time(reply["version"].get("when")),
                     labels=tuple(str(label["name"]) for label in labels))

    def _read_cloud(self, page_id: str) -> _Page:
        # One call: the storage body, the version and the labels (include-labels); with no body-format
        # the v2 API sends no body at all.
        reply = self._get(f"confluence:{page_id}", f"api/v2/pages/{page_id}",
                          {"body-format": "storage", "include-labels": "true"})
        included = reply.get("labels")
        labels = [str(label["name"]) for label in (included or {}).get("results", [])]
        if not isinstance(included, dict) or included.get("meta", {}).get("hasMore"):
            # More labels than the reply holds (or a server that ignored include-labels): page through them.
            labels = self._more_labels(page_id)
        keys = {space_id: key for key, space_id in self.space_ids().items()}
        return _Page(id=str(reply["id"]), title=str(reply.get("title") or ""),
                     space_key=keys.get(str(reply["spaceId"]), f"id {reply['spaceId']}"),
                     body=str(reply["body"]["storage"]["value"]), number=int(reply["version"]["number"]),
                     created=iso_time(reply["version"].get("createdAt")), labels=tuple(labels))

    def _more_labels(self, page_id: str) -> list[str]:
        path: str | None = f"api/v2/pages/{page_id}/labels?limit=250"
        labels: list[str] = []
        while path:
            reply = self._get(f"confluence:{page_id} labels", path)
            labels += [str(label["name"]) for label in reply.get("results", [])]
            path = _next(reply)
        return labels

    def space_ids(self) -> dict[str, str]:
        """Cloud: the configured space keys' ids (v2 pages name their space by id); one call per process.

        A key that is missing (no such space, or not readable) is asked again next time.
        """
        keys = ",".join(sorted(space.key.upper() for space in self.source.spaces))
        with _SPACE_IDS_GUARD:
            known = _SPACE_IDS.get((self.source.url, keys))
        if known is None or len(known) < len(self.source.spaces):
            reply = self._get("confluence spaces", "api/v2/spaces", {"keys": keys, "limit": 250})
            known = {str(space["key"]).upper(): str(space["id"]) for space in reply["results"]}
            with _SPACE_IDS_GUARD:
                _SPACE_IDS[(self.source.url, keys)] = known
        return dict(known)

    def page_status(self, page_id: str) -> str | None:
        """Cloud: the page's status (content state) name, or None when it has none."""
        reply = self._get(f"confluence:{page_id} status", f"rest/api/content/{page_id}/state",
                          {"status": "current"})
        state = reply.get("contentState") if isinstance(reply, dict) else None
        return str(state["name"]) if isinstance(state, dict) and state.get("name") else None

    def search(self, cql: str, *, limit: int | None = None) -> list[ConfluencePage]:
        """Every page a CQL query finds (all pages of results, or the first `limit`), with versions."""
        cloud = self.source.edition == "cloud"
        path: str | None = "rest/api/search" if cloud else "rest/api/content/search"
        params: dict[str, Any] | None = {"cql": cql, "limit": limit or _PAGE,
                                         "expand": "content.version" if cloud else "version"}
        found: list[ConfluencePage] = []
        while path:
            reply = self._get("confluence search", path, params)
            for result in reply.get("results", []):
                content = result.get("content", result) if cloud else result
                if content.get("type", "page") == "page":
                    number = content.get("version", {}).get("number")
                    found.append(ConfluencePage(str(content["id"]), int(number) if number else None))
            path, params = _next(reply), None  # the next link carries its own query
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found

    def approved(self, space: ConfluenceSpace, *, minutes: int | None) -> list[ConfluencePage]:
        """The space's approved pages edited within `minutes` (None: all), with their versions."""
        pages = self.search(space_cql(space, minutes=minutes))
        if space.approval == "status":
            pages = [page for page in pages if self.page_status(page.page_id) == space.status]
        return pages


def _next(reply: Any) -> str | None:
    """The next page's path, relative to the client's URL (v2 links on Cloud start with /wiki, like it)."""
    link = reply.get("_links", {}).get("next") if isinstance(reply, dict) else None
    return str(link).removeprefix("/wiki/").lstrip("/") if link else None
