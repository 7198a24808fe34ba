"""Create-and-settle: create tickets so that a create whose answer was lost is never repeated unseen.

A tracker may commit a create and lose the answer (timeout, reset, 5xx after the commit). Such an item is
*unconfirmed* and reported `pending` until a settled search finds its ticket, or until
`create_confirm_searches` searches, each `create_settle_seconds` after the last, all miss it. The rule is
the pure function in worker/sync/settle.py; this module applies it to one run's creates (docs/sync.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from connectors.errors import RateLimited, TrackerError
from connectors.tracker import (
    MANAGED_LABEL,
    OWNED_FIELDS,
    CreateOutcome,
    Ticket,
    TicketDraft,
    TicketFields,
    Tracker,
)
from worker.store import ItemRecord, Store
from worker.sync.ledger import BACKOFF, MAX_ATTEMPTS, Ledger
from worker.sync.plan import Step
from worker.sync.results import describe, join
from worker.sync.settle import SettlePolicy, Settling, absent

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Batch:
    """The creates of one run still in flight: to send, answer lost, and the error to wait out once."""

    pending: dict[str, Step]
    uncertain: dict[str, Step] = field(default_factory=dict)
    retry: TrackerError | None = None
    #: Created by the last call, recorded in the store together once every answer is sorted.
    created: list[tuple[Step, CreateOutcome]] = field(default_factory=list)


class Creator:
    """The creates of one sync run, recorded in the store and reported through the run's ledger."""

    def __init__(
        self,
        store: Store,
        tracker: Tracker,
        ledger: Ledger,
        *,
        postmortem_key: str,
        policy: SettlePolicy,
        records: Mapping[str, ItemRecord],
    ) -> None:
        self.store = store
        self.tracker = tracker
        self.ledger = ledger
        self.key = postmortem_key
        self.policy = policy
        self._by_fp = records

    def create(self, steps: Sequence[Step], *, searched_at: datetime) -> None:
        """Create tickets. A create that may have happened unseen is never repeated until settled."""
        batch = _Batch(
            {
                s.fingerprint: s
                for s in steps
                if s.draft is not None and not self._still_settling(s, searched_at)
            }
        )
        for attempt in range(MAX_ATTEMPTS):
            if not batch.pending or self.ledger.stop is not None:
                break
            self.ledger.backoff(attempt)
            self._attempt(batch)
        if batch.pending:
            # Refused (rate limit) or never sent: surely not created, so nothing has to settle.
            self.store.clear_create_attempt(self.key, list(batch.pending))
            for step in batch.pending.values():
                self.ledger.pending(step, self.ledger.stop or self.ledger.last_error, "not created yet")
        if batch.uncertain:
            self._settle_lost(batch.uncertain)

    # --- one attempt ----------------------------------------------------------------------------

    def _attempt(self, batch: _Batch) -> None:
        """Send every pending draft once and sort the answers."""
        drafts = {fp: s.draft for fp, s in batch.pending.items() if s.draft is not None}
        self.store.mark_create_attempted(
            self.key, {fp: d.fields for fp, d in drafts.items()}, tracker=self.ledger.tracker_kind
        )
        try:
            outcomes = self.tracker.create_tickets(list(drafts.values()))
        except TrackerError as exc:  # a connector may raise for the whole call
            self._call_failed(batch, exc)
            return
        batch.retry = None
        for outcome in outcomes:
            step = batch.pending.get(outcome.draft.fingerprint)
            if step is not None:
                _OUTCOME_HANDLERS[_outcome_kind(outcome)](self, batch, step, outcome)
        self._record_created(batch)
        if batch.retry is not None:
            # One failed call fails many drafts with the same error: wait for it once.
            self.ledger.retryable(batch.retry)

    def _call_failed(self, batch: _Batch, exc: TrackerError) -> None:
        if exc.retryable and not isinstance(exc, RateLimited):
            self.ledger.last_error = exc  # the call went out: anything may have been created
            batch.uncertain.update(batch.pending)
            batch.pending.clear()
        elif not self.ledger.retryable(exc):
            self.store.clear_create_attempt(self.key, list(batch.pending))
            for failed in batch.pending.values():
                self.ledger.done(failed, "failed", describe(exc))
            batch.pending.clear()

    def _created(self, batch: _Batch, step: Step, outcome: CreateOutcome) -> None:
        assert outcome.ticket is not None
        batch.created.append((step, outcome))
        del batch.pending[step.fingerprint]

    def _record_created(self, batch: _Batch) -> None:
        """Record the call's new tickets in one store transaction, then report each as created."""
        entries = [(step.fingerprint, outcome.ticket, _as_created(outcome.draft.fields, outcome.ticket))
                   for step, outcome in batch.created if outcome.ticket is not None]
        self.store.record_tickets(self.key, entries, tracker=self.ledger.tracker_kind)
        for step, outcome in batch.created:
            ticket = outcome.ticket
            assert ticket is not None
            reported, note = _as_reported(step, outcome.draft, ticket)  # what the tracker really kept
            self.ledger.done(reported, "created", join(reported.reason, note), key=ticket.key, url=ticket.url)
        batch.created.clear()

    def _lost(self, batch: _Batch, step: Step, outcome: CreateOutcome) -> None:
        self.ledger.last_error = outcome.error
        batch.uncertain[step.fingerprint] = batch.pending.pop(step.fingerprint)

    def _refused(self, batch: _Batch, step: Step, outcome: CreateOutcome) -> None:
        assert outcome.error is not None
        self.store.clear_create_attempt(self.key, [step.fingerprint])
        self.ledger.done(step, "failed", describe(outcome.error))
        del batch.pending[step.fingerprint]

    def _retry_later(self, batch: _Batch, step: Step, outcome: CreateOutcome) -> None:
        if not isinstance(batch.retry, RateLimited):
            batch.retry = outcome.error

    def _ignore(self, batch: _Batch, step: Step, outcome: CreateOutcome) -> None:
        """An outcome with neither a ticket nor an error: the draft stays pending."""

    # --- settling -------------------------------------------------------------------------------

    def _still_settling(self, step: Step, searched_at: datetime) -> bool:
        """For an item whose last create is unconfirmed: count this run's search, report it if it waits."""
        record = self._by_fp.get(step.fingerprint)
        if record is None or record.ticket_key is not None or record.create_attempted_at is None:
            return False
        verdict = absent(record.create_attempted_at, record.absent_checks, searched_at, self.policy)
        if verdict.checks != record.absent_checks:
            self.store.record_absent_check(self.key, step.fingerprint, verdict.checks)
        if verdict.create:
            log.info(
                "%s: %d settled searches found no ticket for %s; creating it again",
                self.key,
                verdict.checks,
                step.fingerprint,
            )
            return False
        self._settling(
            step,
            verdict.wait,
            f"create unconfirmed since {record.create_attempted_at:%Y-%m-%d %H:%M:%S}Z, "
            f"{verdict.checks} of {self.policy.searches} settled searches found no ticket",
        )
        return True

    def _settle_lost(self, uncertain: dict[str, Step]) -> None:
        """Creates whose answer was lost: adopt what a search already shows, leave the rest unconfirmed."""
        if self.ledger.stop is None:
            # Found now means created; not found proves nothing while the index may lag the write.
            self.ledger.sleep(BACKOFF[1])
            self._confirm_created(uncertain)
        for step in uncertain.values():
            self._settling(
                step,
                self.policy.window,
                f"create answer lost ({describe(self.ledger.last_error)}); unconfirmed, not repeated",
            )

    def _settling(self, step: Step, wait: float, what: str) -> None:
        # Settling is a RateLimited: the worker's retry waits past the moment the next search counts.
        margin = min(1.0, self.policy.window / 10)
        error = Settling(f"search index settling for {wait:.1f}s", retry_after=wait + margin)
        self.ledger.pending(step, error, what)

    def _confirm_created(self, pending: dict[str, Step]) -> bool:
        """Search again: tickets whose create answer was lost are adopted, not created twice."""
        try:
            found = self.tracker.find_tickets(self.key)
        except TrackerError as exc:
            self.ledger.retryable(exc)
            return False
        for ticket in found:
            step = pending.pop(ticket.fingerprint or "", None)
            if step is None or step.draft is None:
                continue
            self.store.record_ticket(
                self.key,
                step.fingerprint,
                ticket,
                tracker=self.ledger.tracker_kind,
                written=step.draft.fields,
                owned=OWNED_FIELDS,
            )
            self.ledger.done(
                step,
                "created",
                join(step.reason, "confirmed by search after a lost answer"),
                key=ticket.key,
                url=ticket.url,
            )
        return True


