"""Google Docs for the postmortem contract: a document's one preview Drive comment, and ticket links
inserted into the item's own paragraph (google-api-python-client: Docs v1 and Drive v3, retries off).

The document is read with `documents.get` and seen as lines (one per paragraph: headings as `#`, list
entries as `- `, links as `[text](url)`), remembering where each paragraph ends. A write turns each edited
line back into requests on that paragraph only: `insertText` of the added text just before its newline,
then `updateTextStyle` setting the link on the key; paragraphs are written from the highest index down,
so no request moves another's position. The batch carries `writeControl.requiredRevisionId` (the
revision read): when a person edited the document since, Docs answers 400 and applies nothing, which
becomes `Conflict`. The preview is a Drive comment found by its first line among our own comments
(`author.me`) and edited in place (Drive lets an author update a comment).
"""

from __future__ import annotations

import re
from typing import Any

import httplib2
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from config.settings import Settings
from connectors.errors import AuthError, Conflict, Invalid
from connectors.revision import Revision
from connectors.sources.gdocs import _mapped, execute

#: Writing needs more than the source's read-only scope.
WRITE_SCOPES = ["https://www.googleapis.com/auth/documents", "https://www.googleapis.com/auth/drive"]
_TIMEOUT = 15
_LINK = re.compile(r"\[([^\[\]]{1,500})\]\((https?://[^()\s]{1,1000})\)")
_HEADINGS = {"TITLE": "# ", "HEADING_1": "# ", "HEADING_2": "## ", "HEADING_3": "### ", "HEADING_4": "#### "}


def _credentials(settings: Settings) -> Any:
    if settings.google_service_account_file:
        try:
            return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                settings.google_service_account_file, scopes=WRITE_SCOPES)
        except (OSError, ValueError) as exc:
            name = type(exc).__name__
            raise AuthError(f"GOOGLE_SERVICE_ACCOUNT_FILE: cannot read the key ({name})") from None
    if settings.google_bearer_token is not None:
        return user_credentials.Credentials(  # type: ignore[no-untyped-call]
            token=settings.google_bearer_token.get_secret_value())
    raise AuthError("GOOGLE_SERVICE_ACCOUNT_FILE (or GOOGLE_BEARER_TOKEN) is not set")


def _service(settings: Settings, name: str, version: str, endpoint: str) -> Any:
    transport = AuthorizedHttp(_credentials(settings), http=httplib2.Http(timeout=_TIMEOUT))
    options = {"api_endpoint": f"{settings.google_api_url}{endpoint}"} if settings.google_api_url else None
    return build(name, version, http=transport, static_discovery=True, cache_discovery=False,
                 client_options=options)


def _segments(text: str) -> list[tuple[str, str | None]]:
    """Added text as (text, link URL or None) pieces."""
    out: list[tuple[str, str | None]] = []
    at = 0
    for match in _LINK.finditer(text):
        if match.start() > at:
            out.append((text[at:match.start()], None))
        out.append((match[1], match[2]))
        at = match.end()
    if at < len(text):
        out.append((text[at:], None))
    return out


def _line(paragraph: dict[str, Any]) -> tuple[str, str]:
    """A paragraph as (its line prefix, its text with links as Markdown)."""
    parts = []
    for element in paragraph.get("elements") or []:
        run = element.get("textRun") or {}
        content = str(run.get("content") or "").replace("\n", "")
        url = ((run.get("textStyle") or {}).get("link") or {}).get("url")
        parts.append(f"[{content}]({url})" if url and content.strip() else content)
    style = str((paragraph.get("paragraphStyle") or {}).get("namedStyleType") or "")
    prefix = "- " if paragraph.get("bullet") else _HEADINGS.get(style, "")
    return prefix, "".join(parts)


class _Google:
    def __init__(self, settings: Settings, file_id: str) -> None:
        self._settings, self._file = settings, file_id
        self._docs: Any = None
        self._drive: Any = None
        self.calls = 0

    def _run(self, what: str, request: Any) -> Any:
        self.calls += 1
        return execute(what, request)

    def docs(self) -> Any:
        if self._docs is None:
            self._docs = _service(self._settings, "docs", "v1", "/")
        return self._docs

    def drive(self) -> Any:
        if self._drive is None:
            self._drive = _service(self._settings, "drive", "v3", "/drive/v3/")
        return self._drive


