"""Jira for the postmortem contract: a review issue's status, its one preview comment, and the guarded
description edit that puts ticket links into the postmortem (REST v2 through the client's session).

Jira has no version precondition on an edit, so the guard is a re-read just before the write: when the
description or `updated` moved since the read, the write is a `Conflict` and the caller re-reads and
re-applies. The remaining window is the few milliseconds between that re-read and the PUT.
"""

from __future__ import annotations

from typing import Any

from config.settings import Settings
from connectors.errors import Conflict
from connectors.jira_rest import JiraRest
from connectors.revision import Revision
from connectors.sources.jira import _mapped, build_client


class JiraReview:
    """One postmortem review issue: its status, description and comments."""

    def __init__(self, settings: Settings, key: str, *, rest: JiraRest | None = None) -> None:
        self._key = key
        self._settings = settings
        self._rest = rest

    def _api(self) -> JiraRest:
        if self._rest is None:
            self._rest = JiraRest(build_client(self._settings))
        return self._rest

    def _fields(self) -> dict[str, Any]:
        with _mapped(f"jira:{self._key}"):
            data = self._api().request("GET", f"issue/{self._key}",
                                       params={"fields": "description,updated,status"})
        return dict((data or {}).get("fields") or {})

    def state(self) -> tuple[str, Revision]:
        """The status name and the description as read, in one call."""
        fields = self._fields()
        status = str(((fields.get("status") or {}).get("name")) or "")
        return status, Revision(str(fields.get("description") or ""), str(fields.get("updated") or ""))

    def read(self) -> Revision:
        return self.state()[1]

    def write(self, text: str, base: Revision, message: str) -> None:
        """Replace the description if nobody changed it since `base` was read; else raise Conflict."""
        now = self.read()
        if now != base:
            raise Conflict(f"{self._key}: the description changed since it was read")
        with _mapped(f"jira:{self._key}"):
            self._api().request("PUT", f"issue/{self._key}", body={"fields": {"description": text}})

    def comment(self, text: str, base: Revision) -> None:
        with _mapped(f"jira:{self._key} comment"):
            self._api().request("POST", f"issue/{self._key}/comment", body={"body": text})

    def upsert_comment(self, body: str, marker: str) -> str:
        """Edit our comment that carries `marker`, or post it once; returns "edited", "created" or "same"."""
        with _mapped(f"jira:{self._key} comments"):
            api = self._api()
            own = (api.request("GET", "myself") or {})
            mine = {own.get("accountId"), own.get("name"), own.get("key")} - {None}
            listed = api.request("GET", f"issue/{self._key}/comment", params={"maxResults": 100}) or {}
            for comment in listed.get("comments") or ():
                author = comment.get("author") or {}
                if marker in str(comment.get("body") or "") and (
                        {author.get("accountId"), author.get("name"), author.get("key")} & mine):
                    if comment.get("body") == body:
                        return "same"
                    api.request("PUT", f"issue/{self._key}/comment/{comment['id']}", body={"body": body})
                    return "edited"
            api.request("POST", f"issue/{self._key}/comment", body={"body": body})
            return "created"
