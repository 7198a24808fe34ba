"""Seed the real store and the tracker stand-ins the way the sync would leave them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from connectors.tracker import Ticket, TicketBody, TicketDraft, TicketFields, Tracker
from worker.models import ActionItem, Postmortem
from worker.store import Store


def seed(store: Store, tracker: Tracker, *, key: str, team: str, approved_at: datetime,
         items: Sequence[tuple[str, date | None, str | None]], assignee: str | None = None,
         title: str = "DB outage") -> list[Ticket]:
    """Store a postmortem with items (title, due, kind) and create their tickets in the tracker."""
    actions = tuple(ActionItem(title=name, fingerprint=f"{key}-{n}", due=due, kind=kind)
                    for n, (name, due, kind) in enumerate(items))
    store.save_postmortem(Postmortem(identity=f"id-{key}", title=title, action_items=actions), key=key,
                          source=f"inline:{key}", team=team, content_hash=key, content=b"x",
                          approved_at=approved_at, now=approved_at)
    drafts = [TicketDraft(fingerprint=a.fingerprint, postmortem_key=key,
                          fields=TicketFields(title=a.title, due=a.due, assignee=assignee),
                          body=TicketBody(kind=a.kind)) for a in actions]
    tickets = []
    for outcome in tracker.create_tickets(drafts):
        assert outcome.ticket is not None, outcome.error
        store.record_ticket(key, outcome.draft.fingerprint, outcome.ticket, tracker=tracker.kind,
                            now=approved_at)
        tickets.append(outcome.ticket)
    return tickets
