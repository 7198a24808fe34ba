"""Ticket changes pushed by the trackers (Jira `jira:issue_updated`, GitHub `issues`), as pure parsers.

Each parser turns an event payload into a Ticket (or None for events that change nothing we track). The
request handling (body limit, signature, store write) is the web layer's: worker.web.status_hooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.github_markup import ZWSP, parse_due, parse_fingerprint
from connectors.jira_fields import PriorityMap, fingerprint_from_labels, ticket_from_issue
from connectors.tracker import Ticket, TicketFields, TicketStatus

#: GitHub `issues` actions that can change status, due date (body) or assignee.
GITHUB_ACTIONS = frozenset({"opened", "edited", "closed", "reopened", "assigned", "unassigned"})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def ticket_from_jira_event(payload: Any, *, server: str = "") -> Ticket | None:
    """The ticket in a `jira:issue_updated` event, or None for any other event."""
    body = _dict(payload)
    if body.get("webhookEvent") != "jira:issue_updated":
        return None
    issue = _dict(body.get("issue"))
    if not isinstance(issue.get("key"), str) or not issue["key"]:
        return None
    assignee = _dict(_dict(issue.get("fields")).get("assignee"))
    # Cloud identifies people by accountId only; Data Center by name.
    cloud = "accountId" in assignee or not assignee
    return ticket_from_issue(issue, server=server, cloud=cloud, priorities=PriorityMap({}))


def _github_status(state: Any, reason: Any) -> tuple[TicketStatus, str]:
    if state != "closed":
        return TicketStatus.OPEN, str(state or "open")
    if reason in ("not_planned", "duplicate"):
        return TicketStatus.DROPPED, f"closed ({reason})"
    return TicketStatus.DONE, f"closed ({reason or 'completed'})"


def _github_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def ticket_from_github_event(event: str | None, payload: Any) -> Ticket | None:
    """The issue in a GitHub `issues` event (pull requests and other events give None)."""
    body = _dict(payload)
    if event != "issues" or body.get("action") not in GITHUB_ACTIONS:
        return None
    issue = _dict(body.get("issue"))
    repo = _dict(body.get("repository")).get("full_name")
    number = issue.get("number")
    if not isinstance(repo, str) or not isinstance(number, int) or "pull_request" in issue:
        return None
    assignees = [a.get("login") for a in issue.get("assignees") or () if isinstance(a, dict)]
    labels = frozenset(str(_dict(label).get("name")) for label in issue.get("labels") or ())
    status, status_name = _github_status(issue.get("state"), issue.get("state_reason"))
    text = issue.get("body") if isinstance(issue.get("body"), str) else None
    return Ticket(
        key=f"{repo}#{number}", url=str(issue.get("html_url") or ""),
        fingerprint=parse_fingerprint(text) or fingerprint_from_labels(sorted(labels)),
        fields=TicketFields(title=str(issue.get("title") or "").replace(ZWSP, ""), due=parse_due(text),
                            assignee=assignees[0] if assignees else None),
        status=status, status_name=status_name, labels=labels, updated=_github_time(issue.get("updated_at")),
    )
