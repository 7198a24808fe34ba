"""A local stand-in for the Google Drive v3 API the Google Docs source uses, with a token endpoint.

Followed documentation (developers.google.com/workspace/drive/api/reference/rest/v3):
- files.get (`parents`, `mimeType`, `modifiedTime`, `trashed`), files.export (`mimeType=text/html`, the
  document's bytes), files.list (`q` with `'<id>' in parents`, `mimeType =`, `trashed = false`;
  `pageToken`/`nextPageToken`), about.get (`user.emailAddress`);
- changes.getStartPageToken, changes.list (`pageToken`, `nextPageToken` until the last page, which carries
  `newStartPageToken`; `changes[].fileId/removed/file`), changes.watch (`{id, type: "web_hook", address,
  token, expiration}`, answered with the channel and its `resourceId` and `expiration`);
- push notifications (guides/push): `X-Goog-Channel-ID`, `X-Goog-Channel-Token`, `X-Goog-Resource-State`
  (`sync` first, then `change`), `X-Goog-Message-Number`, `X-Goog-Resource-ID`, no body;
- usage limits: 429 (or 403 `userRateLimitExceeded`) to back off from;
- the Docs API and Drive comments for the postmortem contract: tests.standins.gdocs_writes;
- OAuth 2.0 for service accounts: POST the token URI with `grant_type=urn:ietf:params:oauth:grant-type:
  jwt-bearer` and an RS256 `assertion` signed by the account's key; the answer's `access_token` is then the
  Bearer token of every call.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.standins.gdocs_writes import GDocsWrites
from tests.standins.rest_base import Fail, Handler, Query, Reply, RestStandIn

DOC = "application/vnd.google-apps.document"
FOLDER = "application/vnd.google-apps.folder"
#: The audience of a service account's grant assertion (google-auth signs it for Google's token URI).
AUDIENCE = "https://oauth2.googleapis.com/token"
_PARENT = re.compile(r"'([^']+)' in parents")


@dataclass
class File:
    id: str
    name: str
    mime: str
    parents: list[str]
    html: str = ""
    modified: str = ""
    trashed: bool = False
    version: int = 1


@dataclass
class Channel:
    id: str
    token: str
    address: str
    expiration: int
    resource_id: str
    messages: int = 0


@dataclass
class _Key:
    email: str
    public_pem: bytes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DriveStandIn(GDocsWrites, RestStandIn):
    """In-memory Drive: folders, Google Docs, a change log, push channels and a token endpoint."""

    def __init__(self, *, bearer: str = "drive-token", page_size: int = 2) -> None:
        super().__init__()
        self.files: dict[str, File] = {}
        self.changes: list[str] = []  # file ids, in change order; a page token is an index into it
        self.channels: dict[str, Channel] = {}
        self.tokens = {bearer}
        self.keys: dict[str, _Key] = {}
        self.page_size = page_size
        self.quota_403 = 0  # the next n calls answer 403 userRateLimitExceeded
        self.email = "postmortems@project.iam.gserviceaccount.com"
        self._init_writes()

    # -- test controls ------------------------------------------------------------------------------
    def folder(self, name: str) -> str:
        with self.lock:
            folder_id = f"fold{len(self.files)}{secrets.token_hex(3)}"
            self.files[folder_id] = File(folder_id, name, FOLDER, [], modified=_now())
            return folder_id

    def doc(self, name: str, html: str, parent: str) -> str:
        with self.lock:
            file_id = f"doc{len(self.files)}{secrets.token_hex(4)}"
            self.files[file_id] = File(file_id, name, DOC, [parent], html, _now())
            self.changes.append(file_id)
            return file_id

    def edit(self, file_id: str, html: str) -> None:
        with self.lock:
            file = self.files[file_id]
            time.sleep(0.002)  # modifiedTime has millisecond precision: keep edits apart
            file.html, file.modified, file.version = html, _now(), file.version + 1
            self.changes.append(file_id)

    def move(self, file_id: str, parent: str) -> None:
        """Move a file to another folder (a change; `modifiedTime` is the content's and stays)."""
        with self.lock:
            self.files[file_id].parents = [parent]
            self.changes.append(file_id)

    def service_account_file(self, folder: Path) -> Path:
        """A service account key file whose token URI is this stand-in's token endpoint."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        key_id = secrets.token_hex(8)
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        with self.lock:
            self.keys[key_id] = _Key(self.email, public)
        path = folder / "service-account.json"
        path.write_text(json.dumps({
            "type": "service_account", "project_id": "project", "private_key_id": key_id,
            "private_key": pem, "client_email": self.email, "client_id": "1",
            "token_uri": f"{self.url}/token"}))
        return path

    def notification(self, channel_id: str, *, state: str = "change") -> dict[str, str]:
        """The headers Drive sends for the channel's next message (the body is empty)."""
        with self.lock:
            channel = self.channels[channel_id]
            channel.messages += 1
            expires = datetime.fromtimestamp(channel.expiration / 1000, UTC)
            return {"X-Goog-Channel-ID": channel.id, "X-Goog-Channel-Token": channel.token,
                    "X-Goog-Resource-State": state, "X-Goog-Message-Number": str(channel.messages),
                    "X-Goog-Resource-ID": channel.resource_id,
                    "X-Goog-Channel-Expiration": expires.strftime("%a, %d %b %Y %H:%M:%S GMT")}

    # -- auth ---------------------------------------------------------------------------------------
    def authorised(self, headers: Mapping[str, str]) -> bool:
        return True  # checked per route: the token endpoint takes no bearer

    def _bearer(self, headers: Mapping[str, str]) -> None:
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            raise Fail(401, {"error": {"code": 401, "message": "Invalid Credentials",
                                       "errors": [{"reason": "authError"}]}})
        if self.quota_403 > 0:
            self.quota_403 -= 1
            raise Fail(403, {"error": {"code": 403, "message": "User rate limit exceeded",
                                       "errors": [{"reason": "userRateLimitExceeded",
                                                   "domain": "usageLimits"}]}})

    def rate_limited_reply(self, retry_after: int) -> Fail:
        return Fail(429, {"error": {"code": 429, "message": "Rate Limit Exceeded",
                                    "errors": [{"reason": "rateLimitExceeded"}]}},
                    {"Retry-After": str(retry_after)})

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", r"/token", self._token),
            ("GET", r"/drive/v3/about", self._about),
            ("GET", r"/drive/v3/files/([^/]+)/export", self._export),
            ("GET", r"/drive/v3/files/([^/]+)", self._get),
            ("GET", r"/drive/v3/files", self._list),
            ("GET", r"/drive/v3/changes/startPageToken", self._start),
            ("GET", r"/drive/v3/changes", self._changes),
            ("POST", r"/drive/v3/changes/watch", self._watch),
            *self.write_routes(),
        ]

    def _token(self, *, body: bytes, **_: Any) -> Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            raise Fail(400, {"error": "unsupported_grant_type"})
        assertion = form.get("assertion", "")
        try:
            key = self.keys[jwt.get_unverified_header(assertion).get("kid", "")]
            claims = jwt.decode(assertion, key.public_pem, algorithms=["RS256"], audience=AUDIENCE)
        except (KeyError, jwt.PyJWTError):
            raise Fail(400, {"error": "invalid_grant", "error_description": "Invalid JWT."}) from None
        if claims.get("iss") != key.email:
            raise Fail(400, {"error": "invalid_grant"})
        token = f"ya29.{secrets.token_hex(12)}"
        self.tokens.add(token)
        return Reply({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _file(self, file_id: str) -> File:
        file = self.files.get(file_id)
        if file is None:
            raise Fail(404, {"error": {"code": 404, "message": f"File not found: {file_id}.",
                                       "errors": [{"reason": "notFound"}]}})
        return file

    @staticmethod
    def _meta(file: File) -> dict[str, Any]:
        return {"kind": "drive#file", "id": file.id, "name": file.name, "mimeType": file.mime,
                "parents": list(file.parents), "modifiedTime": file.modified, "trashed": file.trashed,
                "version": str(file.version)}

    def _about(self, *, headers: Mapping[str, str], **_: Any) -> Reply:
        self._bearer(headers)
        return Reply({"user": {"emailAddress": self.email, "kind": "drive#user"}})

    def _get(self, file_id: str, *, headers: Mapping[str, str], query: Query, **_: Any) -> Reply:
        self._bearer(headers)
        meta = self._meta(self._file(file_id))
        if "capabilities" in query.get("fields", [""])[0]:
            meta["capabilities"] = {"canEdit": self.role == "writer",
                                    "canComment": self.role in ("writer", "commenter")}
        return Reply(meta)

    def _export(self, file_id: str, *, query: Query, headers: Mapping[str, str], **_: Any) -> Reply:
        self._bearer(headers)
        file = self._file(file_id)
        if query.get("mimeType", [""])[0] != "text/html" or file.mime != DOC:
            raise Fail(400, {"error": {"code": 400, "message": "Export only supports Docs Editors files.",
                                       "errors": [{"reason": "fileNotExportable"}]}})
        return Reply(raw=file.html.encode(), content_type="text/html; charset=utf-8")

    def _list(self, *, query: Query, headers: Mapping[str, str], **_: Any) -> Reply:
        self._bearer(headers)
        q = query.get("q", [""])[0]
        parents = set(_PARENT.findall(q))
        docs_only = f"mimeType = '{DOC}'" in q
        found = [f for f in sorted(self.files.values(), key=lambda f: f.id)
                 if (not parents or parents & set(f.parents)) and (not docs_only or f.mime == DOC)
                 and not ("trashed = false" in q and f.trashed)]
        start = int(query.get("pageToken", ["0"])[0] or 0)
        chunk = found[start:start + self.page_size]
        reply: dict[str, Any] = {"kind": "drive#fileList", "files": [self._meta(f) for f in chunk]}
        if start + self.page_size < len(found):
            reply["nextPageToken"] = str(start + self.page_size)
        return Reply(reply)

    def _start(self, *, headers: Mapping[str, str], **_: Any) -> Reply:
        self._bearer(headers)
        return Reply({"kind": "drive#startPageToken", "startPageToken": str(len(self.changes) + 1)})

    def _changes(self, *, query: Query, headers: Mapping[str, str], **_: Any) -> Reply:
        self._bearer(headers)
        token = query.get("pageToken", [""])[0]
        if not token.isdigit() or int(token) < 1:
            raise Fail(400, {"error": {"code": 400, "message": "Invalid Value",
                                       "errors": [{"reason": "invalid", "location": "pageToken"}]}})
        start = int(token) - 1
        chunk = self.changes[start:start + self.page_size]
        reply: dict[str, Any] = {"kind": "drive#changeList", "changes": [
            {"kind": "drive#change", "changeType": "file", "fileId": fid, "removed": False,
             "time": _now(), "file": self._meta(self.files[fid])} for fid in chunk]}
        if start + self.page_size < len(self.changes):
            reply["nextPageToken"] = str(start + self.page_size + 1)
        else:
            reply["newStartPageToken"] = str(len(self.changes) + 1)
        return Reply(reply)

    def _watch(self, *, query: Query, body: bytes, headers: Mapping[str, str], **_: Any) -> Reply:
        self._bearer(headers)
        spec = json.loads(body or b"{}")
        if spec.get("type") != "web_hook" or not spec.get("id") or not spec.get("address"):
            raise Fail(400, {"error": {"code": 400, "message": "Invalid channel"}})
        now_ms = int(time.time() * 1000)
        # Drive caps a changes channel at one week; without an expiration it lasts one hour.
        expiration = min(int(spec.get("expiration") or now_ms + 3600_000), now_ms + 7 * 86400_000)
        channel = Channel(spec["id"], spec.get("token", ""), spec["address"], expiration,
                          f"res-{secrets.token_hex(6)}")
        self.channels[channel.id] = channel
        page = query.get("pageToken", [""])[0]
        return Reply({"kind": "api#channel", "id": channel.id, "resourceId": channel.resource_id,
                      "resourceUri": f"{self.url}/drive/v3/changes?pageToken={page}",
                      "token": channel.token, "expiration": str(expiration)})
