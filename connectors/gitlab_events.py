"""GitLab webhook payloads, as pure parsers: pushes and merge requests on the postmortem branch, closed
incidents, and open merge requests whose review preview should be refreshed.

The request handling (token, Standard Webhooks signature, outbox) is the receiver's:
worker.web.source_approvals. Nothing here calls GitLab.
"""

from __future__ import annotations

from typing import Any

from config.sources import GitLabSource
from connectors.payload import as_dict

#: Merge-request actions after which an open merge request's files may read differently.
PREVIEW_ACTIONS = frozenset({"open", "reopen", "update"})


def gitlab_branch(source: GitLabSource, payload: dict[str, Any]) -> str:
    """The postmortem branch: configured, else the project's default branch as the event names it."""
    return source.branch or str(as_dict(payload.get("project")).get("default_branch") or "")


def gitlab_project(payload: dict[str, Any]) -> str:
    return str(as_dict(payload.get("project")).get("path_with_namespace") or "")


def gitlab_push(source: GitLabSource, payload: dict[str, Any]) -> dict[str, Any] | None:
    """A push to the postmortem branch touching the folder: the change task's arguments, else None."""
    if payload.get("ref") != f"refs/heads/{gitlab_branch(source, payload)}" or not payload.get("after"):
        return None
    commits = payload.get("commits") or []
    paths = {p for c in commits for key in ("added", "modified") for p in c.get(key) or []}
    # A push lists only its first 20 commits: past that, the task compares before..after instead.
    complete = int(payload.get("total_commits_count") or 0) <= len(commits)
    wanted = sorted(p for p in paths if isinstance(p, str) and source.covers(p))
    if complete and not wanted:
        return None
    return {"project": source.project, "sha": str(payload["after"]), "before": str(payload.get("before")),
            "paths": wanted if complete else None}


def gitlab_merge_request(source: GitLabSource, payload: dict[str, Any]) -> dict[str, Any] | None:
    """A merge request merged into or approved on the postmortem branch: the change task's arguments."""
    attributes = payload.get("object_attributes") or {}
    if attributes.get("action") not in ("merge", "approved"):
        return None
    if attributes.get("target_branch") != gitlab_branch(source, payload):
        return None
    return {"project": source.project, "mr": int(attributes["iid"])}


def gitlab_closed_incident(source: GitLabSource, payload: dict[str, Any]) -> tuple[str, str] | None:
    """A closed incident issue (when incidents are a source): its source string and `updated_at`."""
    attributes = payload.get("object_attributes") or {}
    if not source.incidents or attributes.get("issue_type") != "incident":
        return None
    if attributes.get("action") != "close":
        return None
    return f"gitlab-incident:{source.project}#{int(attributes['iid'])}", str(attributes.get("updated_at"))


def gitlab_open_merge_request(source: GitLabSource, payload: dict[str, Any]) -> int | None:
    """The iid of an open merge request into the postmortem branch with a new version (the review
    preview's trigger); None when previews are off for the source."""
    if not source.contract.preview:
        return None
    attributes = as_dict(payload.get("object_attributes"))
    if attributes.get("action") not in PREVIEW_ACTIONS or attributes.get("state") != "opened":
        return None
    if attributes.get("target_branch") != gitlab_branch(source, payload):
        return None
    iid = attributes.get("iid")
    if not isinstance(iid, int) or isinstance(iid, bool) or iid <= 0:
        return None
    return iid
