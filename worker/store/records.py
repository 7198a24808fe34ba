"""Plain read-only records the store hands out, so callers never hold ORM objects across sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from connectors.tracker import TicketFields, TicketStatus
from worker.models import ActionItem


@dataclass(frozen=True, slots=True)
class PostmortemRecord:
    key: str
    identity: str
    source: str
    team: str
    title: str | None
    owner: str | None
    incident_date: date | None
    severity: str | None
    content_hash: str
    approved_at: datetime | None
    ingested_at: datetime
    synced_at: datetime | None
    has_content: bool
    version: datetime | None = None


@dataclass(frozen=True, slots=True)
class ParseFailureRecord:
    """A document the parser refused: where it came from, what failed and how often."""

    source: str
    content_hash: str
    reason: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One stored action item with its ticket mapping, last-written values and last known status."""

    postmortem_key: str
    item: ActionItem
    position: int
    tracker: str | None
    ticket_key: str | None
    ticket_url: str | None
    create_attempted: bool
    #: Owned values we last wrote; only the fields named in `owned` are meaningful.
    written: TicketFields | None
    owned: frozenset[str]
    assignee_resolution: str | None
    status: str | None
    status_name: str | None
    ticket_assignee: str | None
    ticket_due: date | None
    ticket_updated: datetime | None
    removed_at: datetime | None
    removal_notified: bool
    #: When a create whose outcome is unknown went out (None once confirmed or known not to be made).
    create_attempted_at: datetime | None = None
    #: Searches since `create_attempted_at` that found no ticket (see worker.sync.settle).
    absent_checks: int = 0

    @classmethod
    def untracked(cls, postmortem_key: str, item: ActionItem, position: int = 0) -> ItemRecord:
        """An item the store holds no ticket, written value or status for yet."""
        return cls(
            postmortem_key=postmortem_key,
            item=item,
            position=position,
            tracker=None,
            ticket_key=None,
            ticket_url=None,
            create_attempted=False,
            written=None,
            owned=frozenset(),
            assignee_resolution=None,
            status=None,
            status_name=None,
            ticket_assignee=None,
            ticket_due=None,
            ticket_updated=None,
            removed_at=None,
            removal_notified=False,
        )

    @property
    def fingerprint(self) -> str:
        return self.item.fingerprint

    @property
    def removed(self) -> bool:
        return self.removed_at is not None


@dataclass(frozen=True, slots=True)
class SyncRunRecord:
    """One recorded sync run of a postmortem: when it ended, what it did, what is left to retry."""

    finished_at: datetime
    dry_run: bool
    counts: dict[str, int]
    retry_error: str | None


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


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """Open and overdue counts of a team on one day (from the store's daily snapshots)."""

    day: date
    open: int
    overdue: int
