"""The narrow, typed contract between the sync pipeline and an issue tracker (Jira or GitHub).

The pipeline only ever talks to a `Tracker`; each implementation maps its vendor's API and errors
(see `connectors.errors`) at this boundary. Text in `TicketBody` comes from untrusted documents: every
implementation must neutralise it for its own markup before sending it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from connectors.errors import AuthError, NotFound, RateLimited, TrackerError, Transient

#: Every ticket Followthrough creates carries this label, so status refreshes can list them all.
MANAGED_LABEL = "followthrough"
#: Prefix of the per-item fingerprint label (`ft-<fingerprint>`).
FINGERPRINT_LABEL_PREFIX = "ft-"
#: Prefix of the per-postmortem label (`ftpm-<postmortem key>`), used by the one search before creating.
POSTMORTEM_LABEL_PREFIX = "ftpm-"
#: Label added to tickets whose owner could not be resolved.
NEEDS_OWNER_LABEL = "needs-owner"
#: Label added, together with one comment, when an item disappears from its postmortem.
REMOVED_LABEL = "ft-removed-from-postmortem"

OWNED_FIELDS = ("title", "due", "assignee", "priority")


class TicketStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"  # closed without doing it: GitHub "not_planned", Jira resolution Won't Do


@dataclass(frozen=True, slots=True)
class TicketFields:
    """The fields Followthrough owns on a ticket; a human edit to any of them wins over the document."""

    title: str
    due: date | None = None
    assignee: str | None = None  # Jira accountId or GitHub login
    priority: str | None = None


@dataclass(frozen=True, slots=True)
class TicketBody:
    """Context written into the ticket body so nobody has to open the postmortem to understand it."""

    description: str | None = None
    owner_as_written: str | None = None
    postmortem_title: str | None = None
    postmortem_url: str | None = None
    section: str | None = None
    kind: str | None = None
    priority_as_written: str | None = None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """Everything needed to create one ticket for one action item."""

    fingerprint: str
    postmortem_key: str
    fields: TicketFields
    body: TicketBody
    labels: tuple[str, ...] = ()  # extra labels: team labels, kind, priority, needs-owner


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket as the tracker currently holds it."""

    key: str  # "OPS-12" for Jira, "owner/repo#12" for GitHub
    url: str
    fingerprint: str | None
    fields: TicketFields
    status: TicketStatus = TicketStatus.OPEN
    status_name: str = ""
    labels: frozenset[str] = field(default_factory=frozenset)
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class CreateOutcome:
    """Result of creating one draft: exactly one of `ticket` and `error` is set."""

    draft: TicketDraft
    ticket: Ticket | None = None
    error: TrackerError | None = None
    #: With an error: the request went out and the tracker may have created the ticket anyway (timeout,
    #: dropped connection, 5xx, an answer that does not mention it). False when it surely did not.
    uncertain: bool = False


@dataclass(frozen=True, slots=True)
class UserMatch:
    id: str  # Jira accountId or GitHub login
    display_name: str


def fingerprint_label(fingerprint: str) -> str:
    return f"{FINGERPRINT_LABEL_PREFIX}{fingerprint}"


def postmortem_label(postmortem_key: str) -> str:
    return f"{POSTMORTEM_LABEL_PREFIX}{postmortem_key}"


class Tracker(Protocol):
    """One issue tracker destination (a Jira project or a GitHub repository)."""

    kind: str  # "jira" or "github"

    def find_tickets(self, postmortem_key: str) -> list[Ticket]:
        """All tickets (open or closed) carrying this postmortem's label, with their fingerprints."""
        ...

    def create_tickets(self, drafts: Sequence[TicketDraft]) -> list[CreateOutcome]:
        """Create one ticket per draft; one invalid draft does not block the rest. Outcomes in input order."""
        ...

    def update_ticket(self, key: str, fields: TicketFields, *, only: Collection[str]) -> None:
        """Write the named owned fields (a subset of OWNED_FIELDS) from `fields` to the ticket."""
        ...

    def fetch_status(self, *, keys: Sequence[str] = (), label: str | None = None) -> list[Ticket]:
        """Current state of many tickets in as few paged reads as the tracker allows."""
        ...

    def comment(self, key: str, text: str, *, label: str | None = None, mention: str | None = None) -> None:
        """Add a comment (untrusted text is neutralised) and optionally a marker label in the same go.

        `mention` (a Jira accountId / Data Center username, or a GitHub login) is the one person the comment
        notifies: it is written as a real mention in front of the text. Mentions inside `text` never work.
        """
        ...

    def unlabel(self, key: str, label: str, *, comment: str) -> None:
        """Remove a marker label and say so in one neutralised comment; safe to repeat after a lost answer."""
        ...

    def adopt(self, key: str, labels: Sequence[str], *, comment: str) -> None:
        """Mark an existing ticket as tracked: add `labels` and one neutralised comment saying so.

        Nothing else on the ticket changes (title, assignee, dates stay as people keep them). Safe to
        repeat after a lost answer: the labels are checked first by the caller, the comment goes once.
        """
        ...

    def find_users(self, text: str) -> list[UserMatch]:
        """Users matching `text` exactly (email, exact display name, or login); never fuzzy."""
        ...

    def is_assignable(self, user_id: str) -> bool:
        """Whether this user can be assigned tickets in this destination."""
        ...


#: Errors that end a batch of one-by-one creates: the rest of the drafts would fail the same way.
BATCH_STOPPERS: tuple[type[TrackerError], ...] = (RateLimited, AuthError, NotFound)


def create_one_by_one(drafts: Sequence[TicketDraft], create_one: Callable[[TicketDraft], Ticket], *,
                      stopped: TrackerError | None = None) -> list[CreateOutcome]:
    """One create call per draft, for trackers with no bulk create (GitHub, GitLab).

    A rejected draft does not stop the rest; a rate limit, auth or not-found error does (the remaining
    drafts fail with it, unsent), as does a `stopped` error found before the first call. A Transient error
    may hide an issue the tracker did create (the POST went out), so its outcome is `uncertain`.
    """
    outcomes: list[CreateOutcome] = []
    for draft in drafts:
        if stopped is not None:
            outcomes.append(CreateOutcome(draft=draft, error=stopped))
            continue
        try:
            outcomes.append(CreateOutcome(draft=draft, ticket=create_one(draft)))
        except BATCH_STOPPERS as exc:
            stopped = exc
            outcomes.append(CreateOutcome(draft=draft, error=exc))
        except Transient as exc:
            outcomes.append(CreateOutcome(draft=draft, error=exc, uncertain=True))
        except TrackerError as exc:
            outcomes.append(CreateOutcome(draft=draft, error=exc))
    return outcomes
