"""Read postmortems from Google Docs through the Drive API (google-api-python-client).

A document is a postmortem when it is a Google Doc inside a configured "approved" folder: moving a
document into that folder approves it. It is read by Drive export as HTML (the parser reads Google Docs
HTML), after one metadata read that confines it (its parent folders) and versions it (`modifiedTime`,
read before the content, so the version never claims newer text than was read). The trigger is Drive's
change feed (`changes.list` from a stored page token), optionally woken by push channels
(`changes.watch`).

The client is built on an injected httplib2 transport, one per reader (httplib2 is not thread-safe), and
every call is executed with `num_retries=0`: the library retries nothing itself, a 429 or a per-user quota
403 becomes RateLimited, and the Celery task backs off. Auth is a service account key file (the token
endpoint named in it) or a ready bearer token.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import google.auth.exceptions
import httplib2
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from config.settings import Settings
from config.sources import GDocsSource
from connectors.errors import AuthError, Invalid, NotFound, RateLimited, TrackerError, Transient
from connectors.payload import iso_time
from connectors.sources import Document, GoogleDoc
from connectors.sources.refusals import NotApproved

_TIMEOUT = 15
SCOPES = ["https://www.googleapis.com/auth/drive.readonly"]
DOC_MIME = "application/vnd.google-apps.document"
FOLDER_MIME = "application/vnd.google-apps.folder"
_FILE_FIELDS = "id,name,mimeType,parents,modifiedTime,trashed"
#: Drive's quota reasons for a 403 that means "slow down", not "forbidden".
_QUOTA_REASONS = {"userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"}


def _reasons(exc: HttpError) -> set[str]:
    details = exc.error_details if isinstance(exc.error_details, list) else []
    return {str(d.get("reason")) for d in details if isinstance(d, dict)}


def from_http_error(exc: HttpError, what: str) -> TrackerError:
    """The connector error of a Drive error reply (a quota 403 is a rate limit, like 429)."""
    status = int(exc.resp.status)
    if status == 429 or (status == 403 and _reasons(exc) & _QUOTA_REASONS):
        try:
            retry_after = max(0.0, float(exc.resp.get("retry-after", 30)))
        except (TypeError, ValueError):
            retry_after = 30.0
        return RateLimited(f"{what}: rate limited", retry_after=retry_after)
    if status in (401, 403):
        return AuthError(f"{what}: HTTP {status}")
    if status == 404:
        return NotFound(f"{what}: not found (or not shared with the service account)")
    if status >= 500:
        return Transient(f"{what}: HTTP {status}")
    return Invalid(f"{what}: HTTP {status}")


@contextmanager
def _mapped(what: str) -> Iterator[None]:
    try:
        yield
    except HttpError as exc:
        raise from_http_error(exc, what) from None
    except google.auth.exceptions.RefreshError:
        raise AuthError(f"{what}: the service account's token was refused") from None
    except (TimeoutError, google.auth.exceptions.TransportError, httplib2.HttpLib2Error, OSError) as exc:
        raise Transient(f"{what}: {type(exc).__name__}") from None


def execute(what: str, request: Any) -> Any:
    """Run one Google API request once (our own retries decide about another), its errors mapped."""
    with _mapped(what):
        return request.execute(num_retries=0)




#: Service account credentials per key file, for the life of the process: they hold the access token
#: (an hour long), so each document read does not begin with a token grant.
_CREDENTIALS: dict[str, Any] = {}
_CREDENTIALS_GUARD = threading.Lock()


def _credentials(settings: Settings) -> Any:
    if settings.google_service_account_file:
        path = settings.google_service_account_file
        with _CREDENTIALS_GUARD:
            if path in _CREDENTIALS:
                return _CREDENTIALS[path]
        try:
            loaded = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                path, scopes=SCOPES)
            with _CREDENTIALS_GUARD:
                return _CREDENTIALS.setdefault(path, loaded)
        except (OSError, ValueError) as exc:
            name = type(exc).__name__
            raise AuthError(f"GOOGLE_SERVICE_ACCOUNT_FILE: cannot read the key ({name})") from None
    if settings.google_bearer_token is not None:
        return user_credentials.Credentials(  # type: ignore[no-untyped-call]
            token=settings.google_bearer_token.get_secret_value())
    raise AuthError("GOOGLE_SERVICE_ACCOUNT_FILE (or GOOGLE_BEARER_TOKEN) is not set")


def build_drive(settings: Settings, http: httplib2.Http | None = None) -> Any:
    """A Drive v3 service on its own authorized transport, from the bundled discovery document."""
    transport = AuthorizedHttp(_credentials(settings), http=http or httplib2.Http(timeout=_TIMEOUT))
    options = {"api_endpoint": f"{settings.google_api_url}/drive/v3/"} if settings.google_api_url else None
    return build("drive", "v3", http=transport, static_discovery=True, cache_discovery=False,
                 client_options=options)


@dataclass(frozen=True, slots=True)
class DocChange:
    """A Google Doc in an approved folder, as a listing or the change feed shows it."""

    file_id: str
    modified: datetime | None


@dataclass(frozen=True, slots=True)
class Channel:
    """An open push channel: its id, Drive's resource id and when it ends."""

    id: str
    resource_id: str
    expires: datetime


