"""What the store holds, for `list` and `show`: postmortems with their items' ticket states and last sync."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from worker.store import ItemRecord, PostmortemRecord, Store
from worker.store.models import SyncRunRow


@dataclass(frozen=True, slots=True)
class Tally:
    """A postmortem's live items: how many have tickets, are open, overdue, done (or dropped)."""

    items: int = 0
    tickets: int = 0
    open: int = 0
    overdue: int = 0
    done: int = 0
    removed: int = 0


@dataclass(frozen=True, slots=True)
class LastSync:
    finished_at: datetime
    dry_run: bool
    counts: dict[str, int]
    retry_error: str | None


def state(record: ItemRecord) -> str:
    """open, done or dropped: the ticket's last known state, else what the document says."""
    if record.status in ("done", "dropped"):
        return record.status
    if record.status is None and record.ticket_key is None and record.item.done:
        return "done"
    return "open"


def due(record: ItemRecord) -> date | None:
    """The due date people see: the ticket's when it has one, else the document's."""
    return record.ticket_due or record.item.due


def is_overdue(record: ItemRecord, today: date) -> bool:
    when = due(record)
    return state(record) == "open" and when is not None and when < today


def tally(records: list[ItemRecord], today: date) -> Tally:
    live = [r for r in records if not r.removed]
    return Tally(
        items=len(live),
        tickets=sum(1 for r in live if r.ticket_key),
        open=sum(1 for r in live if state(r) == "open"),
        overdue=sum(1 for r in live if is_overdue(r, today)),
        done=sum(1 for r in live if state(r) != "open"),
        removed=len(records) - len(live),
    )


def last_sync(store: Store, key: str) -> LastSync | None:
    """The most recent sync run recorded for this postmortem (dry runs record none)."""
    with store.session() as s:
        row = s.scalars(
            select(SyncRunRow)
            .where(SyncRunRow.postmortem_key == key)
            .order_by(SyncRunRow.finished_at.desc(), SyncRunRow.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        counts: dict[str, int] = json.loads(row.counts or "{}")
        return LastSync(row.finished_at, row.dry_run, counts, row.retry_error)


def find(postmortems: list[PostmortemRecord], wanted: str) -> PostmortemRecord | None:
    """A postmortem by key, by id (identity), or by a unique key prefix."""
    exact = [p for p in postmortems if wanted in (p.key, p.identity)]
    if exact:
        return exact[0]
    prefixed = [p for p in postmortems if p.key.startswith(wanted)] if len(wanted) >= 4 else []
    return prefixed[0] if len(prefixed) == 1 else None


def postmortem_json(pm: PostmortemRecord, counts: Tally) -> dict[str, Any]:
    return {
        "key": pm.key,
        "id": pm.identity,
        "title": pm.title,
        "team": pm.team,
        "source": pm.source,
        "incident_date": pm.incident_date,
        "ingested_at": pm.ingested_at,
        "synced_at": pm.synced_at,
        "items": counts.items,
        "tickets": counts.tickets,
        "open": counts.open,
        "overdue": counts.overdue,
        "done": counts.done,
        "removed": counts.removed,
    }
