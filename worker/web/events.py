"""Which webhook events mean "a postmortem was approved" (pure functions of the payload and config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.sources import GitHubSource, JiraSource


@dataclass(frozen=True, slots=True)
class MergedPullEvent:
    repo: str
    number: int


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def github_merged_pull(
    event: str | None, payload: Any, source: GitHubSource | None
) -> MergedPullEvent | None:
    """A pull request closed by merging into the postmortem branch of the configured repository."""
    if source is None or event != "pull_request":
        return None
    body = _dict(payload)
    pull = _dict(body.get("pull_request"))
    repo = _dict(body.get("repository"))
    if body.get("action") != "closed" or pull.get("merged") is not True:
        return None
    full_name = repo.get("full_name")
    if not isinstance(full_name, str) or full_name.lower() != source.repo.lower():
        return None
    branch = source.branch or repo.get("default_branch")
    if _dict(pull.get("base")).get("ref") != branch:
        return None
    number = pull.get("number", body.get("number"))
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        return None
    return MergedPullEvent(repo=source.repo, number=number)


def jira_approved_issue(payload: Any, source: JiraSource | None) -> str | None:
    """The key of an issue in a configured project whose status just changed to the approved one."""
    if source is None:
        return None
    body = _dict(payload)
    if body.get("webhookEvent") != "jira:issue_updated":
        return None
    issue = _dict(body.get("issue"))
    key = issue.get("key")
    project = _dict(_dict(issue.get("fields")).get("project")).get("key")
    if not isinstance(key, str) or not isinstance(project, str) or project.upper() not in source.projects:
        return None
    # The key names the issue we fetch; the project field is what was checked. They must agree, or a
    # payload could pass the check with PIR and have us read SEC-1.
    if key.rpartition("-")[0].upper() != project.upper():
        return None
    items = _dict(body.get("changelog")).get("items")
    wanted = source.approved_status.casefold()
    for item in items if isinstance(items, list) else []:
        change = _dict(item)
        to = change.get("toString")
        if change.get("field") == "status" and isinstance(to, str) and to.casefold() == wanted:
            return key
    return None