_Handler = Callable[[Creator, _Batch, Step, CreateOutcome], None]

#: What each kind of create answer does to the batch (see `_outcome_kind`).
_OUTCOME_HANDLERS: dict[str, _Handler] = {
    "created": Creator._created,
    "lost": Creator._lost,
    "refused": Creator._refused,
    "retry": Creator._retry_later,
    "none": Creator._ignore,
}


def _outcome_kind(outcome: CreateOutcome) -> str:
    """created; lost (the tracker may have made it); refused (surely not, never will); retry; none."""
    if outcome.ticket is not None:
        return "created"
    if outcome.uncertain:
        return "lost"
    if outcome.error is None:
        return "none"
    return "retry" if outcome.error.retryable else "refused"


def _as_reported(step: Step, draft: TicketDraft, ticket: Ticket) -> tuple[Step, str]:
    """The step as the tracker really made it: a dropped assignee or label is never reported as set."""
    notes: list[str] = []
    if draft.fields.assignee and not ticket.fields.assignee:
        notes.append(f"assignee {draft.fields.assignee} dropped by the tracker")
        if step.desired is not None:
            step = replace(step, desired=replace(step.desired, assignee=None))
    wanted = {label.casefold() for label in (*draft.labels, MANAGED_LABEL)}
    have = {label.casefold() for label in ticket.labels}
    if wanted - have:
        notes.append("labels dropped by the tracker: " + ", ".join(sorted(wanted - have)))
    if notes:
        log.warning("%s: ticket %s was created without what was asked: %s (check the token's permissions "
                    "with `followthrough check`)", draft.postmortem_key, ticket.key, "; ".join(notes))
        notes.append("the token may lack push permission: run `followthrough check`")
    return step, "; ".join(notes)


def _as_created(sent: TicketFields, ticket: Ticket) -> TicketFields:
    """What the create really wrote: a connector may drop an assignee the tracker would refuse."""
    if sent.assignee and not ticket.fields.assignee:
        return replace(sent, assignee=None)
    return sent