class GoogleDocWriter(_Google):
    """One document, read paragraph by paragraph and written with `requiredRevisionId` as the guard."""

    def __init__(self, settings: Settings, file_id: str) -> None:
        super().__init__(settings, file_id)
        self._ends: list[int | None] = []  # per line: the index of its paragraph's newline
        self._text = ""

    def read(self) -> Revision:
        doc = self._run(f"gdocs:{self._file}", self.docs().documents().get(documentId=self._file))
        lines: list[str] = []
        self._ends = []
        for element in (doc.get("body") or {}).get("content") or []:
            paragraph = element.get("paragraph")
            if paragraph is None:
                continue  # tables and section breaks: no item's line is written there
            prefix, text = _line(paragraph)
            lines.append(prefix + text)
            self._ends.append(int(element["endIndex"]) - 1)
        self._text = "\n".join(lines) + "\n"
        return Revision(self._text, str(doc.get("revisionId") or ""))

    def _requests(self, text: str, base: Revision) -> list[dict[str, Any]]:
        if base.text != self._text:
            raise Conflict(f"gdocs:{self._file}: not the text last read")
        old, new = base.text.split("\n"), text.split("\n")
        if len(old) != len(new):
            raise Invalid("lines added or removed (a Ticket column is not added in a document)")
        edits: list[tuple[int, str]] = []
        for n, (before, after) in enumerate(zip(old, new, strict=True)):
            if before == after:
                continue
            end = self._ends[n] if n < len(self._ends) else None
            if end is None or not after.startswith(before.rstrip()):
                raise Invalid("an edit other than an added link")
            edits.append((end, after[len(before.rstrip()):]))
        requests: list[dict[str, Any]] = []
        for end, added in sorted(edits, reverse=True):  # highest index first: no insert moves another
            added = added.rstrip() if added.strip() else added
            segments = _segments(added)
            requests.append({"insertText": {"location": {"index": end},
                                            "text": "".join(t for t, _ in segments)}})
            at = end
            for piece, url in segments:
                if url:
                    span = {"startIndex": at, "endIndex": at + len(piece)}
                    requests.append({"updateTextStyle": {"range": span, "textStyle": {"link": {"url": url}},
                                                         "fields": "link"}})
                at += len(piece)
        return requests

    def write(self, text: str, base: Revision, message: str) -> None:
        body = {"requests": self._requests(text, base), "writeControl": {"requiredRevisionId": base.token}}
        self.calls += 1
        with _mapped(f"gdocs:{self._file}"):
            try:
                self.docs().documents().batchUpdate(documentId=self._file, body=body).execute(num_retries=0)
            except HttpError as exc:
                if exc.resp.status == 400 and b"revision" in (exc.content or b"").lower():
                    raise Conflict(f"gdocs:{self._file}: edited since it was read") from None
                raise
        self._text = ""

    def comment(self, text: str, base: Revision) -> None:
        self._run(f"gdocs:{self._file} comment",
                  self.drive().comments().create(fileId=self._file, body={"content": text}, fields="id"))


class GoogleDocReview(_Google):
    """Keep the one preview comment of a document under review."""

    def upsert_comment(self, text: str, marker: str) -> str:
        """Edit our comment that starts with `marker`, or post it once; "edited", "created" or "same"."""
        what = f"gdocs:{self._file} comments"
        comments = self.drive().comments()
        listed = self._run(what, comments.list(fileId=self._file, pageSize=100,
                                               fields="comments(id,content,author(me))"))
        for comment in listed.get("comments") or []:
            content = str(comment.get("content") or "")
            if (comment.get("author") or {}).get("me") and content.startswith(marker):
                if comment.get("content") == text:
                    return "same"
                self._run(what, comments.update(fileId=self._file, commentId=comment["id"],
                                                body={"content": text}, fields="id"))
                return "edited"
        self._run(what, comments.create(fileId=self._file, body={"content": text}, fields="id"))
        return "created"
