"""What the store holds, for `list` and `show`: postmortems with their items' ticket states and last sync.

"Overdue" here is the report's (`worker.followup.overdue`): followed kinds, the team's zone and the
policy's default due date, counted over the postmortem's ticketed items (removed ones whose ticket is still
open included, as the report has them); a postmortem of a team not configured has nothing overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from config.settings import Settings
from worker.followup.overdue import overdue_counts, overdue_lines
from worker.store import ItemRecord, PostmortemRecord, Store


@dataclass(frozen=True, slots=True)
class Tally:
    """A postmortem's live items: how many have tickets, are open, done (or dropped); and its overdue ones."""

    items: int = 0
    tickets: int = 0
    open: int = 0
    overdue: int = 0
    done: int = 0
    removed: int = 0


def state(record: ItemRecord) -> str:
    """open, done or dropped: the ticket's last known state, else what the document says."""
    if record.status in ("done", "dropped"):
        return record.status
    if record.status is None and record.ticket_key is None and record.item.done:
        return "done"
    return "open"


def due(record: ItemRecord) -> date | None:
    """The item's own due date: the ticket's when it has one, else the document's."""
    return record.ticket_due or record.item.due


def tally(records: list[ItemRecord], overdue: int) -> Tally:
    live = [r for r in records if not r.removed]
    return Tally(
        items=len(live),
        tickets=sum(1 for r in live if r.ticket_key),
        open=sum(1 for r in live if state(r) == "open"),
        overdue=overdue,
        done=sum(1 for r in live if state(r) != "open"),
        removed=len(records) - len(live),
    )


def overdue_by_postmortem(store: Store, settings: Settings, now: datetime, team: str | None = None
                          ) -> dict[str, int]:
    """Overdue items at `now` per postmortem key of the configured teams (or of `team`), one query."""
    teams = [t for name, t in settings.teams.items() if team is None or name == team]
    with store.engine.connect() as conn:
        return overdue_counts(conn, settings, teams, now, by_postmortem=True)


def overdue_items(store: Store, settings: Settings, pm: PostmortemRecord, now: datetime) -> dict[str, date]:
    """The postmortem's overdue items at `now`: fingerprint -> effective due date (default ones included)."""
    team = settings.teams.get(pm.team)
    if team is None:
        return {}
    with store.engine.connect() as conn:
        lines = overdue_lines(conn, settings, [team], now, postmortem=pm.key)
    return {line.item.fingerprint: line.due for line in lines}


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
