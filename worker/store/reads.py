"""The dashboard's reads: SQLAlchemy Core over the store, one statement per question, never an ORM load.

They return plain records (dataclasses, dicts, `TrackedItem`s), so no view needs the ORM rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Select, Table, and_, func, inspect, or_, select

from connectors.tracker import TicketStatus
from worker.store import tracked
from worker.store.models import ActionItemRow, PostmortemRow, SyncRunRow, followup_history
from worker.store.records import HistoryPoint, TrackedItem
from worker.store.tracked import ITEM as _ITEM
from worker.store.tracked import PM as _PM

_RUN = SyncRunRow.__table__.c  # type: ignore[attr-defined]
_CLOSED = (TicketStatus.DONE.value, TicketStatus.DROPPED.value)
NEEDS_OWNER = "needs-owner"


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """Narrowing done in SQL: some teams, one postmortem."""

    teams: Sequence[str] | None = None
    postmortem: str | None = None


def tracked_items(conn: Connection, names: dict[str, str], where: ItemFilter = ItemFilter()
                  ) -> dict[str, list[TrackedItem]]:
    """Every ticketed item (removed ones included, as the report has them) by team, in document order."""
    by_team: dict[str, list[TrackedItem]] = {}
    for item in tracked.tracked_items(conn, names, teams=where.teams, postmortem=where.postmortem):
        by_team.setdefault(item.team, []).append(item)
    return by_team


def distinct_values(conn: Connection, teams: Sequence[str]) -> tuple[list[str], list[str]]:
    """The kinds and priorities written on ticketed items of these teams (trimmed, lowercased, sorted; the
    kinds as written: the dashboard maps them onto the kinds vocabulary). One scan for both menus."""
    # The values as written first (a few dozen), then trimmed and lowercased: not once per item.
    written = (select(_ITEM.kind, _ITEM.priority).select_from(ActionItemRow)
               .join(PostmortemRow, _PM.key == _ITEM.postmortem_key)
               .where(_ITEM.ticket_key.is_not(None), _PM.team.in_(list(teams)),
                      or_(_ITEM.kind.is_not(None), _ITEM.priority.is_not(None)))
               .distinct().subquery())
    kind, priority = func.lower(func.trim(written.c.kind)), func.lower(func.trim(written.c.priority))
    query = select(kind, priority).distinct()
    kinds: set[str] = set()
    priorities: set[str] = set()
    for kind_value, priority_value in conn.execute(query):
        if kind_value:
            kinds.add(kind_value)
        if priority_value:
            priorities.add(priority_value)
    return sorted(kinds), sorted(priorities)


def history(conn: Connection, teams: Sequence[str], *, since: date) -> list[HistoryPoint]:
    """Open and overdue summed over the teams per day from `since` on, oldest first."""
    table = followup_history.c
    query = (select(table.day, func.sum(table.open), func.sum(table.overdue))
             .where(table.team.in_(list(teams)), table.day >= since)
             .group_by(table.day).order_by(table.day))
    return [HistoryPoint(day=day, open=int(opened), overdue=int(overdue))
            for day, opened, overdue in conn.execute(query)]


# --- one postmortem -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostmortemInfo:
    key: str
    title: str | None
    team: str
    owner: str | None
    source: str
    severity: str | None
    incident_date: date | None
    approved_at: datetime | None
    synced_at: datetime | None


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """An item as the postmortem page shows it, ticketed or not, removed or not."""

    fingerprint: str
    title: str
    owner: str | None
    kind: str | None
    priority: str | None
    tracker: str | None
    ticket_key: str | None
    ticket_url: str | None
    status: str | None
    status_name: str | None
    assignee: str | None
    resolution: str | None
    removed: bool

    def named(self, names: dict[str, str]) -> ItemInfo:
        """The same item with the assignee's display name from the people directory, when known."""
        if not self.assignee or self.assignee.lower() not in names:
            return self
        return replace(self, assignee=names[self.assignee.lower()])

    @property
    def needs_owner(self) -> bool:
        return self.resolution == NEEDS_OWNER and not self.assignee and self.status not in _CLOSED


@dataclass(frozen=True, slots=True)
class SyncInfo:
    finished_at: datetime
    counts: dict[str, int]
    retry_error: str | None


def postmortem(conn: Connection, key: str) -> PostmortemInfo | None:
    row = conn.execute(select(_PM.key, _PM.title, _PM.team, _PM.owner, _PM.source, _PM.severity,
                              _PM.incident_date, _PM.approved_at, _PM.ingested_at, _PM.synced_at)
                       .where(_PM.key == key)).first()
    if row is None:
        return None
    return PostmortemInfo(key=row.key, title=row.title, team=row.team, owner=row.owner, source=row.source,
                          severity=row.severity, incident_date=row.incident_date,
                          approved_at=row.approved_at or row.ingested_at, synced_at=row.synced_at)


def postmortem_items(conn: Connection, key: str) -> list[ItemInfo]:
    query = (select(_ITEM.fingerprint, _ITEM.title, _ITEM.owner, _ITEM.kind, _ITEM.priority, _ITEM.tracker,
                    _ITEM.ticket_key, _ITEM.ticket_url, _ITEM.status, _ITEM.done, _ITEM.status_name,
                    _ITEM.ticket_assignee, _ITEM.written_assignee, _ITEM.assignee_resolution,
                    _ITEM.removed_at)
             .where(_ITEM.postmortem_key == key).order_by(_ITEM.removed_at.is_not(None), _ITEM.position))
    items = []
    for row in conn.execute(query):
        status = row.status or ((TicketStatus.DONE.value if row.done else TicketStatus.OPEN.value)
                                if row.ticket_key else None)
        items.append(ItemInfo(
            fingerprint=row.fingerprint, title=row.title, owner=row.owner, kind=row.kind,
            priority=row.priority, tracker=row.tracker, ticket_key=row.ticket_key, ticket_url=row.ticket_url,
            status=status, status_name=row.status_name,
            assignee=row.ticket_assignee or row.written_assignee, resolution=row.assignee_resolution,
            removed=row.removed_at is not None))
    return items


