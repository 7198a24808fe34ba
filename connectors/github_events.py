"""GitHub webhook payloads, as pure parsers: which events approve a postmortem, and ticket changes.

`github_merged_pull` reads a `pull_request` event (the approval hook `/hooks/github`);
`ticket_from_github_event` reads an `issues` event (the status hook `/hooks/status/github`). The request
handling (secret, signature, limits, outbox, store write) is the receiver's: worker.web.receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config.sources import GitHubSource
from connectors.github import issue_status
from connectors.github_markup import ZWSP, parse_due, parse_fingerprint
from connectors.jira_fields import fingerprint_from_labels
from connectors.payload import as_dict
from connectors.tracker import Ticket, TicketFields

#: GitHub `issues` actions that can change status, due date (body) or assignee.
GITHUB_ACTIONS = frozenset({"opened", "edited", "closed", "reopened", "assigned", "unassigned"})


@dataclass(frozen=True, slots=True)
class MergedPullEvent:
    repo: str
    number: int


def github_merged_pull(
    event: str | None, payload: Any, source: GitHubSource | None
) -> MergedPullEvent | None:
    """A pull request closed by merging into the postmortem branch of the configured repository."""
    if source is None or event != "pull_request":
        return None
    body = as_dict(payload)
    pull = as_dict(body.get("pull_request"))
    repo = as_dict(body.get("repository"))
    if body.get("action") != "closed" or pull.get("merged") is not True:
        return None
    full_name = repo.get("full_name")
    if not isinstance(full_name, str) or full_name.lower() != source.repo.lower():
        return None
    branch = source.branch or repo.get("default_branch")
    if as_dict(pull.get("base")).get("ref") != branch:
        return None
    number = pull.get("number", body.get("number"))
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        return None
    return MergedPullEvent(repo=source.repo, number=number)


def _github_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def ticket_from_github_event(event: str | None, payload: Any) -> Ticket | None:
    """The issue in a GitHub `issues` event (pull requests and other events give None)."""
    body = as_dict(payload)
    if event != "issues" or body.get("action") not in GITHUB_ACTIONS:
        return None
    issue = as_dict(body.get("issue"))
    repo = as_dict(body.get("repository")).get("full_name")
    number = issue.get("number")
    if not isinstance(repo, str) or not isinstance(number, int) or "pull_request" in issue:
        return None
    assignees = [a.get("login") for a in issue.get("assignees") or () if isinstance(a, dict)]
    labels = frozenset(str(as_dict(label).get("name")) for label in issue.get("labels") or ())
    status, status_name = issue_status(issue.get("state"), issue.get("state_reason"))
    text = issue.get("body") if isinstance(issue.get("body"), str) else None
    return Ticket(
        key=f"{repo}#{number}", url=str(issue.get("html_url") or ""),
        fingerprint=parse_fingerprint(text) or fingerprint_from_labels(sorted(labels)),
        fields=TicketFields(title=str(issue.get("title") or "").replace(ZWSP, ""), due=parse_due(text),
                            assignee=assignees[0] if assignees else None),
        status=status, status_name=status_name, labels=labels, updated=_github_time(issue.get("updated_at")),
    )