class DriveReader:
    """Fetch and find postmortem documents through one Drive service."""

    def __init__(self, settings: Settings, source: GDocsSource, *, http: httplib2.Http | None = None) -> None:
        self._settings = settings
        self.source = source
        self._http = http
        self._drive: Any = None
        #: HTTP calls made (the calls-per-postmortem figure).
        self.calls = 0

    def _run(self, what: str, request: Any) -> Any:
        self.calls += 1
        return execute(what, request)

    def drive(self) -> Any:
        if self._drive is None:
            with _mapped("drive"):
                self._drive = build_drive(self._settings, self._http)
        return self._drive

    def metadata(self, file_id: str) -> dict[str, Any]:
        reply = self._run(f"gdocs:{file_id}", self.drive().files().get(
            fileId=file_id, fields=_FILE_FIELDS, supportsAllDrives=True))
        return dict(reply)

    def fetch(self, ref: GoogleDoc) -> Document:
        """The document as HTML; refused unless it is a Google Doc in an approved folder."""
        meta = self.metadata(ref.file_id)
        if meta.get("mimeType") != DOC_MIME:
            raise Invalid(f"{ref}: not a Google Docs document")
        if meta.get("trashed") or not self.source.covers(list(meta.get("parents") or [])):
            raise NotApproved(f"{ref}: document is not in an approved folder")
        content = self._run(str(ref), self.drive().files().export(fileId=ref.file_id, mimeType="text/html"))
        content = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        limit = self._settings.max_document_bytes
        if len(content) > limit:
            raise Invalid(f"{ref}: {len(content)} bytes is over max_document_bytes ({limit})")
        return Document(content=content, source=ref, filename=f"gdocs-{ref.file_id}.html",
                        title=str(meta.get("name") or "") or None, version=iso_time(meta.get("modifiedTime")))

    def _approved(self, file: Any) -> DocChange | None:
        if not isinstance(file, dict) or file.get("mimeType") != DOC_MIME or file.get("trashed"):
            return None
        if not self.source.covers(list(file.get("parents") or [])):
            return None
        return DocChange(str(file["id"]), iso_time(file.get("modifiedTime")))

    def start_token(self) -> str:
        """The change feed's current position (page tokens do not expire)."""
        reply = self._run("drive changes", self.drive().changes().getStartPageToken(supportsAllDrives=True))
        return str(reply["startPageToken"])

    def changes(self, token: str) -> tuple[list[DocChange], str]:
        """Approved documents changed since `token` (all pages), and the token of the next poll."""
        found: list[DocChange] = []
        page: str | None = token
        fields = f"nextPageToken,newStartPageToken,changes(fileId,removed,file({_FILE_FIELDS}))"
        while True:
            reply = self._run("drive changes", self.drive().changes().list(
                pageToken=page, fields=fields, pageSize=1000, includeRemoved=False,
                supportsAllDrives=True, includeItemsFromAllDrives=True))
            found += [doc for change in reply.get("changes", []) if not change.get("removed")
                      if (doc := self._approved(change.get("file"))) is not None]
            page = reply.get("nextPageToken")
            if not page:
                return found, str(reply["newStartPageToken"])

    def list_approved(self) -> list[DocChange]:
        """Every Google Doc in the approved folders (all pages)."""
        parents = " or ".join(f"'{folder}' in parents" for folder in self.source.approved_folders)
        query = f"({parents}) and mimeType = '{DOC_MIME}' and trashed = false"
        found: list[DocChange] = []
        page: str | None = None
        while True:
            reply = self._run("drive files", self.drive().files().list(
                q=query, fields=f"nextPageToken,files({_FILE_FIELDS})", pageSize=1000, pageToken=page,
                supportsAllDrives=True, includeItemsFromAllDrives=True))
            found += [doc for file in reply.get("files", []) if (doc := self._approved(file)) is not None]
            page = reply.get("nextPageToken")
            if not page:
                return found

    def watch(self, token: str, channel_id: str, channel_token: str, expires: datetime) -> Channel:
        """Open a push channel on the change feed (Drive may shorten the asked lifetime)."""
        body: dict[str, Any] = {"id": channel_id, "type": "web_hook", "address": self.source.push_address,
                "token": channel_token, "expiration": int(expires.timestamp() * 1000)}
        reply = self._run("drive watch", self.drive().changes().watch(
            pageToken=token, body=body, supportsAllDrives=True, includeItemsFromAllDrives=True))
        ends = datetime.fromtimestamp(int(reply.get("expiration") or body["expiration"]) / 1000, UTC)
        return Channel(id=str(reply.get("id") or channel_id), resource_id=str(reply.get("resourceId", "")),
                       expires=ends)

    def folder(self, folder_id: str) -> dict[str, Any]:
        """A folder's metadata (for `check`)."""
        return dict(self._run(f"drive folder {folder_id}", self.drive().files().get(
            fileId=folder_id, fields="id,name,mimeType,trashed", supportsAllDrives=True)))

    def whoami(self) -> str:
        """The authenticated account's email (for `check`)."""
        reply = self._run("drive about", self.drive().about().get(fields="user(emailAddress)"))
        return str(reply.get("user", {}).get("emailAddress", ""))