def _counts(text: str) -> dict[str, int]:
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, int) and not isinstance(v, bool)}


def last_sync(conn: Connection, key: str) -> SyncInfo | None:
    """The postmortem's last real (not dry-run) sync."""
    row = conn.execute(select(_RUN.finished_at, _RUN.counts, _RUN.retry_error)
                       .where(_RUN.postmortem_key == key, _RUN.dry_run.is_(False))
                       .order_by(_RUN.finished_at.desc(), _RUN.id.desc()).limit(1)).first()
    if row is None:
        return None
    return SyncInfo(finished_at=row.finished_at, counts=_counts(row.counts), retry_error=row.retry_error)


def postmortems(conn: Connection, teams: Sequence[str]) -> list[dict[str, Any]]:
    """Each postmortem of these teams with its ticketed, done and dropped item counts (one GROUP BY)."""
    done = or_(_ITEM.status == TicketStatus.DONE.value, and_(_ITEM.status.is_(None), _ITEM.done.is_(True)))
    query = (select(_PM.key, _PM.title, _PM.team, _PM.approved_at, _PM.ingested_at,
                    func.count(_ITEM.ticket_key).label("tickets"),
                    func.count(_ITEM.ticket_key).filter(done).label("done"),
                    func.count(_ITEM.ticket_key).filter(_ITEM.status == TicketStatus.DROPPED.value)
                    .label("dropped"))
             .select_from(PostmortemRow).outerjoin(ActionItemRow, _ITEM.postmortem_key == _PM.key)
             .where(_PM.team.in_(list(teams)))
             .group_by(_PM.key, _PM.title, _PM.team, _PM.approved_at, _PM.ingested_at)
             .order_by(func.coalesce(_PM.approved_at, _PM.ingested_at).desc(), _PM.key))
    return [dict(row._mapping) for row in conn.execute(query)]


# --- needs attention ------------------------------------------------------------------------------


def _attention_select() -> Select[Any]:
    return (select(_ITEM.title, _ITEM.owner, _ITEM.ticket_key, _ITEM.ticket_url, _ITEM.postmortem_key,
                   _PM.team, _PM.title.label("pm_title"))
            .join(PostmortemRow, _PM.key == _ITEM.postmortem_key))


def _still_open() -> Any:
    return and_(_ITEM.ticket_key.is_not(None), or_(_ITEM.status.is_(None), _ITEM.status.not_in(_CLOSED)),
                or_(_ITEM.status.is_not(None), _ITEM.done.is_(False)))


def needs_owner(conn: Connection, teams: Sequence[str]) -> list[dict[str, Any]]:
    """Open tickets created with `needs-owner` that nobody has been assigned to since."""
    query = (_attention_select()
             .where(_PM.team.in_(list(teams)), _ITEM.assignee_resolution == NEEDS_OWNER,
                    _ITEM.ticket_assignee.is_(None), _ITEM.written_assignee.is_(None),
                    _ITEM.removed_at.is_(None), _still_open())
             .order_by(_PM.team, _ITEM.postmortem_key, _ITEM.position))
    return [dict(row._mapping) for row in conn.execute(query)]


def removed_still_open(conn: Connection, teams: Sequence[str]) -> list[dict[str, Any]]:
    """Items removed from their postmortem whose ticket is still open."""
    query = (_attention_select()
             .where(_PM.team.in_(list(teams)), _ITEM.removed_at.is_not(None), _still_open())
             .order_by(_PM.team, _ITEM.postmortem_key, _ITEM.position))
    return [dict(row._mapping) for row in conn.execute(query)]


def conflicts(conn: Connection, teams: Sequence[str]) -> list[dict[str, Any]]:
    """Postmortems whose last real sync reported conflicts (a human edit kept against the document)."""
    latest = (select(func.max(_RUN.id).label("id")).where(_RUN.dry_run.is_(False))
              .group_by(_RUN.postmortem_key).subquery())
    query = (select(_RUN.postmortem_key, _RUN.finished_at, _RUN.counts, _PM.team, _PM.title.label("pm_title"))
             .join(latest, latest.c.id == _RUN.id).join(PostmortemRow, _PM.key == _RUN.postmortem_key)
             .where(_PM.team.in_(list(teams)), _RUN.counts.like('%"conflict"%'))
             .order_by(_RUN.finished_at.desc()))
    rows = []
    for row in conn.execute(query):
        count = _counts(row.counts).get("conflict", 0)
        if count > 0:
            rows.append({**dict(row._mapping), "conflicts": count})
    return rows


def has_table(conn: Connection, name: str) -> bool:
    return bool(inspect(conn).has_table(name))


def parse_failures(conn: Connection, name: str, *, limit: int = 100) -> list[dict[str, str]]:
    """The newest rows of the parse-failure table, whatever its columns (text cut to 300 characters)."""
    table = Table(name, MetaData(), autoload_with=conn)
    order = [column.desc() for column in table.primary_key.columns]
    rows = []
    for row in conn.execute(select(table).order_by(*order).limit(limit)):
        shown = {}
        for column, value in row._mapping.items():
            if value is None or isinstance(value, bytes | bytearray | memoryview):
                continue
            shown[str(column)] = str(value)[:300]
        rows.append(shown)
    return rows
