"""The view of one tracked action item that follow-up works on, whatever store it comes from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from connectors.tracker import TicketStatus


class ItemState(StrEnum):
    """Where an item stands on a given day (see `rules.state`)."""

    DONE = "done"
    DROPPED = "dropped"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class TrackedItem:
    """An action item with its ticket, as last seen in the tracker."""

    fingerprint: str
    title: str
    team: str
    postmortem_key: str
    postmortem_title: str | None = None
    postmortem_url: str | None = None
    tracker: str | None = None  # "jira" | "github"
    ticket_key: str | None = None
    ticket_url: str | None = None
    status: TicketStatus = TicketStatus.OPEN
    assignee: str | None = None  # tracker id: Jira accountId or GitHub login
    assignee_name: str | None = None  # display name when known
    owner: str | None = None  # owner as written in the document
    due: date | None = None  # from the document or the tracker; None: the policy's default applies
    priority: str | None = None
    kind: str | None = None
    approved_at: datetime | None = None  # when the postmortem was approved (or first ingested)
    resolved_at: datetime | None = None  # when the ticket was first seen done or dropped

    @property
    def owner_label(self) -> str:
        """Who the item is grouped under in a report."""
        return self.assignee_name or self.assignee or self.owner or "(unassigned)"
