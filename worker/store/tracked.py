"""Follow-up's view of the store: tracked items per team, ticket changes written back, history."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from config.settings import Settings
from config.teams import Person
from connectors.tracker import Ticket, TicketStatus
from worker.followup.items import TrackedItem
from worker.followup.report import HistoryPoint
from worker.store import Store
from worker.store.models import ActionItemRow, PostmortemRow, followup_history, followup_resolutions

_CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _older(new: datetime | None, stored: datetime | None) -> bool:
    """Whether an event cannot be shown to be as new as the state stored: an unknown time never wins."""
    if stored is None:
        return False
    return new is None or new < stored


def display_names(people: Iterable[Person]) -> dict[str, str]:
    """Tracker user id (Jira accountId or GitHub login, lowercased) -> the person's name."""
    names: dict[str, str] = {}
    for person in people:
        for user_id in (person.jira_account_id, person.github_login):
            if user_id:
                names[user_id.lower()] = person.name
    return names


_open: dict[str, FollowupStore] = {}
_open_guard = threading.Lock()


@contextmanager
def open_followup_store(settings: Settings) -> Iterator[FollowupStore]:
    """The store named by the settings, opened (and migrated) once per process and URL."""
    with _open_guard:
        store = _open.get(settings.database_url)
        if store is None:
            # Opening migrates the schema: too costly for every webhook delivery or task run.
            store = _open[settings.database_url] = FollowupStore(Store(settings.database_url))
    yield store


