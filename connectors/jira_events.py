"""Jira webhook payloads, as pure parsers: which events approve a postmortem, and ticket changes.

Both read a `jira:issue_updated` event: `jira_approved_issue` for the approval hook `/hooks/jira`,
`ticket_from_jira_event` for the status hook `/hooks/status/jira`. The request handling (secret,
signature, limits, outbox, store write) is the receiver's: worker.web.receive.
"""

from __future__ import annotations

from typing import Any

from config.sources import JiraSource
from connectors.jira_fields import PriorityMap, ticket_from_issue
from connectors.payload import as_dict
from connectors.tracker import Ticket


def jira_approved_issue(payload: Any, source: JiraSource | None) -> str | None:
    """The key of an issue in a configured project whose status just changed to the approved one."""
    return jira_approval(payload, source)[0]


def jira_approval(payload: Any, source: JiraSource | None) -> tuple[str | None, str]:
    """(issue key, "") for an approval; (None, why not) for anything else. The reason names only our
    configuration and the event's kind, never payload text, so it is safe to answer and to log."""
    if source is None:
        return None, "no Jira source is configured (sources.jira)"
    body = as_dict(payload)
    if body.get("webhookEvent") != "jira:issue_updated":
        return None, "not a jira:issue_updated event"
    issue = as_dict(body.get("issue"))
    key = issue.get("key")
    project = as_dict(as_dict(issue.get("fields")).get("project")).get("key")
    if not isinstance(key, str) or not isinstance(project, str):
        return None, "the event names no issue key or project"
    if project.upper() not in source.projects:
        return None, f"the issue's project is not one of sources.jira.projects ({', '.join(source.projects)})"
    # The key names the issue we fetch; the project field is what was checked. They must agree, or a
    # payload could pass the check with PIR and have us read SEC-1.
    if key.rpartition("-")[0].upper() != project.upper():
        return None, "the issue key is not in the issue's project"
    items = as_dict(body.get("changelog")).get("items")
    wanted = source.approved_status.casefold()
    for item in items if isinstance(items, list) else []:
        change = as_dict(item)
        to = change.get("toString")
        if change.get("field") == "status" and isinstance(to, str) and to.casefold() == wanted:
            return key, ""
    return None, (f"the change does not move the status to {source.approved_status!r} "
                  "(sources.jira.approved_status)")


def ticket_from_jira_event(payload: Any, *, server: str = "") -> Ticket | None:
    """The ticket in a `jira:issue_updated` event, or None for any other event."""
    body = as_dict(payload)
    if body.get("webhookEvent") != "jira:issue_updated":
        return None
    issue = as_dict(body.get("issue"))
    if not isinstance(issue.get("key"), str) or not issue["key"]:
        return None
    assignee = as_dict(as_dict(issue.get("fields")).get("assignee"))
    # Cloud identifies people by accountId only; Data Center by name.
    cloud = "accountId" in assignee or not assignee
    return ticket_from_issue(issue, server=server, cloud=cloud, priorities=PriorityMap({}))


def jira_review_issue(payload: Any, source: JiraSource | None) -> str | None:
    """The key of a configured project's issue updated while in the review status (the preview's trigger);
    None when previews are off for the source."""
    if source is None or not source.contract.preview:
        return None
    body = as_dict(payload)
    if body.get("webhookEvent") not in ("jira:issue_updated", "jira:issue_created"):
        return None
    issue = as_dict(body.get("issue"))
    fields = as_dict(issue.get("fields"))
    key = issue.get("key")
    project = as_dict(fields.get("project")).get("key")
    if not isinstance(key, str) or not isinstance(project, str) or project.upper() not in source.projects:
        return None
    if key.rpartition("-")[0].upper() != project.upper():
        return None
    status = as_dict(fields.get("status")).get("name")
    wanted = source.contract.review_status.casefold()
    return key if isinstance(status, str) and status.casefold() == wanted else None
