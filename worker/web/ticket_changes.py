"""The status hooks' handlers: Jira and GitHub ticket changes, written to the store as they happen.

`POST /hooks/status/jira` (`jira:issue_updated`) and `/hooks/status/github` (`issues`). The payload
parsers are the connectors' (connectors.jira_events, connectors.github_events); worker.web.receive reads,
verifies, writes the change and answers. A replayed or late delivery cannot roll a ticket back: changes
older than what the store already holds are ignored.
"""

from __future__ import annotations

from config.settings import Settings
from connectors.github_events import ticket_from_github_event
from connectors.jira_events import ticket_from_jira_event
from connectors.tracker import Ticket
from worker.web.receive import Answer, ApplyTicket, Delivery, Outcome


def _outcome(ticket: Ticket | None) -> Outcome:
    return Answer({"status": "ignored"}) if ticket is None else ApplyTicket(ticket)


def jira_change(settings: Settings, delivery: Delivery) -> Outcome:
    """The ticket of a `jira:issue_updated` event; any other event is ignored."""
    return _outcome(ticket_from_jira_event(delivery.payload, server=settings.jira_url or ""))


def github_change(settings: Settings, delivery: Delivery) -> Outcome:
    """The issue of a GitHub `issues` event; pull requests and other events are ignored."""
    return _outcome(ticket_from_github_event(delivery.headers.get("X-GitHub-Event"), delivery.payload))
