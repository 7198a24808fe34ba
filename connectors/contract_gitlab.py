"""GitLab for the postmortem contract: an open merge request's one preview note, and the guarded file
write that puts ticket links into a postmortem (REST v4 through python-gitlab's connection).

The file write is the repository files API's `PUT .../repository/files/:path` with the `last_commit_id`
that was read: when a commit changed the file since, GitLab answers 400 ("the file has changed since you
started editing it"), which becomes `Conflict`, so a person's commit in between is never overwritten.
With `write_mode: pull` the links are committed on our own branch and proposed as one merge request;
while it is open, that branch is what is read and written. The preview note is found by its hidden
marker among the notes our own account wrote, and edited in place.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

from gitlab.exceptions import GitlabError

from config.settings import Settings
from connectors.errors import Conflict
from connectors.gitlab_client import Connection
from connectors.revision import Revision

T = TypeVar("T")
_TIMEOUT = 15


def _put(url: str, data: dict[str, Any], gl: Any) -> Any:
    return gl.http_put(url, post_data=data)


def _p(project: str) -> str:
    return quote(project, safe="")


class _GitLab:
    def __init__(self, settings: Settings, connection: Connection | None) -> None:
        self._settings = settings
        self._connection = connection

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = Connection(self._settings, timeout=_TIMEOUT)
        return self._connection

    def _call(self, what: str, func: Callable[[Any], T]) -> T:
        with self.connection.mapped(what):
            return func(self.connection.gl)


class GitLabReview(_GitLab):
    """Keep the one preview note of an open merge request."""

    def __init__(self, settings: Settings, project: str, *, connection: Connection | None = None) -> None:
        super().__init__(settings, connection)
        self._project = project

    def upsert_note(self, iid: int, body: str, marker: str) -> str:
        """Edit our note that carries `marker`, or post it once; returns "edited", "created" or "same"."""
        base = f"/projects/{_p(self._project)}/merge_requests/{iid}/notes"
        what = f"{self._project}!{iid} notes"
        me = self._call(what, lambda gl: gl.http_get("/user"))["id"]
        notes = self._call(what, lambda gl: list(gl.http_list(base, iterator=True)))
        for note in notes:
            if marker in str(note.get("body") or "") and (note.get("author") or {}).get("id") == me:
                if note.get("body") == body:
                    return "same"
                url = f"{base}/{note['id']}"
                self._call(what, partial(_put, url, {"body": body}))
                return "edited"
        self._call(what, lambda gl: gl.http_post(base, post_data={"body": body}))
        return "created"


class GitLabFileWriter(_GitLab):
    """One postmortem file, read and written with its `last_commit_id` as the guard.

    `work` None: the file is committed on `branch` itself. Otherwise the links are proposed: committed on
    the branch `work` (created at `branch`'s head) and one merge request opened into `branch`.
    """

    def __init__(self, settings: Settings, project: str, path: str, branch: str, *, work: str | None = None,
                 connection: Connection | None = None) -> None:
        super().__init__(settings, connection)
        self._project, self._path, self._branch, self._work = project, path, branch, work
        self._target = branch
        self._file = f"/projects/{_p(project)}/repository/files/{quote(path, safe='')}"
        self._what = f"{project}:{path}"

    def _open_proposal(self) -> bool:
        found = self._call(self._what, lambda gl: gl.http_list(
            f"/projects/{_p(self._project)}/merge_requests", query_data={
                "state": "opened", "source_branch": self._work, "target_branch": self._branch},
            get_all=True))
        return bool(found)

    def read(self) -> Revision:
        self._target = self._work if self._work and self._open_proposal() else self._branch
        reply = self._call(self._what, lambda gl: gl.http_get(self._file, query_data={"ref": self._target}))
        text = base64.b64decode(str(reply.get("content") or "")).decode("utf-8")
        return Revision(text, str(reply.get("last_commit_id") or ""))

    def write(self, text: str, base: Revision, message: str) -> None:
        """Commit `text` if the file's last commit is still `base.token`; else raise Conflict."""
        proposing = self._work is not None and self._target == self._branch
        branch = self._work if proposing else self._target
        if proposing:
            self._point_work_branch()
        data = {"branch": branch, "content": text, "commit_message": message, "encoding": "text",
                "last_commit_id": base.token}
        with self.connection.mapped(self._what):
            try:
                self.connection.gl.http_put(self._file, post_data=data)
            except GitlabError as exc:
                if exc.response_code == 400 and "changed" in str(exc.error_message).lower():
                    raise Conflict(f"{self._path}: changed since it was read") from None
                raise
        if proposing:
            self._call(self._what, lambda gl: gl.http_post(
                f"/projects/{_p(self._project)}/merge_requests", post_data={
                    "source_branch": self._work, "target_branch": self._branch, "title": message,
                    "description": "Ticket links for the postmortem's action items.",
                    "remove_source_branch": True}))

    def _point_work_branch(self) -> None:
        """Our branch at the postmortem branch's head: created, or re-created there (its proposal is gone)."""
        branches = f"/projects/{_p(self._project)}/repository/branches"
        work = quote(str(self._work), safe="")
        with self.connection.mapped(self._what):
            try:
                self.connection.gl.http_delete(f"{branches}/{work}")
            except GitlabError as exc:
                if exc.response_code != 404:
                    raise
            self.connection.gl.http_post(branches, query_data={"branch": self._work, "ref": self._branch})

    def comment(self, text: str, base: Revision) -> None:
        """A commit comment on the file's last commit, where the links go when the file cannot take them."""
        sha = base.token
        self._call(self._what, lambda gl: gl.http_post(
            f"/projects/{_p(self._project)}/repository/commits/{sha}/comments", post_data={"note": text}))
