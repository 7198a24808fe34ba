"""Adopt, don't duplicate: an item whose ref names an existing ticket gets that ticket, never a new one.

The ticket is read by key first. When the team's tracker can read it, it gets our labels (managed,
postmortem, fingerprint) and one comment saying so, nothing else: from then on it is found by the same
label search, refreshed, followed up and reminded like a ticket we made, and never created again. A ref
that names no readable ticket is reported as a failure, not silently replaced by a new ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from config.teams import Team
from connectors.errors import TrackerError
from connectors.tracker import MANAGED_LABEL, Ticket, Tracker, fingerprint_label, postmortem_label
from worker.store import ItemRecord, Store
from worker.sync.ledger import Ledger
from worker.sync.plan import Step, filter_reason
from worker.sync.refs import RefTarget, ref_target
from worker.sync.results import ItemResult, describe

ADOPT_COMMENT = (
    'Followthrough follows this ticket for the action item "{title}" of the postmortem "{postmortem}". '
    "It added its labels and changes nothing else here."
)
FIX_HINT = "fix the ref in the document (or the token's access), then run `followthrough resync {key}`"


@dataclass(slots=True)
class Adoptions:
    """What the ref pass did: rows for the items it settled (adopted, refused, waiting), by fingerprint."""

    rows: dict[str, ItemResult] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # fingerprint -> the document's ref


class RefAdopter:
    """The ref pass of one sync run, before planning: items with a ticket ref are adopted or reported."""

    def __init__(
        self,
        store: Store,
        tracker: Tracker | None,
        ledger: Ledger,
        *,
        team: Team,
        postmortem_key: str,
        postmortem_title: str,
        jira_url: str | None,
        dry_run: bool,
    ) -> None:
        self.store = store
        self.tracker = tracker
        self.ledger = ledger
        self.team = team
        self.key = postmortem_key
        self.title = postmortem_title
        self.jira_host = urlsplit(jira_url).hostname if jira_url else None
        self.dry_run = dry_run

    def run(self, records: Sequence[ItemRecord], tickets: Sequence[Ticket] | None) -> Adoptions:
        found = {t.fingerprint for t in tickets or () if t.fingerprint}
        done = Adoptions()
        for record in records:
            if record.removed or record.ticket_key or record.fingerprint in found:
                continue
            if filter_reason(self.team.filter, record.item) is not None:
                continue
            target = ref_target(record.item.ref, self.team, jira_host=self.jira_host)
            if target is None:
                continue
            step = Step(fingerprint=record.fingerprint, title=record.item.title, action="none",
                        result="adopted", reason="")
            done.refs[record.fingerprint] = target.ref
            self._one(step, target)
            done.rows[record.fingerprint] = self.ledger.results[record.fingerprint]
        return done

    def _one(self, step: Step, target: RefTarget) -> None:
        if target.key is None:
            self._refuse(step, f"ref {target.ref!r}: {target.problem}")
            return
        if self.tracker is None:
            self.ledger.done(step, "planned-adopt", f"ref {target.key}: adopted if it exists (not checked: "
                             "no tracker credentials)", key=target.key)
            return
        try:
            read = self.tracker.fetch_status(keys=[target.key])
        except TrackerError as exc:
            if exc.retryable:
                self.ledger.pending(step, exc, f"reading ref {target.key}")
            else:
                self._refuse(step, f"ref {target.key} cannot be read ({describe(exc)})")
            return
        if not read:
            self._refuse(step, f"ref {target.key} names no ticket the {self.team.tracker} token can read")
            return
        self._adopt(step, read[0])

    def _adopt(self, step: Step, ticket: Ticket) -> None:
        if ticket.fingerprint and ticket.fingerprint != step.fingerprint:
            self._refuse(step, f"ticket {ticket.key} already tracks another action item")
            return
        step = replace(step, ticket=ticket, ticket_key=ticket.key, ticket_url=ticket.url)
        if self.dry_run:
            self.ledger.done(step, "planned-adopt", f"would adopt {ticket.key}, named by the document's ref")
            return
        tracker = self.tracker
        assert tracker is not None
        labels = (MANAGED_LABEL, postmortem_label(self.key), fingerprint_label(step.fingerprint))
        text = ADOPT_COMMENT.format(title=step.title, postmortem=self.title or self.key)

        def labelled() -> bool:
            # A lost answer: the labels, written with the comment, tell whether it went through.
            return any(set(labels) <= t.labels for t in tracker.fetch_status(keys=[ticket.key]))

        error = None if set(labels) <= ticket.labels else self.ledger.call(
            lambda: tracker.adopt(ticket.key, labels, comment=text), before_retry=labelled
        )
        if error is not None:
            if error.retryable:
                self.ledger.failed(step, error)
            else:
                self._refuse(step, f"ticket {ticket.key} could not be labelled ({describe(error)})",)
            return
        adopted = replace(ticket, fingerprint=step.fingerprint, labels=ticket.labels | set(labels))
        self.store.record_ticket(self.key, step.fingerprint, adopted, tracker=self.team.tracker,
                                 written=None, owned=frozenset())
        self.ledger.done(step, "adopted", f"ticket {ticket.key} named by the document's ref: tracked, "
                         "its fields left as people keep them")

    def _refuse(self, step: Step, why: str) -> None:
        # The ref is named in the reason only: a refused ref is not the item's ticket.
        self.ledger.done(step, "failed", f"{why}; not adopted, and no new ticket made: "
                         + FIX_HINT.format(key=self.key))
