"""GitHubStandIn plus the read endpoints the postmortem sources use: contents, branches, trees, pulls.

Shapes follow docs.github.com (REST 2022-11-28): rest/repos/contents#get-repository-content (base64
`content`, `encoding`, `size`, `sha`), rest/branches/branches#get-a-branch (`commit.sha`),
rest/git/trees#get-a-tree (`recursive`, `tree[].path/type/sha`), rest/pulls/pulls#get-a-pull-request
(`merged`, `merge_commit_sha`, `base.ref`) and #list-pull-requests-files (`filename`, `status`).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

standins = pytest.importorskip("tests.standins.github")
GitHubStandIn = standins.GitHubStandIn
Reply = standins._Reply
Missing = standins._Missing


def blob_sha(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class GitHubSourcesStandIn(GitHubStandIn):  # type: ignore[misc,valid-type]
    """Files per commit, branches, and pull requests, on top of the issue endpoints."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.default_branch = "main"
        #: commit sha -> {path: content}
        self.commits: dict[str, dict[str, bytes]] = {}
        self.branches: dict[str, str] = {}
        #: number -> {"merged": bool, "merge_commit_sha": str | None, "base": str, "files": [(path, status)]}
        self.pulls: dict[int, dict[str, Any]] = {}
        self.commit_dates: dict[str, datetime] = {}
        self.parents: dict[str, str | None] = {}

    def commit(self, branch: str, files: dict[str, bytes], *, at: datetime | None = None) -> str:
        """Make a commit on `branch` holding exactly `files`, made `at` (default now); returns its sha."""
        with self.lock:
            seed = repr(sorted(files.items())).encode() + str(len(self.commits)).encode()
            sha = hashlib.sha1(seed).hexdigest()
            self.commits[sha] = dict(files)
            self.commit_dates[sha] = at or datetime.now(UTC)
            self.parents[sha] = self.branches.get(branch)
            self.branches[branch] = sha
            return sha

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/contents/(.+)", "GET", self._get_contents),
            (r"/branches/([^/]+)", "GET", self._get_branch),
            (r"/git/trees/([^/]+)", "GET", self._get_tree),
            (r"/commits", "GET", self._list_commits),
            (r"/pulls/(\d+)", "GET", self._get_pull),
            (r"/pulls/(\d+)/files", "GET", self._pull_files),
            *super()._routes(),
        ]

    def _get_repo(self, *, query: Any, payload: Any) -> Any:
        reply = super()._get_repo(query=query, payload=payload)
        reply.body["default_branch"] = self.default_branch
        return reply

    def _tree(self, ref: str) -> dict[str, bytes]:
        sha = self.branches.get(ref, ref)
        if sha not in self.commits:
            raise Missing("No commit found for the ref")
        return self.commits[sha]

    def _get_contents(self, path: str, *, query: dict[str, list[str]], payload: Any) -> Any:
        ref = (query.get("ref") or [self.default_branch])[0]
        files = self._tree(ref)
        if path not in files:
            raise Missing()
        content = files[path]
        return Reply(200, {
            "type": "file", "encoding": "base64", "size": len(content), "name": path.rsplit("/", 1)[-1],
            "path": path, "sha": blob_sha(content), "content": base64.b64encode(content).decode(),
            "url": f"{self.url}/repos/{self.repo}/contents/{path}",
        })

    def _list_commits(self, *, query: dict[str, list[str]], payload: Any) -> Any:
        """Commits reachable from `sha` (newest first) that changed `path`, as GitHub lists them."""
        sha: str | None = self.branches.get((query.get("sha") or [self.default_branch])[0],
                                            (query.get("sha") or [""])[0])
        path = query["path"][0] if query.get("path") else None
        listed = []
        while sha is not None and sha in self.commits:
            parent = self.parents.get(sha)
            before = self.commits.get(parent, {}) if parent else {}
            if path is None or self.commits[sha].get(path) != before.get(path):
                when = self.commit_dates[sha].strftime("%Y-%m-%dT%H:%M:%SZ")
                person = {"name": "Ann", "email": "ann@example.com", "date": when}
                listed.append({"sha": sha, "url": f"{self.url}/repos/{self.repo}/commits/{sha}",
                               "commit": {"message": "commit", "author": person, "committer": person}})
            sha = parent
        return Reply(200, listed)

    def _get_branch(self, name: str, *, query: Any, payload: Any) -> Any:
        if name not in self.branches:
            raise Missing("Branch not found")
        return Reply(200, {"name": name, "commit": {"sha": self.branches[name]}, "protected": False})

    def _get_tree(self, sha: str, *, query: Any, payload: Any) -> Any:
        files = self._tree(sha)
        tree = [{"path": path, "mode": "100644", "type": "blob", "sha": blob_sha(content),
                 "size": len(content)} for path, content in sorted(files.items())]
        return Reply(200, {"sha": sha, "tree": tree, "truncated": False})

    def _get_pull(self, number: str, *, query: Any, payload: Any) -> Any:
        pull = self.pulls.get(int(number))
        if pull is None:
            raise Missing()
        return Reply(200, {
            "number": int(number), "state": "closed", "merged": pull["merged"],
            "merge_commit_sha": pull["merge_commit_sha"], "merged_at": pull.get("merged_at"),
            "base": {"ref": pull["base"], "sha": "0" * 40}, "head": {"ref": "topic", "sha": "1" * 40},
            "url": f"{self.url}/repos/{self.repo}/pulls/{number}",
        })

    def _pull_files(self, number: str, *, query: Any, payload: Any) -> Any:
        pull = self.pulls.get(int(number))
        if pull is None:
            raise Missing()
        return Reply(200, [{"filename": path, "status": status, "sha": "2" * 40}
                           for path, status in pull["files"]])
