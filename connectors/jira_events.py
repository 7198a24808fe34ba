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
    if source is None:
        return None
    body = as_dict(payload)
    if body.get("webhookEvent") != "jira:issue_updated":
        return None
    issue = as_dict(body.get("issue"))
    key = issue.get("key")
    project = as_dict(as_dict(issue.get("fields")).get("project")).get("key")
    if not isinstance(key, str) or not isinstance(project, str) or project.upper() not in source.projects:
        return None
    # The key names the issue we fetch; the project field is what was checked. They must agree, or a
    # payload could pass the check with PIR and have us read SEC-1.
    if key.rpartition("-")[0].upper() != project.upper():
        return None
    items = as_dict(body.get("changelog")).get("items")
    wanted = source.approved_status.casefold()
    for item in items if isinstance(items, list) else []:
        change = as_dict(item)
        to = change.get("toString")
        if change.get("field") == "status" and isinstance(to, str) and to.casefold() == wanted:
            return key
    return None


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
