"""A local stand-in for the GitLab REST API v4 that python-gitlab talks to (sources and issues).

Follows docs.gitlab.com/api: projects (by id or URL-encoded full path), repository branches, tree
(`path`, `ref`, `recursive`, offset pagination with `Link`/`X-Next-Page`), files (base64 `content`,
`blob_id`, `last_commit_id`), commits (`committed_date`), compare (`diffs[].new_path`), merge requests
and their `diffs`; issues (create with `labels` as a comma list, `assignee_ids`, `due_date`; list with
`labels` all matching, `state`, `iids[]`; update with `add_labels`/`remove_labels`, `state_event`;
notes), users (`username`, `search`) and project members (`/members/all/:id`). Auth is `PRIVATE-TOKEN`.
Faults: 429 with `Retry-After`; a create performed whose reply is lost; `list_lag` seconds before a new
issue shows in lists (GitLab's issue search is served by replicas and Elasticsearch on large instances).
Contract writes (files PUT with `last_commit_id`, branches, merge requests, notes):
tests.standins.gitlab_writes.
Webhooks: `X-Gitlab-Token` in plain text, and the Standard Webhooks signature when `signing_secret` is set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.standins.gitlab_writes import GitLabWrites
from tests.standins.http_base import HttpError, Reply, StandInServer, page_of


@dataclass(slots=True)
class Commit:
    sha: str
    files: dict[str, bytes]
    at: datetime
    changed: dict[str, str]  # path -> the sha of the commit that last changed it


@dataclass(slots=True)
class Issue:
    iid: int
    title: str
    description: str
    labels: list[str]
    assignee_ids: list[int]
    due_date: str | None
    issue_type: str = "issue"
    state: str = "opened"
    notes: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class GitLabStandIn(GitLabWrites, StandInServer):
    """One project: commits on branches, merge requests, issues, users and members."""

    def __init__(self, *, project: str = "acme/sre/postmortems", token: str = "glpat-test",
                 hook_token: str = "gl-hook-token", list_lag: float = 0.0) -> None:
        super().__init__()
        self.project, self.token, self.hook_token = project, token, hook_token
        self.project_id = 42
        self.default_branch = "main"
        self.commits: dict[str, Commit] = {}
        self.branches: dict[str, str] = {}
        self.merge_requests: dict[int, dict[str, Any]] = {}
        self.issues: dict[int, Issue] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.members: set[int] = set()
        self.list_lag = list_lag
        self.signing_secret: bytes | None = None
        self._clock = datetime(2030, 1, 1, tzinfo=UTC)
        self._init_writes()

    def authorised(self, headers: Any) -> bool:
        return bool(headers.get("PRIVATE-TOKEN") == self.token)

    # --- test helpers --------------------------------------------------------------------------
    def commit(self, branch: str, files: dict[str, bytes]) -> str:
        """A commit on `branch` holding exactly `files` (each file's last change tracked); its sha."""
        with self.lock:
            parent = self.commits.get(self.branches.get(branch, ""))
            sha = hashlib.sha1(uuid.uuid4().bytes).hexdigest()
            changed = {path: (parent.changed[path] if parent and parent.files.get(path) == content else sha)
                       for path, content in files.items()}
            self._clock += timedelta(minutes=1)
            self.commits[sha] = Commit(sha, dict(files), self._clock, changed)
            self.branches[branch] = sha
            return sha

    def add_user(self, username: str, name: str, *, member: bool = True) -> int:
        with self.lock:
            user_id = 100 + len(self.users)
            self.users[user_id] = {"id": user_id, "username": username, "name": name, "state": "active"}
            if member:
                self.members.add(user_id)
            return user_id

    def labelled(self, label: str) -> list[Issue]:
        with self.lock:
            return [i for i in self.issues.values() if label in i.labels]

    def hook(self, event: str, payload: dict[str, Any], *, token: str | None = None,
             signed_at: int | None = None) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery: body and headers (`X-Gitlab-Token`; Standard Webhooks when signing)."""
        body = json.dumps(payload).encode()
        headers = {"X-Gitlab-Event": event, "X-Gitlab-Token": token or self.hook_token,
                   "X-Gitlab-Event-UUID": str(uuid.uuid4()), "Content-Type": "application/json"}
        if self.signing_secret is not None:
            webhook_id = f"msg_{uuid.uuid4().hex}"
            stamp = str(signed_at if signed_at is not None else int(time.time()))
            mac = hmac.new(self.signing_secret, f"{webhook_id}.{stamp}.".encode() + body, hashlib.sha256)
            headers.update({"webhook-id": webhook_id, "webhook-timestamp": stamp,
                            "webhook-signature": "v1," + base64.b64encode(mac.digest()).decode()})
        return body, headers

    # --- API --------------------------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Any]]:
        p = r"/api/v4/projects/([^/]+)"
        return [
            (p, "GET", self._project),
            (p + r"/repository/branches/(.+)", "GET", self._branch),
            (p + r"/repository/tree", "GET", self._tree),
            (p + r"/repository/files/(.+)", "GET", self._file),
            (p + r"/repository/commits/([0-9a-f]+)", "GET", self._commit),
            (p + r"/repository/compare", "GET", self._compare),
            (p + r"/merge_requests/(\d+)", "GET", self._merge_request),
            (p + r"/merge_requests/(\d+)/diffs", "GET", self._mr_diffs),
            (p + r"/issues", "GET", self._list_issues),
            (p + r"/issues", "POST", self._create_issue),
            (p + r"/issues/(\d+)", "GET", self._get_issue),
            (p + r"/issues/(\d+)", "PUT", self._update_issue),
            (p + r"/issues/(\d+)/notes", "POST", self._note),
            (p + r"/issues/(\d+)/notes", "GET", self._notes),
            (p + r"/members/all/(\d+)", "GET", self._member),
            (r"/api/v4/users", "GET", self._list_users),
            (r"/api/v4/user", "GET", self._me),
            *self.write_routes(),
        ]

    def _check_project(self, given: str) -> None:
        if given not in (self.project, str(self.project_id)):
            raise HttpError(404, {"message": "404 Project Not Found"})

    def _paged(self, items: list[Any], query: dict[str, list[str]], path: str) -> Reply:
        chunk, page, pages = page_of(items, query)
        headers = [("X-Page", str(page)), ("X-Total-Pages", str(pages)), ("X-Total", str(len(items))),
                   ("X-Per-Page", str(len(chunk) or 20))]
        if page < pages:
            rest = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "page")
            headers += [("X-Next-Page", str(page + 1)),
                        ("Link", f'<{self.url}{path}?{rest}&page={page + 1}>; rel="next"')]
        return Reply(200, chunk, tuple(headers))

    def _project(self, given: str, **_: Any) -> Reply:
        self._check_project(given)
        return Reply(200, {"id": self.project_id, "path_with_namespace": self.project,
                           "permissions": {"project_access": {"access_level": self.access_level},
                                           "group_access": None},
                           "default_branch": self.default_branch, "web_url": f"{self.url}/{self.project}"})

    def _resolve(self, ref: str) -> Commit:
        commit = self.commits.get(self.branches.get(ref, ref))
        if commit is None:
            raise HttpError(404, {"message": "404 Commit Not Found"})
        return commit

    def _branch(self, given: str, name: str, **_: Any) -> Reply:
        self._check_project(given)
        if name not in self.branches:
            raise HttpError(404, {"message": "404 Branch Not Found"})
        return Reply(200, {"name": name, "commit": {"id": self.branches[name]},
                           "can_push": self.access_level >= 30 and name not in self.protected})

    def _tree(self, given: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        self._check_project(given)
        commit = self._resolve((query.get("ref") or [self.default_branch])[0])
        folder = (query.get("path") or [""])[0].strip("/")
        recursive = (query.get("recursive") or ["false"])[0] == "true"
        entries = []
        for path in sorted(commit.files):
            inside = path.startswith(f"{folder}/") if folder else True
            rest = path[len(folder) + 1:] if folder else path
            if inside and (recursive or "/" not in rest):
                blob = hashlib.sha1(commit.files[path]).hexdigest()
                entries.append({"id": blob, "name": path.rsplit("/")[-1], "type": "blob", "path": path,
                                "mode": "100644"})
        return self._paged(entries, query, f"/api/v4/projects/{given}/repository/tree")

    def _file(self, given: str, path: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        self._check_project(given)
        commit = self._resolve((query.get("ref") or [""])[0])
        if path not in commit.files:
            raise HttpError(404, {"message": "404 File Not Found"})
        content = commit.files[path]
        return Reply(200, {"file_name": path.rsplit("/")[-1], "file_path": path, "size": len(content),
                           "encoding": "base64", "content": base64.b64encode(content).decode(),
                           "blob_id": hashlib.sha1(content).hexdigest(), "commit_id": commit.sha,
                           "last_commit_id": commit.changed[path], "ref": (query.get("ref") or [""])[0]})

    def _commit(self, given: str, sha: str, **_: Any) -> Reply:
        self._check_project(given)
        commit = self._resolve(sha)
        return Reply(200, {"id": commit.sha, "short_id": commit.sha[:8], "committed_date": _iso(commit.at),
                           "created_at": _iso(commit.at), "title": "commit"})

    def _compare(self, given: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        self._check_project(given)
        old, new = self._resolve(query["from"][0]), self._resolve(query["to"][0])
        diffs = [{"new_path": p, "old_path": p, "new_file": p not in old.files, "deleted_file": False}
                 for p, content in new.files.items() if old.files.get(p) != content]
        return Reply(200, {"commit": {"id": new.sha}, "commits": [], "diffs": diffs})

    def _merge_request(self, given: str, iid: str, **_: Any) -> Reply:
        self._check_project(given)
        mr = self.merge_requests.get(int(iid))
        if mr is None:
            raise HttpError(404, {"message": "404 Not found"})
        return Reply(200, {"iid": int(iid), "state": mr["state"], "target_branch": mr["target_branch"],
                           "merge_commit_sha": mr.get("merge_commit_sha"), "sha": mr.get("sha"),
                           "squash_commit_sha": None})

    def _mr_diffs(self, given: str, iid: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        self._check_project(given)
        mr = self.merge_requests.get(int(iid))
        if mr is None:
            raise HttpError(404, {"message": "404 Not found"})
        diffs = [{"new_path": path, "old_path": path, "deleted_file": status == "deleted",
                  "new_file": status == "added"} for path, status in mr["files"]]
        return self._paged(diffs, query, f"/api/v4/projects/{given}/merge_requests/{iid}/diffs")

    # --- issues (the tracker) ---------------------------------------------------------------------
    def _issue_json(self, issue: Issue) -> dict[str, Any]:
        return {"id": 1000 + issue.iid, "iid": issue.iid, "project_id": self.project_id, "title": issue.title,
                "description": issue.description, "state": issue.state, "labels": list(issue.labels),
                "assignees": [self.users[i] for i in issue.assignee_ids if i in self.users],
                "assignee": self.users.get(issue.assignee_ids[0]) if issue.assignee_ids else None,
                "due_date": issue.due_date, "issue_type": issue.issue_type, "type": issue.issue_type.upper(),
                "updated_at": _iso(issue.updated), "created_at": _iso(issue.updated),
                "web_url": f"{self.url}/{self.project}/-/issues/{issue.iid}"}

    def _list_issues(self, given: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        self._check_project(given)
        labels = [x for x in (query.get("labels") or [""])[0].split(",") if x]
        state = (query.get("state") or ["all"])[0]
        iids = {int(v) for k, vs in query.items() if k in ("iids[]", "iids") for v in vs}
        kind = query["issue_type"][0] if query.get("issue_type") else None
        now = time.monotonic()
        found = [i for i in sorted(self.issues.values(), key=lambda i: i.iid)
                 if all(label in i.labels for label in labels) and (state == "all" or i.state == state)
                 and (not iids or i.iid in iids) and (kind is None or i.issue_type == kind)
                 and now - i.created >= self.list_lag]
        return self._paged([self._issue_json(i) for i in found], query, f"/api/v4/projects/{given}/issues")

    def _create_issue(self, given: str, *, payload: Any, **_: Any) -> Reply:
        self._check_project(given)
        title = str(payload.get("title") or "")
        if not title or len(title) > 255:
            raise HttpError(400, {"message": {"title": ["is too long (maximum is 255 characters)"]}})
        assignees = [int(a) for a in payload.get("assignee_ids") or []]
        if any(a not in self.members for a in assignees):
            raise HttpError(400, {"message": {"assignees": ["is not a member of the project"]}})
        iid = len(self.issues) + 1
        labels = [x.strip() for x in str(payload.get("labels") or "").split(",") if x.strip()]
        self.issues[iid] = Issue(iid, title, str(payload.get("description") or ""), labels, assignees,
                                 payload.get("due_date"), str(payload.get("issue_type") or "issue"))
        return Reply(201, self._issue_json(self.issues[iid]))

    def _get_issue(self, given: str, iid: str, **_: Any) -> Reply:
        self._check_project(given)
        if int(iid) not in self.issues:
            raise HttpError(404, {"message": "404 Not found"})
        return Reply(200, self._issue_json(self.issues[int(iid)]))

    def _update_issue(self, given: str, iid: str, *, payload: Any, **_: Any) -> Reply:
        self._check_project(given)
        issue = self.issues.get(int(iid))
        if issue is None:
            raise HttpError(404, {"message": "404 Not found"})
        for name in ("title", "description", "due_date"):
            if name in payload:
                setattr(issue, name, payload[name])
        if "assignee_ids" in payload:
            issue.assignee_ids = [int(a) for a in payload["assignee_ids"] or []]
        add = [x for x in str(payload.get("add_labels") or "").split(",") if x]
        remove = {x for x in str(payload.get("remove_labels") or "").split(",") if x}
        merged = issue.labels + [a for a in add if a not in issue.labels]
        issue.labels = [x for x in merged if x not in remove]
        if payload.get("state_event") == "close":
            issue.state = "closed"
        elif payload.get("state_event") == "reopen":
            issue.state = "opened"
        issue.updated = datetime.now(UTC)
        return Reply(200, self._issue_json(issue))

    def _note(self, given: str, iid: str, *, payload: Any, **_: Any) -> Reply:
        self._check_project(given)
        issue = self.issues.get(int(iid))
        if issue is None:
            raise HttpError(404, {"message": "404 Not found"})
        issue.notes.append(str(payload.get("body") or ""))
        return Reply(201, {"id": len(issue.notes), "body": issue.notes[-1]})

    def _notes(self, given: str, iid: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        self._check_project(given)
        issue = self.issues.get(int(iid))
        if issue is None:
            raise HttpError(404, {"message": "404 Not found"})
        notes = [{"id": n + 1, "body": body, "system": False} for n, body in enumerate(issue.notes)]
        return self._paged(notes[::-1], query, f"/api/v4/projects/{given}/issues/{iid}/notes")

    def _member(self, given: str, user_id: str, **_: Any) -> Reply:
        self._check_project(given)
        if int(user_id) not in self.members:
            raise HttpError(404, {"message": "404 Not found"})
        return Reply(200, {**self.users[int(user_id)], "access_level": 30})

    def _list_users(self, *, query: dict[str, list[str]], **_: Any) -> Reply:
        username = query["username"][0] if query.get("username") else None
        search = (query.get("search") or [""])[0].lower()
        found = [u for u in self.users.values()
                 if (username is not None and u["username"].lower() == username.lower())
                 or (username is None and search and (search in u["username"].lower()
                                                      or search in u["name"].lower()))]
        return self._paged(found, query, "/api/v4/users")

    def _me(self, **_: Any) -> Reply:
        return Reply(200, {"id": 1, "username": "followthrough-bot", "name": "Followthrough"})
