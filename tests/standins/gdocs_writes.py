"""The Drive stand-in's Google Docs side for the postmortem contract (mixed into DriveStandIn).

Follows developers.google.com/workspace/docs/api: `GET /v1/documents/{id}` (`revisionId`;
`body.content[]` structural elements with `startIndex`/`endIndex` from 1, paragraphs with `elements[]`
text runs carrying `textStyle.link.url`, `paragraphStyle.namedStyleType`, `bullet` for list entries) and
`POST /v1/documents/{id}:batchUpdate` (`insertText` at `location.index`, `updateTextStyle` with a `range`
and `fields: "link"`; `writeControl.requiredRevisionId`: when it is not the latest revision, 400 and
nothing applied); Drive v3 comments (`GET/POST /drive/v3/files/{id}/comments`, `PATCH .../{commentId}`
by its author only; `author.me`). A document made with `structured` keeps paragraphs; its HTML export is
rendered from them. `before_batch_update` lets a test land a person's edit between our read and write.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

from tests.standins.rest_base import Fail, Query, Reply

#: One character of a paragraph: (the character, its link URL or None).
Char = tuple[str, str | None]


class GDocsWrites:
    files: dict[str, Any]
    doc: Callable[[str, str, str], str]
    edit: Callable[[str, str], None]
    _file: Callable[[str], Any]
    _bearer: Callable[[Any], None]

    def _init_writes(self) -> None:
        self.paragraphs: dict[str, list[tuple[str, list[Char]]]] = {}  # file id -> (style, chars)
        self.drive_comments: dict[str, list[dict[str, Any]]] = {}
        self.before_batch_update: Callable[[], object] | None = None
        #: The account's role on every file ("writer", "commenter" or "reader"): Drive's capabilities.
        self.role = "writer"

    def write_routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", r"/v1/documents/([^/:]+)", self._document),
            ("POST", r"/v1/documents/([^/:]+):batchUpdate", self._batch_update),
            ("GET", r"/drive/v3/files/([^/]+)/comments", self._list_comments),
            ("POST", r"/drive/v3/files/([^/]+)/comments", self._create_comment),
            ("PATCH", r"/drive/v3/files/([^/]+)/comments/([^/]+)", self._update_comment),
        ]

    # -- test controls ------------------------------------------------------------------------------
    def structured(self, name: str, paragraphs: list[tuple[str, str]], parent: str) -> str:
        """A Google Doc of (style, text) paragraphs; style "HEADING_2", "NORMAL_TEXT" or "BULLET"."""
        file_id = self.doc(name, "", parent)
        self.set_paragraphs(file_id, [(style, [(ch, None) for ch in text]) for style, text in paragraphs])
        return file_id

    def set_paragraphs(self, file_id: str, paragraphs: list[tuple[str, list[Char]]], *,
                       edit: bool = True) -> None:
        self.paragraphs[file_id] = paragraphs
        if edit:
            self.edit(file_id, self.export_html(file_id))

    def person_types(self, file_id: str, index: int, text: str) -> None:
        """A person appends `text` to paragraph `index` (a new revision)."""
        style, chars = self.paragraphs[file_id][index]
        self.paragraphs[file_id][index] = (style, chars + [(ch, None) for ch in text])
        self.edit(file_id, self.export_html(file_id))

    def plain(self, file_id: str) -> list[str]:
        return ["".join(ch for ch, _ in chars) for _, chars in self.paragraphs[file_id]]

    def export_html(self, file_id: str) -> str:
        out = ["<html><body>"]
        in_list = False
        for style, chars in self.paragraphs[file_id]:
            runs = _runs(chars)
            inner = "".join(f'<a href="{html.escape(url)}">{html.escape(text)}</a>' if url
                            else html.escape(text) for text, url in runs)
            if style == "BULLET" and not in_list:
                out.append("<ul>")
            if style != "BULLET" and in_list:
                out.append("</ul>")
            in_list = style == "BULLET"
            tag = {"HEADING_1": "h1", "HEADING_2": "h2", "BULLET": "li"}.get(style, "p")
            out.append(f"<{tag}>{inner}</{tag}>")
        out.append("</ul></body></html>" if in_list else "</body></html>")
        return "".join(out)

    def _revision(self, file_id: str) -> str:
        return f"rev-{self._file(file_id).version}"

    # -- Docs API -------------------------------------------------------------------------------------
    def _document(self, file_id: str, *, headers: Any, **_: Any) -> Reply:
        self._bearer(headers)
        self._file(file_id)
        content: list[dict[str, Any]] = []
        index = 1
        for style, chars in self.paragraphs.get(file_id, []):
            elements = []
            for text, url in _runs([*chars, ("\n", None)]):
                run: dict[str, Any] = {"content": text, "textStyle": {"link": {"url": url}} if url else {}}
                elements.append({"startIndex": index, "endIndex": index + len(text), "textRun": run})
                index += len(text)
            paragraph: dict[str, Any] = {"elements": elements, "paragraphStyle": {
                "namedStyleType": "NORMAL_TEXT" if style == "BULLET" else style}}
            if style == "BULLET":
                paragraph["bullet"] = {"listId": "kix.list1"}
            content.append({"startIndex": elements[0]["startIndex"], "endIndex": index,
                            "paragraph": paragraph})
        return Reply({"documentId": file_id, "title": self._file(file_id).name,
                      "revisionId": self._revision(file_id), "body": {"content": content}})

    def _locate(self, file_id: str, index: int) -> tuple[int, int]:
        """(paragraph, offset) of a document index (the paragraph's newline is not a place to write)."""
        start = 1
        for n, (_, chars) in enumerate(self.paragraphs[file_id]):
            if start <= index <= start + len(chars):
                return n, index - start
            start += len(chars) + 1
        raise Fail(400, {"error": {"code": 400, "message": "Index out of bounds",
                                   "status": "INVALID_ARGUMENT"}})

    def _batch_update(self, file_id: str, *, body: bytes, headers: Any, **_: Any) -> Reply:
        self._bearer(headers)
        data = json.loads(body or b"{}")
        if self.before_batch_update is not None:
            hook, self.before_batch_update = self.before_batch_update, None
            hook()
        wanted = (data.get("writeControl") or {}).get("requiredRevisionId")
        if wanted is not None and wanted != self._revision(file_id):
            raise Fail(400, {"error": {"code": 400, "status": "FAILED_PRECONDITION", "message":
                                       "The document was modified: the required revision ID is not the "
                                       "latest revision."}})
        paragraphs = [(style, list(chars)) for style, chars in self.paragraphs[file_id]]
        saved = self.paragraphs[file_id]
        self.paragraphs[file_id] = paragraphs
        try:
            for request in data.get("requests") or []:
                self._apply(file_id, request)
        except Fail:
            self.paragraphs[file_id] = saved  # all or nothing
            raise
        self.edit(file_id, self.export_html(file_id))
        return Reply({"documentId": file_id, "replies": [{} for _ in data.get("requests") or []],
                      "writeControl": {"requiredRevisionId": self._revision(file_id)}})

    def _apply(self, file_id: str, request: dict[str, Any]) -> None:
        if "insertText" in request:
            insert = request["insertText"]
            n, offset = self._locate(file_id, int(insert["location"]["index"]))
            chars = self.paragraphs[file_id][n][1]
            chars[offset:offset] = [(ch, None) for ch in str(insert["text"])]
        elif "updateTextStyle" in request:
            update = request["updateTextStyle"]
            first, last = int(update["range"]["startIndex"]), int(update["range"]["endIndex"])
            n, start = self._locate(file_id, first)
            n_end, end = self._locate(file_id, last)
            if n != n_end or update.get("fields") != "link":
                raise Fail(400, {"error": {"code": 400, "message": "unsupported range or fields"}})
            url = ((update.get("textStyle") or {}).get("link") or {}).get("url")
            chars = self.paragraphs[file_id][n][1]
            chars[start:end] = [(ch, url) for ch, _ in chars[start:end]]
        else:
            raise Fail(400, {"error": {"code": 400, "message": "unsupported request"}})

    # -- Drive comments -----------------------------------------------------------------------------
    def _list_comments(self, file_id: str, *, headers: Any, query: Query, **_: Any) -> Reply:
        self._bearer(headers)
        self._file(file_id)
        if "fields" not in query:
            raise Fail(400, {"error": {"code": 400, "message": "The 'fields' parameter is required"}})
        return Reply({"comments": list(self.drive_comments.get(file_id, []))})

    def add_drive_comment(self, file_id: str, content: str, *, me: bool) -> None:
        comments = self.drive_comments.setdefault(file_id, [])
        comments.append({"id": f"c{len(comments)}", "content": content,
                         "author": {"displayName": "bot" if me else "Ana", "me": me}})

    def _create_comment(self, file_id: str, *, headers: Any, body: bytes, query: Query, **_: Any) -> Reply:
        self._bearer(headers)
        self._file(file_id)
        if "fields" not in query:
            raise Fail(400, {"error": {"code": 400, "message": "The 'fields' parameter is required"}})
        self.add_drive_comment(file_id, str(json.loads(body or b"{}").get("content") or ""), me=True)
        return Reply(self.drive_comments[file_id][-1])

    def _update_comment(self, file_id: str, comment_id: str, *, headers: Any, body: bytes, **_: Any) -> Reply:
        self._bearer(headers)
        comment = next((c for c in self.drive_comments.get(file_id, []) if c["id"] == comment_id), None)
        if comment is None or not comment["author"]["me"]:
            raise Fail(403, {"error": {"code": 403,
                                       "message": "The user does not have sufficient permissions"}})
        comment["content"] = str(json.loads(body or b"{}").get("content") or "")
        return Reply(comment)


def _runs(chars: list[Char]) -> list[tuple[str, str | None]]:
    runs: list[tuple[str, str | None]] = []
    for ch, url in chars:
        if runs and runs[-1][1] == url:
            runs[-1] = (runs[-1][0] + ch, url)
        else:
            runs.append((ch, url))
    return runs
