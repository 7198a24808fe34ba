"""Confluence Cloud for the postmortem contract: a page's one preview footer comment, and the page update
that puts ticket links into it (v2 pages API through atlassian-python-api, its retries off).

The update sends the storage body with the version read plus one: when a person saved the page in
between, Confluence answers 409 (the version is not the next one), which becomes `Conflict`, and the
caller re-reads and re-applies. The body sent is the page's own storage with only the items' elements
edited (worker.contract.storage), never regenerated. The preview comment is found by its marker (an
anchor macro, not shown) among the footer comments our account wrote, and edited in place (a footer
comment's update also takes its version plus one).
"""

from __future__ import annotations

import html
from typing import Any

import requests

from config.settings import Settings
from config.sources import ConfluenceSource
from connectors.errors import Conflict
from connectors.revision import Revision
from connectors.sources.confluence import ConfluenceReader, _mapped

#: Found in our preview comment: an anchor macro renders as nothing.
MARKER = '<ac:structured-macro ac:name="anchor"><ac:parameter ac:name="">followthrough-preview' \
         '</ac:parameter></ac:structured-macro>'


def storage_paragraphs(text: str) -> str:
    """Plain text lines as storage paragraphs (escaped: inert, no macro or mention is made)."""
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())


class _Confluence:
    def __init__(self, settings: Settings, source: ConfluenceSource, reader: ConfluenceReader | None) -> None:
        self._reader = reader or ConfluenceReader(settings, source)

    def _send(self, what: str, method: str, path: str, data: dict[str, Any]) -> Any:
        if self._reader._client is None:  # the reader builds its client on its first call
            from connectors.sources.confluence import build_client

            self._reader._client = build_client(self._reader._settings, self._reader.source,
                                                self._reader._session)
        self._reader.calls += 1
        with _mapped(what):
            try:
                return getattr(self._reader._client, method)(path, data=data)
            except requests.HTTPError as exc:
                if exc.response is not None and exc.response.status_code == 409:
                    raise Conflict(f"{what}: a newer version was saved since it was read") from None
                raise

    @property
    def calls(self) -> int:
        return self._reader.calls


class ConfluencePageWriter(_Confluence):
    """One page, read in storage format with its version, updated with the version read plus one."""

    def __init__(self, settings: Settings, source: ConfluenceSource, page_id: str, *,
                 reader: ConfluenceReader | None = None) -> None:
        super().__init__(settings, source, reader)
        self._page = page_id
        self._title = ""

    def read(self) -> Revision:
        page = self._reader._read_cloud(self._page)
        self._title = page.title
        return Revision(page.body, str(page.number))

    def write(self, text: str, base: Revision, message: str) -> None:
        body = {"id": self._page, "status": "current", "title": self._title,
                "body": {"representation": "storage", "value": text},
                "version": {"number": int(base.token) + 1, "message": message}}
        self._send(f"confluence:{self._page}", "put", f"api/v2/pages/{self._page}", body)

    def comment(self, text: str, base: Revision) -> None:
        self._send(f"confluence:{self._page} comment", "post", "api/v2/footer-comments",
                   {"pageId": self._page, "body": {"representation": "storage", "value": text}})


class ConfluenceReview(_Confluence):
    """Keep the one preview footer comment of a page under review."""

    def __init__(self, settings: Settings, source: ConfluenceSource, page_id: str, *,
                 reader: ConfluenceReader | None = None) -> None:
        super().__init__(settings, source, reader)
        self._page = page_id

    def labels(self) -> tuple[str, ...]:
        return self._reader._read_cloud(self._page).labels

    def upsert_comment(self, body: str) -> str:
        """Edit our comment that carries the marker, or post it once; "edited", "created" or "same"."""
        what = f"confluence:{self._page} comments"
        me = str((self._reader._get(what, "rest/api/user/current") or {}).get("accountId") or "")
        path: str | None = f"api/v2/pages/{self._page}/footer-comments?body-format=storage&limit=100"
        while path:
            listed = self._reader._get(what, path) or {}
            for comment in listed.get("results") or []:
                value = str(((comment.get("body") or {}).get("storage") or {}).get("value") or "")
                version = comment.get("version") or {}
                if MARKER in value and str(version.get("authorId") or "") == me:
                    if value == body:
                        return "same"
                    self._send(what, "put", f"api/v2/footer-comments/{comment['id']}", {
                        "version": {"number": int(version.get("number") or 1) + 1},
                        "body": {"representation": "storage", "value": body}})
                    return "edited"
            nxt = (listed.get("_links") or {}).get("next")
            path = str(nxt).removeprefix("/wiki/") if nxt else None
        self._send(what, "post", "api/v2/footer-comments",
                   {"pageId": self._page, "body": {"representation": "storage", "value": body}})
        return "created"