class FollowupStore:
    """Reads and writes the store for follow-up (the item tables belong to the store module)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # --- items ----------------------------------------------------------------------------------

    def tracked_items(self, team: str, *, people: Iterable[Person] = ()) -> list[TrackedItem]:
        """Every live item of the team's postmortems that has a ticket, with its last known state."""
        names = display_names(people)
        query = (
            select(ActionItemRow, PostmortemRow.title, PostmortemRow.source, PostmortemRow.approved_at,
                   PostmortemRow.ingested_at, followup_resolutions.c.resolved_at)
            .join(PostmortemRow, PostmortemRow.key == ActionItemRow.postmortem_key)
            .outerjoin(followup_resolutions, followup_resolutions.c.ticket_key == ActionItemRow.ticket_key)
            # Items removed from their postmortem stay followed while their ticket is open: the sync
            # told the ticket so, and closing it (done or won't do) is how people settle it.
            .where(PostmortemRow.team == team, ActionItemRow.ticket_key.is_not(None))
            .order_by(ActionItemRow.postmortem_key, ActionItemRow.position)
        )
        with self.store.session() as session:
            return [self._item(row, team, names) for row in session.execute(query)]

    @staticmethod
    def _item(row: Any, team: str, names: dict[str, str]) -> TrackedItem:
        item: ActionItemRow = row[0]
        if item.status:
            status = TicketStatus(item.status)
        else:
            status = TicketStatus.DONE if item.done else TicketStatus.OPEN
        assignee = item.ticket_assignee or item.written_assignee
        source = row.source or ""
        return TrackedItem(
            fingerprint=item.fingerprint, title=item.title, team=team, postmortem_key=item.postmortem_key,
            postmortem_title=row.title,
            postmortem_url=source if source.startswith(("http://", "https://")) else None,
            tracker=item.tracker, ticket_key=item.ticket_key, ticket_url=item.ticket_url, status=status,
            assignee=assignee, assignee_name=names.get(assignee.lower()) if assignee else None,
            owner=item.owner,
            # A due date set in the tracker wins over the document's (a human edit wins).
            due=item.ticket_due or item.due,
            priority=item.priority, kind=item.kind,
            approved_at=row.approved_at or row.ingested_at, resolved_at=row.resolved_at,
        )

    def apply_tickets(self, tickets: Sequence[Ticket], *, now: datetime, only_newer: bool = False) -> int:
        """Write status, due date and assignee of known tickets back; returns how many items changed.

        With `only_newer` (webhooks, which may arrive late or twice), a ticket whose `updated` is older
        than the one stored, or missing while one is stored, is ignored. A known `updated` is never
        replaced by a missing one, so the check stays on for every later delivery.
        """
        by_key = {ticket.key: ticket for ticket in tickets}
        rows_changed: list[dict[str, Any]] = []
        rows_checked: list[dict[str, Any]] = []
        stale: set[str] = set()
        with self.store.session() as session:
            for keys in _chunks(list(by_key)):
                rows = session.execute(
                    select(ActionItemRow.id, ActionItemRow.ticket_key, ActionItemRow.status,
                           ActionItemRow.ticket_assignee, ActionItemRow.ticket_due,
                           ActionItemRow.ticket_updated)
                    .where(ActionItemRow.ticket_key.in_(keys))
                ).all()
                for row in rows:
                    ticket = by_key[row.ticket_key]
                    if only_newer and _older(ticket.updated, row.ticket_updated):
                        stale.add(ticket.key)
                        continue
                    new = {"status": ticket.status.value, "ticket_assignee": ticket.fields.assignee,
                           "ticket_due": ticket.fields.due}
                    old = {"status": row.status, "ticket_assignee": row.ticket_assignee,
                           "ticket_due": row.ticket_due}
                    updated = ticket.updated if ticket.updated is not None else row.ticket_updated
                    values = {"id": row.id, "status_checked_at": now, "ticket_updated": updated,
                              "status_name": ticket.status_name or None}
                    if new != old:
                        rows_changed.append({**values, **new, "updated_at": now})
                    else:
                        rows_checked.append(values)
            # ORM bulk UPDATE by primary key: one executemany per shape instead of a statement per ticket.
            for batch in (rows_changed, rows_checked):
                if batch:
                    session.execute(update(ActionItemRow), batch)
        self._record_resolutions([t for t in tickets if t.key not in stale], now=now)
        return len(rows_changed)

    def _record_resolutions(self, tickets: Sequence[Ticket], *, now: datetime) -> None:
        closed = {t.key: t for t in tickets if t.status in (TicketStatus.DONE, TicketStatus.DROPPED)}
        reopened = [t.key for t in tickets if t.status is TicketStatus.OPEN]
        table = followup_resolutions
        with self.engine.begin() as conn:
            for keys in _chunks(reopened):
                conn.execute(delete(table).where(table.c.ticket_key.in_(keys)))
            known: dict[str, str] = {}
            for keys in _chunks(list(closed)):
                known.update(conn.execute(select(table.c.ticket_key, table.c.status)
                                          .where(table.c.ticket_key.in_(keys))).tuples().all())
            # The first time we see a ticket closed; the tracker's `updated` is the best guess of when.
            fresh: list[dict[str, Any]] = [{"ticket_key": key, "status": t.status.value,
                                             "resolved_at": min(t.updated, now) if t.updated else now}
                                            for key, t in closed.items() if known.get(key) != t.status.value]
            for keys in _chunks([row["ticket_key"] for row in fresh]):
                conn.execute(delete(table).where(table.c.ticket_key.in_(keys)))
            if fresh:
                # Upsert: a webhook may record the same ticket at the same moment.
                insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
                statement = insert(table)
                conn.execute(statement.on_conflict_do_update(
                    index_elements=["ticket_key"],
                    set_={"status": statement.excluded.status,
                          "resolved_at": statement.excluded.resolved_at}), fresh)

    # --- history --------------------------------------------------------------------------------

    def record_history(self, team: str, day: date, *, open_count: int, overdue: int, now: datetime) -> None:
        """Store (or replace) the team's open and overdue counts for one day."""
        values = {"open": open_count, "overdue": overdue, "recorded_at": now}
        with self.engine.begin() as conn:
            updated = conn.execute(update(followup_history).where(
                followup_history.c.team == team, followup_history.c.day == day).values(**values))
            if updated.rowcount == 0:
                try:
                    with conn.begin_nested():
                        conn.execute(followup_history.insert().values(team=team, day=day, **values))
                except IntegrityError:
                    conn.execute(update(followup_history).where(
                        followup_history.c.team == team, followup_history.c.day == day).values(**values))

    def history(self, team: str, *, since: date) -> list[HistoryPoint]:
        """The team's daily snapshots from `since` on, oldest first."""
        query = (select(followup_history)
                 .where(followup_history.c.team == team, followup_history.c.day >= since)
                 .order_by(followup_history.c.day))
        with self.engine.connect() as conn:
            return [HistoryPoint(day=row.day, open=row.open, overdue=row.overdue)
                    for row in conn.execute(query)]
