"""Read postmortem files (and, optionally, incident issues) from a GitLab project (python-gitlab).

Like the GitHub source: files under the configured folder on the configured branch, read pinned to a
commit (`gitlab:group/project@<sha>:<path>`). The version of a file's content is its commit: the SHA is
in the source string, and the commit's time (`GET .../repository/commits/:sha` of the file's
`last_commit_id`) orders versions, so an older commit read late never replaces a newer one.
Reads only; failures are mapped by connectors.gitlab_client.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from config.settings import Settings
from config.sources import GitLabSource
from connectors.errors import Invalid
from connectors.gitlab_client import Connection
from connectors.payload import iso_time
from connectors.sources import Document, GitLabFile, GitLabIncident, NotConfigured

T = TypeVar("T")
_TIMEOUT = 15


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """A merge request's state, the commit to read its files at, and the paths it added or changed."""

    project: str
    iid: int
    merged: bool
    target_branch: str
    sha: str | None  # the merge commit when merged, else the head of its source branch
    paths: tuple[str, ...]




def _path(project: str) -> str:
    return quote(project, safe="")


class GitLabReader:
    """Fetch postmortems from one GitLab instance."""

    def __init__(self, settings: Settings, *, connection: Connection | None = None) -> None:
        self._settings = settings
        self._connection = connection

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = Connection(self._settings, timeout=_TIMEOUT)
        return self._connection

    def _call(self, what: str, func: Callable[[Any], T]) -> T:
        connection = self.connection
        with connection.mapped(what):
            return func(connection.gl)

    def _get(self, what: str, url: str, **query: Any) -> Any:
        return self._call(what, lambda gl: gl.http_get(url, query_data=query))

    def _list(self, what: str, url: str, **query: Any) -> list[Any]:
        return self._call(what, lambda gl: list(gl.http_list(url, query_data=query, iterator=True)))

    def default_branch(self, project: str) -> str:
        """The project's default branch."""
        return str(self._get(project, f"/projects/{_path(project)}")["default_branch"])

    def branch_head(self, project: str, branch: str) -> str:
        """The commit SHA a branch points at."""
        reply = self._get(f"{project}@{branch}", f"/projects/{_path(project)}/repository/branches/"
                          f"{quote(branch, safe='')}")
        return str(reply["commit"]["id"])

    def commit_time(self, project: str, sha: str) -> datetime | None:
        reply = self._get(f"{project}@{sha}", f"/projects/{_path(project)}/repository/commits/{sha}")
        return iso_time(reply.get("committed_date"))

    def fetch(self, ref: GitLabFile | GitLabIncident) -> Document:
        """One file's bytes at a commit or branch, versioned by the commit that last changed it."""
        if isinstance(ref, GitLabIncident):
            return self.fetch_incident(ref)
        limit = self._settings.max_document_bytes
        reply = self._get(str(ref), f"/projects/{_path(ref.project)}/repository/files/"
                          f"{quote(ref.path, safe='')}", ref=ref.ref)
        if int(reply.get("size") or 0) > limit:
            raise Invalid(f"{ref}: {reply.get('size')} bytes is over max_document_bytes ({limit})")
        content = base64.b64decode(str(reply.get("content") or ""))
        last = str(reply.get("last_commit_id") or ref.ref)
        return Document(content=content, source=ref, filename=ref.path.rsplit("/", 1)[-1],
                        version=self.commit_time(ref.project, last))

    def fetch_incident(self, ref: GitLabIncident) -> Document:
        """An incident issue's description (Markdown), versioned by its `updated_at`."""
        issue = self._get(str(ref), f"/projects/{_path(ref.project)}/issues/{ref.iid}")
        if issue.get("issue_type") != "incident":
            raise NotConfigured(f"{ref}: not an incident issue")
        text = f"# {issue.get('title') or ''}\n\n{issue.get('description') or ''}\n".encode()
        limit = self._settings.max_document_bytes
        if len(text) > limit:
            raise Invalid(f"{ref}: {len(text)} bytes is over max_document_bytes ({limit})")
        return Document(content=text, source=ref, filename=f"incident-{ref.iid}.md",
                        title=str(issue.get("title") or "") or None,
                        version=iso_time(issue.get("updated_at")))

    def list_postmortems(self, source: GitLabSource) -> list[GitLabFile]:
        """Every postmortem file under the folder on the branch, pinned to the branch's head commit."""
        branch = source.branch or self.default_branch(source.project)
        sha = self.branch_head(source.project, branch)
        tree = self._list(source.project, f"/projects/{_path(source.project)}/repository/tree",
                          path=source.path.rstrip("/"), ref=sha, recursive=True)
        return [GitLabFile(source.project, sha, str(entry["path"])) for entry in tree
                if entry.get("type") == "blob" and source.covers(str(entry.get("path", "")))]

    def incidents(self, source: GitLabSource) -> list[GitLabIncident]:
        """The project's closed incident issues (a closed incident is a reviewed one)."""
        found = self._list(f"{source.project} incidents", f"/projects/{_path(source.project)}/issues",
                           issue_type="incident", state="closed")
        return [GitLabIncident(source.project, int(issue["iid"])) for issue in found]

    def merge_request(self, project: str, iid: int) -> MergeRequest:
        """A merge request and the paths its diffs add or modify (not deleted ones)."""
        base = f"/projects/{_path(project)}/merge_requests/{iid}"
        reply = self._get(f"{project}!{iid}", base)
        diffs = self._list(f"{project}!{iid}", f"{base}/diffs")
        paths = tuple(str(d["new_path"]) for d in diffs if not d.get("deleted_file"))
        merged = reply.get("state") == "merged"
        sha = reply.get("merge_commit_sha") or reply.get("squash_commit_sha") if merged else reply.get("sha")
        return MergeRequest(project=project, iid=iid, merged=merged,
                            target_branch=str(reply.get("target_branch")), sha=sha, paths=paths)

    def changed_paths(self, project: str, before: str, after: str) -> tuple[str, ...]:
        """Paths added or modified between two commits (a push listing only its first 20 commits)."""
        reply = self._get(f"{project} compare", f"/projects/{_path(project)}/repository/compare",
                          **{"from": before, "to": after})
        return tuple(str(d["new_path"]) for d in reply.get("diffs", []) if not d.get("deleted_file"))
