"""The GitHub stand-in's repository files, open pull requests and comment edits (for the contract tests).

Shapes follow docs.github.com (REST 2022-11-28):
- rest/repos/contents#get-repository-content (base64 `content`, `sha` = the blob's git hash, `?ref=`
  a branch or commit) and #create-or-update-file-contents (PUT with `message`, base64 `content`,
  `branch` and the file's current blob `sha`; a `sha` that is not the current one answers 409
  "... does not match ...", a missing `sha` for an existing file 422; the answer names the new commit);
- rest/pulls/pulls#get-a-pull-request (`head.sha`, `head.ref`, `base.ref`, `user.login`) and
  #list-pull-requests-files (`filename`, `status`);
- rest/issues/comments#update-an-issue-comment (PATCH .../issues/comments/{id});
- rest/commits/commits#get-a-commit and rest/commits/comments#create-a-commit-comment;
- rest/git/refs#create-a-reference (422 "Reference already exists") and #update-a-reference (`force`);
- rest/pulls/pulls#list-pull-requests (`state`, `head` as "owner:branch") and #create-a-pull-request;
- rest/checks/runs#create-a-check-run, #update-a-check-run and #list-check-runs-for-a-git-reference
  (`check_name`; the list is `{"total_count", "check_runs"}`).

Mixed into GitHubStandIn; `before_contents_put` lets a test land a person's commit between our read and
our write, as a concurrent edit would.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def blob_sha(content: bytes) -> str:
    """Git's blob hash, what the contents API calls a file's `sha`."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass(slots=True)
class StandInPull:
    number: int
    head_ref: str
    base_ref: str
    user: str
    files: list[tuple[str, str]] = field(default_factory=list)  # (path, status)


