"""Lost replies on updates are settled: an update whose answer was lost is checked, not presumed.

Before an update goes out its values are stored. When the answer comes back the item's written values
are updated and the attempt forgotten. When it does not (timeout, reset, 5xx after the write, a worker
killed), the next sync re-reads those tickets by key and records as written every field that holds what
was sent, so the later versions of the document keep updating the ticket instead of seeing a human edit.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import date

from config.teams import Team
from connectors.errors import TrackerError
from connectors.tracker import Ticket, TicketFields, Tracker
from worker.store import ItemRecord, Store
from worker.store import outcomes as stored
from worker.sync.plan import same_value

log = logging.getLogger(__name__)


def sent_values(fields: TicketFields, only: Collection[str]) -> dict[str, str | None]:
    """The fields an update writes, as stored with the attempt."""
    values: dict[str, str | None] = {}
    for name in only:
        value = getattr(fields, name)
        values[name] = value.isoformat() if isinstance(value, date) else value
    return values


def _fields(sent: dict[str, str | None]) -> TicketFields:
    due = sent.get("due")
    return TicketFields(
        title=sent.get("title") or "",
        due=date.fromisoformat(due) if due else None,
        assignee=sent.get("assignee"),
        priority=sent.get("priority"),
    )


def settle_updates(
    store: Store, tracker: Tracker, key: str, team: Team, records: Sequence[ItemRecord]
) -> bool:
    """Settle this postmortem's unanswered updates; True when written values changed (re-read the items)."""
    pending = stored.attempts(store, key)
    if not pending:
        return False
    try:
        tickets = {t.key: t for t in tracker.fetch_status(keys=sorted({tk for tk, _ in pending.values()}))}
    except TrackerError as exc:
        log.info("%s: could not re-read %d ticket(s) of unanswered updates (%s); next sync", key,
                 len(pending), exc)
        return False
    known = {r.fingerprint for r in records}
    changed = False
    for fingerprint, (ticket_key, sent) in pending.items():
        ticket = tickets.get(ticket_key)
        if ticket is not None and fingerprint in known:
            changed |= _settle_one(store, key, fingerprint, ticket, sent, team)
        stored.clear_attempt(store, key, fingerprint)
    return changed


def _settle_one(store: Store, key: str, fingerprint: str, ticket: Ticket, sent: dict[str, str | None],
                team: Team) -> bool:
    fields = _fields(sent)
    have = ticket.fields
    landed = [name for name in sent if same_value(name, getattr(fields, name), getattr(have, name), team)]
    if landed:
        store.record_written(key, fingerprint, fields, only=landed)
        log.info("%s: update of %s whose answer was lost did land (%s)", key, ticket.key, ", ".join(landed))
    return bool(landed)
