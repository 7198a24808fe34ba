"""Tracker webhook payloads -> tickets (the pure part of the status webhooks)."""

from __future__ import annotations

from datetime import date

from connectors.github_events import ticket_from_github_event
from connectors.jira_events import ticket_from_jira_event
from connectors.tracker import TicketStatus


def jira_event(category: str = "done", resolution: str | None = "Done",
               **fields: object) -> dict[str, object]:
    return {
        "webhookEvent": "jira:issue_updated",
        "issue": {"key": "OPS-7", "fields": {
            "summary": "Add alert", "duedate": "2026-04-01", "labels": ["followthrough", "ft-abc123"],
            "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Dana"},
            "status": {"name": "Closed", "statusCategory": {"key": category}},
            "resolution": {"name": resolution} if resolution else None,
            "updated": "2026-03-28T10:00:00.000+0000", **fields}},
        "changelog": {"items": [{"field": "status", "fromString": "Open", "toString": "Closed"}]},
    }


def test_jira_issue_updated() -> None:
    ticket = ticket_from_jira_event(jira_event(), server="https://acme.atlassian.net")
    assert ticket is not None
    assert (ticket.key, ticket.status, ticket.fields.due) == ("OPS-7", TicketStatus.DONE, date(2026, 4, 1))
    assert ticket.fields.assignee == "5b10ac8d82e05b22cc7d4ef5"
    assert ticket.updated is not None and ticket.updated.isoformat() == "2026-03-28T10:00:00+00:00"
    assert ticket.url == "https://acme.atlassian.net/browse/OPS-7"


def test_jira_wont_do_is_dropped_and_open_is_open() -> None:
    dropped = ticket_from_jira_event(jira_event(resolution="Won't Do"))
    reopened = ticket_from_jira_event(jira_event(category="indeterminate", resolution=None))
    assert dropped is not None and dropped.status is TicketStatus.DROPPED
    assert reopened is not None and reopened.status is TicketStatus.OPEN


def test_jira_other_events_ignored() -> None:
    assert ticket_from_jira_event({"webhookEvent": "jira:issue_created", "issue": {"key": "OPS-1"}}) is None
    assert ticket_from_jira_event({"webhookEvent": "jira:issue_updated", "issue": {}}) is None
    assert ticket_from_jira_event(["not", "a", "dict"]) is None


def github_event(action: str = "closed", **issue: object) -> dict[str, object]:
    return {
        "action": action,
        "repository": {"full_name": "acme/ops"},
        "issue": {"number": 12, "html_url": "https://github.com/acme/ops/issues/12", "title": "Add alert",
                  "state": "closed", "state_reason": "completed", "assignees": [{"login": "alice"}],
                  "labels": [{"name": "followthrough"}], "body": "Context\n\n**Due:** 2026-04-02\n",
                  "updated_at": "2026-03-28T10:00:00Z", **issue},
    }


def test_github_issue_closed() -> None:
    ticket = ticket_from_github_event("issues", github_event())
    assert ticket is not None
    assert (ticket.key, ticket.status, ticket.fields.assignee) == ("acme/ops#12", TicketStatus.DONE, "alice")
    assert ticket.fields.due == date(2026, 4, 2)


def test_github_not_planned_is_dropped_reopened_is_open() -> None:
    dropped = ticket_from_github_event("issues", github_event(state_reason="not_planned"))
    reopened = ticket_from_github_event("issues", github_event("reopened", state="open", state_reason=None))
    assert dropped is not None and dropped.status is TicketStatus.DROPPED
    assert reopened is not None and reopened.status is TicketStatus.OPEN


def test_github_other_events_ignored() -> None:
    assert ticket_from_github_event("push", github_event()) is None
    assert ticket_from_github_event("issues", github_event("labeled")) is None
    assert ticket_from_github_event("issues", github_event(pull_request={"url": "x"})) is None