class ContentsMixin:
    """State and endpoints; the host class provides `lock`, `repo`, `url`, `issues` and the reply types."""

    def _init_contents(self) -> None:
        self.contents_default_branch = "main"
        #: branch name or commit sha -> {path: bytes}
        self.contents_by_ref: dict[str, dict[str, bytes]] = {}
        #: branch name -> its head commit sha
        self.contents_heads: dict[str, str] = {}
        #: (branch, path, committer message) of every accepted PUT, in order.
        self.contents_commits: list[tuple[str, str, str]] = []
        self.open_pulls: dict[int, StandInPull] = {}
        #: commit sha -> bodies of its commit comments
        self.commit_comments: dict[str, list[str]] = {}
        #: Called (under the lock) before a PUT is checked: a person's edit landing first.
        self.before_contents_put: Callable[[], object] | None = None
        self._commit_seq = 0
        #: check run id -> its JSON (name, head_sha, status, conclusion, output)
        self.check_runs: dict[int, dict[str, Any]] = {}

    # --- helpers for tests ------------------------------------------------------------------------

    def put_file(self, branch: str, path: str, content: bytes, *, message: str = "edit") -> str:
        """Commit one file on `branch` as a person would; returns the new commit sha."""
        with self.lock:  # type: ignore[attr-defined]
            files = dict(self.contents_by_ref.get(branch, {}))
            files[path] = content
            self._commit_seq += 1
            sha = hashlib.sha1(f"{branch}:{self._commit_seq}".encode() + content).hexdigest()
            self.contents_by_ref[branch] = files
            self.contents_by_ref[sha] = dict(files)
            self.contents_heads[branch] = sha
            self.contents_commits.append((branch, path, message))
            return sha

    def file(self, ref: str, path: str) -> bytes:
        with self.lock:  # type: ignore[attr-defined]
            return self.contents_by_ref[ref][path]

    def add_pull(self, *, head_ref: str, base_ref: str = "main", user: str = "alice",
                 files: list[tuple[str, str]] | None = None) -> StandInPull:
        """An open pull request (also an issue, so it takes comments)."""
        issue = self.add_issue(f"Pull {head_ref}", pull_request=True)  # type: ignore[attr-defined]
        pull = StandInPull(issue.number, head_ref, base_ref, user, list(files or []))
        self.open_pulls[issue.number] = pull
        return pull

    def _contents_routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/contents/(.+)", "GET", self._contents_get),
            (r"/contents/(.+)", "PUT", self._contents_put),
            (r"/pulls/(\d+)", "GET", self._open_pull_get),
            (r"/pulls/(\d+)/files", "GET", self._open_pull_files),
            (r"/issues/comments/(\d+)", "PATCH", self._edit_comment),
            (r"/commits/([0-9a-f]{7,40})", "GET", self._commit_get),
            (r"/branches/(.+)", "GET", self._branch_get),
            (r"/git/refs", "POST", self._ref_create),
            (r"/git/refs/heads/(.+)", "PATCH", self._ref_update),
            (r"/check-runs", "POST", self._check_create),
            (r"/check-runs/(\d+)", "PATCH", self._check_update),
            (r"/commits/([0-9a-f]{7,40})/check-runs", "GET", self._checks_list),
            (r"/pulls", "GET", self._pulls_list),
            (r"/pulls", "POST", self._pull_create),
            (r"/commits/([0-9a-f]{7,40})/comments", "POST", self._commit_comment),
        ]

    # --- endpoints --------------------------------------------------------------------------------

    def _file_json(self, path: str, content: bytes) -> dict[str, Any]:
        url = f"{self.url}/repos/{self.repo}/contents/{path}"  # type: ignore[attr-defined]
        return {"type": "file", "encoding": "base64", "size": len(content), "name": path.rsplit("/", 1)[-1],
                "path": path, "sha": blob_sha(content), "content": base64.b64encode(content).decode(),
                "url": url, "html_url": url, "git_url": url, "download_url": url}

    def _contents_get(self, path: str, *, query: dict[str, list[str]], payload: Any) -> Any:
        ref = (query.get("ref") or [self.contents_default_branch])[0]
        files = self.contents_by_ref.get(ref)
        if files is None or path not in files:
            raise self._missing()
        return self._reply(200, self._file_json(path, files[path]))

    def _contents_put(self, path: str, *, query: Any, payload: Any) -> Any:
        if self.before_contents_put is not None:
            hook, self.before_contents_put = self.before_contents_put, None
            hook()
        data = payload if isinstance(payload, dict) else {}
        branch = str(data.get("branch") or self.contents_default_branch)
        current = self.contents_by_ref.get(branch, {}).get(path)
        if not isinstance(data.get("message"), str) or not isinstance(data.get("content"), str):
            return self._reply(422, {"message": "Invalid request.", "documentation_url": "https://docs.github.com/rest"})
        if current is not None and not data.get("sha"):
            return self._reply(422, {"message": "Invalid request.\n\n\"sha\" wasn't supplied.",
                                     "documentation_url": "https://docs.github.com/rest"})
        if current is not None and data.get("sha") != blob_sha(current):
            return self._reply(409, {"message": f"{path} does not match {data.get('sha')}",
                                     "documentation_url": "https://docs.github.com/rest"})
        content = base64.b64decode(data["content"])
        sha = self.put_file(branch, path, content, message=data["message"])
        body = {"content": self._file_json(path, content),
                "commit": {"sha": sha, "message": data["message"], "html_url": f"{self.url}/commit/{sha}"}}  # type: ignore[attr-defined]
        return self._reply(201 if current is None else 200, body)

    def _open_pull_get(self, number: str, *, query: Any, payload: Any) -> Any:
        pull = self.open_pulls.get(int(number))
        if pull is None:
            raise self._missing()
        head_sha = self.contents_heads.get(pull.head_ref, "0" * 40)
        return self._reply(200, {
            "number": pull.number, "state": "open", "merged": False, "merge_commit_sha": None,
            "user": {"login": pull.user, "id": 1, "type": "User"},
            "base": {"ref": pull.base_ref, "sha": self.contents_heads.get(pull.base_ref, "0" * 40)},
            "head": {"ref": pull.head_ref, "sha": head_sha},
            "url": f"{self.url}/repos/{self.repo}/pulls/{number}",  # type: ignore[attr-defined]
        })

    def _open_pull_files(self, number: str, *, query: Any, payload: Any) -> Any:
        pull = self.open_pulls.get(int(number))
        if pull is None:
            raise self._missing()
        return self._reply(200, [{"filename": path, "status": status, "sha": "2" * 40}
                                 for path, status in pull.files])

    def _edit_comment(self, comment_id: str, *, query: Any, payload: Any) -> Any:
        number, index = divmod(int(comment_id), 100_000)
        issue = self.issues.get(number)  # type: ignore[attr-defined]
        body = (payload or {}).get("body") if isinstance(payload, dict) else None
        if issue is None or index >= len(issue.comments):
            raise self._missing()
        if not isinstance(body, str) or not body:
            return self._reply(422, {"message": "Validation Failed", "errors": [{"field": "body"}]})
        issue.comments[index] = body
        return self._reply(200, {"id": int(comment_id), "body": body,
                                 "url": f"{self.url}/repos/{self.repo}/issues/comments/{comment_id}",  # type: ignore[attr-defined]
                                 "user": {"login": "followthrough-bot", "id": 1, "type": "Bot"}})

    def _commit_get(self, sha: str, *, query: Any, payload: Any) -> Any:
        if sha not in self.contents_by_ref:
            raise self._missing()
        url = f"{self.url}/repos/{self.repo}/commits/{sha}"  # type: ignore[attr-defined]
        return self._reply(200, {"sha": sha, "url": url, "html_url": url, "commit": {"message": ""},
                                 "files": [], "parents": []})

    def _branch_get(self, name: str, *, query: Any, payload: Any) -> Any:
        if name not in self.contents_heads:
            raise self._missing()
        head = {"sha": self.contents_heads[name]}
        return self._reply(200, {"name": name, "commit": head, "protected": False})

    def _point(self, branch: str, sha: str) -> None:
        self.contents_by_ref[branch] = dict(self.contents_by_ref[sha])
        self.contents_heads[branch] = sha

    def _ref_create(self, *, query: Any, payload: Any) -> Any:
        data = payload if isinstance(payload, dict) else {}
        ref, sha = str(data.get("ref") or ""), str(data.get("sha") or "")
        if not ref.startswith("refs/heads/") or sha not in self.contents_by_ref:
            return self._reply(422, {"message": "Reference update failed"})
        if ref[len("refs/heads/"):] in self.contents_heads:
            return self._reply(422, {"message": "Reference already exists"})
        self._point(ref[len("refs/heads/"):], sha)
        return self._reply(201, {"ref": ref, "object": {"sha": sha, "type": "commit"},
                                 "url": f"{self.url}/repos/{self.repo}/git/{ref}"})  # type: ignore[attr-defined]

    def _ref_update(self, branch: str, *, query: Any, payload: Any) -> Any:
        data = payload if isinstance(payload, dict) else {}
        sha = str(data.get("sha") or "")
        if branch not in self.contents_heads:
            raise self._missing()
        if sha not in self.contents_by_ref or not data.get("force"):
            return self._reply(422, {"message": "Update is not a fast forward"})
        self._point(branch, sha)
        return self._reply(200, {"ref": f"refs/heads/{branch}", "object": {"sha": sha, "type": "commit"}})

    def _pull_json(self, pull: StandInPull) -> dict[str, Any]:
        url = f"{self.url}/repos/{self.repo}/pulls/{pull.number}"  # type: ignore[attr-defined]
        return {"number": pull.number, "state": "open", "url": url, "html_url": url,
                "head": {"ref": pull.head_ref, "sha": self.contents_heads.get(pull.head_ref, "0" * 40)},
                "base": {"ref": pull.base_ref}, "user": {"login": pull.user, "id": 1, "type": "User"}}

    def _pulls_list(self, *, query: dict[str, list[str]], payload: Any) -> Any:
        head = (query.get("head") or [""])[0].partition(":")[2]
        state = (query.get("state") or ["open"])[0]
        listed = [self._pull_json(p) for p in self.open_pulls.values()
                  if (not head or p.head_ref == head) and state in ("open", "all")]
        return self._reply(200, listed)

    def _pull_create(self, *, query: Any, payload: Any) -> Any:
        data = payload if isinstance(payload, dict) else {}
        head, base = str(data.get("head") or ""), str(data.get("base") or "")
        if head not in self.contents_heads or base not in self.contents_heads or not data.get("title"):
            return self._reply(422, {"message": "Validation Failed", "errors": [{"field": "head"}]})
        if any(p.head_ref == head for p in self.open_pulls.values()):
            return self._reply(422, {"message": "Validation Failed",
                                     "errors": [{"message": f"A pull request already exists for {head}."}]})
        pull = self.add_pull(head_ref=head, base_ref=base, user="followthrough-bot")
        return self._reply(201, self._pull_json(pull))

    def merge_pull(self, number: int) -> str:
        """Merge an open pull request as a person would: its head's files land on the base branch."""
        with self.lock:  # type: ignore[attr-defined]
            pull = self.open_pulls.pop(number)
            files = self.contents_by_ref[pull.head_ref]
            sha = ""
            for path, content in files.items():
                if self.contents_by_ref.get(pull.base_ref, {}).get(path) != content:
                    sha = self.put_file(pull.base_ref, path, content, message=f"Merge #{number}")
            return sha or self.contents_heads[pull.base_ref]

    def _check_json(self, run_id: int) -> dict[str, Any]:
        url = f"{self.url}/repos/{self.repo}/check-runs/{run_id}"  # type: ignore[attr-defined]
        return {"id": run_id, "url": url, "html_url": url, **self.check_runs[run_id]}

    def _check_create(self, *, query: Any, payload: Any) -> Any:
        data = payload if isinstance(payload, dict) else {}
        if not data.get("name") or not data.get("head_sha"):
            return self._reply(422, {"message": "Validation Failed", "errors": [{"field": "head_sha"}]})
        run_id = len(self.check_runs) + 1
        self.check_runs[run_id] = {k: data.get(k) for k in ("name", "head_sha", "status", "conclusion",
                                                             "output", "external_id")}
        return self._reply(201, self._check_json(run_id))

    def _check_update(self, run_id: str, *, query: Any, payload: Any) -> Any:
        if int(run_id) not in self.check_runs:
            raise self._missing()
        data = payload if isinstance(payload, dict) else {}
        self.check_runs[int(run_id)].update({k: v for k, v in data.items() if k in (
            "name", "status", "conclusion", "output", "external_id")})
        return self._reply(200, self._check_json(int(run_id)))

    def _checks_list(self, sha: str, *, query: dict[str, list[str]], payload: Any) -> Any:
        name = (query.get("check_name") or [""])[0]
        runs = [self._check_json(i) for i, run in self.check_runs.items()
                if run["head_sha"] == sha and (not name or run["name"] == name)]
        return self._reply(200, {"total_count": len(runs), "check_runs": runs})

    def _commit_comment(self, sha: str, *, query: Any, payload: Any) -> Any:
        body = (payload or {}).get("body") if isinstance(payload, dict) else None
        if not isinstance(body, str) or not body:
            return self._reply(422, {"message": "Validation Failed", "errors": [{"field": "body"}]})
        self.commit_comments.setdefault(sha, []).append(body)
        return self._reply(201, {"id": len(self.commit_comments[sha]), "body": body, "commit_id": sha})

    def _reply(self, status: int, body: Any) -> Any:
        raise NotImplementedError

    def _missing(self) -> Exception:
        raise NotImplementedError
