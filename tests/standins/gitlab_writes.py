"""The GitLab stand-in's write side for the postmortem contract (mixed into GitLabStandIn).

Follows docs.gitlab.com/api: `PUT /projects/:id/repository/files/:path` (`branch`, `content`,
`commit_message`, `encoding`, `last_commit_id`: when the file's last commit on the branch is another one,
400 "You are attempting to update a file that has changed since you started editing it."), branches
(`POST ...?branch=&ref=`, `DELETE`), merge requests (list with `state`/`source_branch`/`target_branch`,
create), merge-request notes (list, create, edit by the note's author only) and commit comments.
`before_files_put` lets a test land a person's commit between our read and our write.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from tests.standins.http_base import HttpError, Reply

STALE = "You are attempting to update a file that has changed since you started editing it."
BOT = {"id": 1, "username": "followthrough-bot", "name": "Followthrough"}


class GitLabWrites:
    """State and routes of the contract's writes; the host class provides commits, branches and paging."""

    commits: dict[str, Any]
    branches: dict[str, str]
    merge_requests: dict[int, dict[str, Any]]
    _check_project: Callable[[str], None]
    commit: Callable[[str, dict[str, bytes]], str]
    _paged: Callable[[list[Any], dict[str, list[str]], str], Reply]

    def _init_writes(self) -> None:
        self.mr_notes: dict[int, list[dict[str, Any]]] = {}
        self.commit_comments: dict[str, list[str]] = {}
        self.before_files_put: Callable[[], object] | None = None
        self._note_ids = 0
        #: The token user's access level (40: Maintainer) and branches it may not push to.
        self.access_level = 40
        self.protected: set[str] = set()

    def write_routes(self) -> list[tuple[str, str, Any]]:
        p = r"/api/v4/projects/([^/]+)"
        return [
            (p + r"/repository/files/(.+)", "PUT", self._put_file),
            (p + r"/repository/branches", "POST", self._create_branch),
            (p + r"/repository/branches/(.+)", "DELETE", self._delete_branch),
            (p + r"/merge_requests", "GET", self._list_mrs),
            (p + r"/merge_requests", "POST", self._create_mr),
            (p + r"/merge_requests/(\d+)/notes", "GET", self._mr_notes),
            (p + r"/merge_requests/(\d+)/notes", "POST", self._add_mr_note),
            (p + r"/merge_requests/(\d+)/notes/(\d+)", "PUT", self._edit_mr_note),
            (p + r"/repository/commits/([0-9a-f]+)/comments", "POST", self._commit_comment),
        ]

    # --- test helpers ----------------------------------------------------------------------------
    def reset_calls(self) -> None:
        with self.lock:  # type: ignore[attr-defined]
            self.calls.clear()  # type: ignore[attr-defined]

    def file(self, branch: str, path: str) -> bytes:
        return bytes(self.commits[self.branches[branch]].files[path])

    def add_note(self, iid: int, body: str, author: dict[str, Any]) -> None:
        """A note written by someone else (a person)."""
        self._note_ids += 1
        self.mr_notes.setdefault(iid, []).append({"id": self._note_ids, "body": body, "author": author,
                                                  "system": False})

    # --- API -----------------------------------------------------------------------------------
    def _put_file(self, given: str, path: str, *, payload: Any, **_: Any) -> Reply:
        self._check_project(given)
        branch = str(payload.get("branch") or "")
        if branch not in self.branches:
            raise HttpError(400, {"message": "You can only create or edit files when you are on a branch"})
        if branch in self.protected:
            raise HttpError(403, {"message": "403 Forbidden - You are not allowed to push into this branch"})
        if self.before_files_put is not None:
            hook, self.before_files_put = self.before_files_put, None
            hook()
        head = self.commits[self.branches[branch]]
        if path not in head.files:
            raise HttpError(400, {"message": "A file with this name doesn't exist"})
        last = payload.get("last_commit_id")
        if last and head.changed[path] != last:
            raise HttpError(400, {"message": STALE})
        content = str(payload.get("content") or "")
        data = content.encode() if payload.get("encoding", "text") == "text" else base64.b64decode(content)
        sha = self.commit(branch, {**head.files, path: data})
        return Reply(200, {"file_path": path, "branch": branch, "commit_id": sha})

    def _create_branch(self, given: str, *, query: dict[str, list[str]], payload: Any, **_: Any) -> Reply:
        self._check_project(given)
        args = {k: v[0] for k, v in query.items()} | (payload or {})
        name, ref = str(args.get("branch") or ""), str(args.get("ref") or "")
        if name in self.branches:
            raise HttpError(400, {"message": "Branch already exists"})
        sha = self.branches.get(ref, ref)
        if sha not in self.commits:
            raise HttpError(400, {"message": "Invalid reference name"})
        self.branches[name] = sha
        return Reply(201, {"name": name, "commit": {"id": sha}})

    def _delete_branch(self, given: str, name: str, **_: Any) -> Reply:
        self._check_project(given)
        if self.branches.pop(name, None) is None:
            raise HttpError(404, {"message": "404 Branch Not Found"})
        return Reply(204, None)

    def _mr_json(self, iid: int, mr: dict[str, Any]) -> dict[str, Any]:
        return {"iid": iid, "state": mr["state"], "target_branch": mr["target_branch"],
                "source_branch": mr.get("source_branch"), "title": mr.get("title", ""),
                "sha": mr.get("sha"), "merge_commit_sha": mr.get("merge_commit_sha")}

    def _list_mrs(self, given: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        self._check_project(given)
        wanted = {k: v[0] for k, v in query.items() if k in ("state", "source_branch", "target_branch")}
        found = [self._mr_json(iid, mr) for iid, mr in sorted(self.merge_requests.items())
                 if all(mr.get(k) == v for k, v in wanted.items())]
        return self._paged(found, query, f"/api/v4/projects/{given}/merge_requests")

    def _create_mr(self, given: str, *, payload: Any, **_: Any) -> Reply:
        self._check_project(given)
        source, target = str(payload["source_branch"]), str(payload["target_branch"])
        if source not in self.branches or target not in self.branches:
            raise HttpError(400, {"message": "Invalid source or target branch"})
        iid = max(self.merge_requests, default=0) + 1
        self.merge_requests[iid] = {"state": "opened", "target_branch": target, "source_branch": source,
                                    "title": str(payload.get("title") or ""), "sha": self.branches[source],
                                    "files": []}
        return Reply(201, self._mr_json(iid, self.merge_requests[iid]))

    def _mr_notes(self, given: str, iid: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        self._check_project(given)
        notes = self.mr_notes.get(int(iid), [])
        return self._paged(notes[::-1], query, f"/api/v4/projects/{given}/merge_requests/{iid}/notes")

    def _add_mr_note(self, given: str, iid: str, *, payload: Any, **_: Any) -> Reply:
        self._check_project(given)
        if int(iid) not in self.merge_requests:
            raise HttpError(404, {"message": "404 Not found"})
        self.add_note(int(iid), str(payload.get("body") or ""), BOT)
        return Reply(201, self.mr_notes[int(iid)][-1])

    def _edit_mr_note(self, given: str, iid: str, note_id: str, *, payload: Any, **_: Any) -> Reply:
        self._check_project(given)
        note = next((n for n in self.mr_notes.get(int(iid), []) if n["id"] == int(note_id)), None)
        if note is None:
            raise HttpError(404, {"message": "404 Note Not Found"})
        if note["author"]["id"] != BOT["id"]:
            raise HttpError(403, {"message": "403 Forbidden"})
        note["body"] = str(payload.get("body") or "")
        return Reply(200, note)

    def _commit_comment(self, given: str, sha: str, *, payload: Any, **_: Any) -> Reply:
        self._check_project(given)
        if sha not in self.commits:
            raise HttpError(404, {"message": "404 Commit Not Found"})
        self.commit_comments.setdefault(sha, []).append(str(payload.get("note") or ""))
        return Reply(201, {"note": payload.get("note"), "author": BOT})
