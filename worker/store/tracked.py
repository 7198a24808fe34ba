"""Follow-up's view of the store: the follow-up rules over stored data, tracked items, tickets, history.

This module is the one place that says, over stored rows:
- the current status: the ticket's, else (never refreshed) the document's checkbox (`current_status`);
- the own due date: the ticket's, else the document's (`own_due`); None lets the policy's default apply;
- the start of default due dates: approval, else first ingestion (`approved`);
- which rows may be overdue at all (`overdue_narrowing`): ticketed, open, own due date before a day or none;
- the one row-to-`TrackedItem` mapper (`tracked_item`).
The exact rule (team zone, default due date, followed kinds) is `worker.followup.rules`, applied once by
`worker.followup.overdue`; everything that shows "overdue" goes through both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from config.settings import Settings
from config.teams import FollowupPolicy, Person
from connectors.tracker import Ticket, TicketStatus
from worker.store import Store, registry
from worker.store.models import (
    ActionItemRow,
    PostmortemRow,
    UTCDateTime,
    followup_history,
    followup_resolutions,
)
from worker.store.records import HistoryPoint, TrackedItem

ITEM = ActionItemRow.__table__.c  # type: ignore[attr-defined]
PM = PostmortemRow.__table__.c  # type: ignore[attr-defined]
RES = followup_resolutions.c

#: The ticket's status, else (never refreshed) the document's checkbox.
current_status: ColumnElement[str] = case(
    (or_(ITEM.status.is_(None), ITEM.status == ""),
     case((ITEM.done.is_(True), TicketStatus.DONE.value), else_=TicketStatus.OPEN.value)),
    else_=ITEM.status)
#: The item's own due date: one set in the tracker wins over the document's (a human edit wins).
own_due: ColumnElement[date] = func.coalesce(ITEM.ticket_due, ITEM.due)
#: When the postmortem was approved, else first ingested (the start of default due dates).
approved: ColumnElement[datetime] = type_coerce(func.coalesce(PM.approved_at, PM.ingested_at), UTCDateTime)


def overdue_narrowing(last_day: date) -> ColumnElement[bool]:
    """Rows that may be overdue on `last_day` (the latest local date of the teams asked about): ticketed,
    open, and an own due date before that day or none (then the policy's default decides). The rules in
    `worker.followup.rules` make the final call; this only keeps SQL from returning rows that cannot be."""
    return and_(ITEM.ticket_key.is_not(None), current_status == TicketStatus.OPEN.value,
                or_(own_due.is_(None), own_due < last_day))


def tracked_select() -> Select[Any]:
    """Every ticketed item with what `tracked_item` maps, removed ones included (their open tickets are
    still followed), unordered."""
    return (
        select(ITEM.fingerprint, ITEM.title, ITEM.postmortem_key, ITEM.tracker, ITEM.ticket_key,
               ITEM.ticket_url, current_status.label("status"), ITEM.ticket_assignee, ITEM.written_assignee,
               ITEM.owner, own_due.label("due"), ITEM.priority, ITEM.kind, PM.team,
               PM.title.label("pm_title"), PM.source, approved.label("approved"), RES.resolved_at)
        .join(PostmortemRow, PM.key == ITEM.postmortem_key)
        .outerjoin(followup_resolutions, RES.ticket_key == ITEM.ticket_key)
        .where(ITEM.ticket_key.is_not(None))
    )


def tracked_item(row: Any, names: dict[str, str]) -> TrackedItem:
    """The one mapper from a `tracked_select` row to a `TrackedItem` (unpacked positionally: attribute
    access on 10,000 rows costs more than the query)."""
    (fingerprint, title, postmortem_key, tracker, ticket_key, ticket_url, status, ticket_assignee,
     written_assignee, owner, due, priority, kind, team, pm_title, source, approved_at, resolved_at) = row
    assignee = ticket_assignee or written_assignee
    source = source or ""
    return TrackedItem(
        fingerprint=fingerprint, title=title, team=team, postmortem_key=postmortem_key,
        postmortem_title=pm_title,
        postmortem_url=source if source.startswith(("http://", "https://")) else None,
        tracker=tracker, ticket_key=ticket_key, ticket_url=ticket_url, status=TicketStatus(status),
        assignee=assignee, assignee_name=names.get(assignee.lower()) if assignee else None,
        owner=owner, due=due, priority=priority, kind=kind, approved_at=approved_at, resolved_at=resolved_at,
    )


def tracked_items(conn: Connection, names: dict[str, str], *, teams: Sequence[str] | None = None,
                  postmortem: str | None = None, may_be_overdue_on: date | None = None,
                  priority: str | None = None) -> list[TrackedItem]:
    """Ticketed items in document order, narrowed in SQL: some teams, one postmortem, only those that may
    be overdue on a day (see `overdue_narrowing`), one priority (trimmed, any case)."""
    query = tracked_select()
    if teams is not None:
        query = query.where(PM.team.in_(list(teams)))
    if postmortem is not None:
        query = query.where(ITEM.postmortem_key == postmortem)
    if may_be_overdue_on is not None:
        query = query.where(overdue_narrowing(may_be_overdue_on))
    if priority is not None:
        query = query.where(func.lower(func.trim(ITEM.priority)) == priority.strip().lower())
    query = query.order_by(ITEM.postmortem_key, ITEM.position)
    return [tracked_item(row, names) for row in conn.execute(query)]


#: Items alike in every input the follow-up rules read, as one stand-in `TrackedItem` (no title, no
#: ticket; `postmortem_key` only when grouped by postmortem), and how many there are.
RuleGroup = tuple[TrackedItem, int]


def _group(team: str, kind: str | None, status: TicketStatus, due: date | None, priority: str | None,
           approved_at: datetime | None, resolved_at: datetime | None, postmortem_key: str = ""
           ) -> TrackedItem:
    return TrackedItem(fingerprint="", title="", team=team, postmortem_key=postmortem_key, status=status,
                       due=due, priority=priority, kind=kind, approved_at=approved_at,
                       resolved_at=resolved_at)


def rule_groups(conn: Connection, teams: Sequence[str], last_day: date) -> list[RuleGroup]:
    """One GROUP BY over the teams' ticketed, not dropped items by exactly the inputs the rules read, so
    identical items are judged once and counted by COUNT(*) (`last_day`: the latest local date of the
    teams, after which no resolution time can matter). Priority and approval time are blanked when the
    item has its own due date (the default is then unused); the resolution time when it cannot matter."""
    no_due = own_due.is_(None)
    resolved = case((and_(current_status.in_([TicketStatus.DONE.value]), or_(no_due, own_due <= last_day)),
                     RES.resolved_at))
    keys: list[Any] = [PM.team, ITEM.kind, current_status.label("status"), own_due.label("due"),
                       case((no_due, ITEM.priority)).label("priority"),
                       type_coerce(case((no_due, approved)), UTCDateTime).label("approved"),
                       type_coerce(resolved, UTCDateTime).label("resolved")]
    query = (select(*keys, func.count().label("n"))
             .select_from(ActionItemRow)
             .join(PostmortemRow, PM.key == ITEM.postmortem_key)
             .outerjoin(followup_resolutions, RES.ticket_key == ITEM.ticket_key)
             .where(ITEM.ticket_key.is_not(None), PM.team.in_(list(teams)),
                    current_status.not_in([TicketStatus.DROPPED.value]))
             .group_by(*keys))
    rows: Any = conn.execute(query)  # unpacked positionally: thousands of groups on a large store
    return [(TrackedItem(fingerprint="", title="", team=team, postmortem_key="", status=TicketStatus(status),
                         due=due, priority=priority, kind=kind, approved_at=approved_at,
                         resolved_at=resolved_at), int(count))
            for team, kind, status, due, priority, approved_at, resolved_at, count in rows]


def overdue_groups(conn: Connection, teams: Sequence[str], first_day: date, last_day: date, *,
                   by_postmortem: bool = False, postmortem: str | None = None) -> list[RuleGroup]:
    """The rows `overdue_narrowing(last_day)` keeps, grouped by the inputs the overdue rule reads, for
    counting (`first_day`, `last_day`: the earliest and latest local date of the teams asked about).

    An own due date before `first_day` is past in every team's zone, so it is reported as the day before
    `first_day`: the rule judges it the same, and thousands of items collapse into a few groups (the due
    dates are then not the items' own: use `tracked_items` for lines). Counted per postmortem first, then
    joined: the join then sees one row per group and postmortem, so even a plan made on stale statistics
    (PostgreSQL right after a bulk load picked a nested loop over every item and postmortem) stays cheap.
    Status and resolution are not read: the narrowing keeps open items only."""
    no_due = own_due.is_(None)
    due = type_coerce(case((own_due < first_day, first_day - timedelta(days=1)), else_=own_due), Date)
    inner = (select(ITEM.postmortem_key, ITEM.kind, due.label("due"),
                    case((no_due, ITEM.priority)).label("priority"), func.count().label("n"))
             .where(overdue_narrowing(last_day)))
    if postmortem is not None:
        inner = inner.where(ITEM.postmortem_key == postmortem)
    per_postmortem = inner.group_by(ITEM.postmortem_key, ITEM.kind, due,
                                    case((no_due, ITEM.priority))).subquery()
    c = per_postmortem.c
    start = type_coerce(case((c.due.is_(None), approved)), UTCDateTime).label("approved")
    keys: list[Any] = [PM.team, *([PM.key] if by_postmortem else []), c.kind, c.due, c.priority, start]
    query = (select(*keys, func.sum(c.n))
             .join(per_postmortem, PM.key == c.postmortem_key)
             .where(PM.team.in_(list(teams)))
             .group_by(*keys))
    groups = []
    for row in conn.execute(query):
        values = list(row)
        pm_key = values.pop(1) if by_postmortem else ""
        team, kind, due_on, priority, approved_at, count = values
        groups.append((_group(team, kind, TicketStatus.OPEN, due_on, priority, approved_at, None, pm_key),
                       int(count)))
    return groups


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


@contextmanager
def open_followup_store(settings: Settings) -> Iterator[FollowupStore]:
    """Follow-up's view of the process's one store for the settings' URL (`worker.store.registry`)."""
    yield FollowupStore(registry.open_store(settings.database_url))


class FollowupStore:
    """Reads and writes the store for follow-up (the item tables belong to the store module)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # --- items ----------------------------------------------------------------------------------

    def tracked_items(self, team: str, *, people: Iterable[Person] = ()) -> list[TrackedItem]:
        """Every item of the team's postmortems that has a ticket, with its last known state.

        Items removed from their postmortem stay followed while their ticket is open: the sync told the
        ticket so, and closing it (done or won't do) is how people settle it."""
        with self.engine.connect() as conn:
            return tracked_items(conn, display_names(people), teams=[team])

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
                known.update((key, status) for key, status in conn.execute(
                    select(table.c.ticket_key, table.c.status).where(table.c.ticket_key.in_(keys))))
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


#: Per (team, raw kind): counts of open, overdue, due soon, done, due so far and done on time items, and
#: the days overdue of each overdue item (unordered), as `team_tallies` returns them.
TallyRow = tuple[str, str | None, int, int, int, int, int, int, list[int]]

_RULES_CTE = """
WITH teams(team, tz, today, soon, fallback, calendar) AS (
  SELECT * FROM unnest(CAST(:teams AS text[]), CAST(:zones AS text[]), CAST(:todays AS date[]),
                       CAST(:soons AS int[]), CAST(:fallbacks AS int[]), CAST(:calendars AS boolean[]))),
days(team, priority, days) AS (
  SELECT * FROM unnest(CAST(:d_teams AS text[]), CAST(:d_priorities AS text[]), CAST(:d_days AS int[]))),
defaults(team, start, days, due) AS (
  SELECT * FROM unnest(CAST(:f_teams AS text[]), CAST(:f_starts AS date[]), CAST(:f_days AS int[]),
                       CAST(:f_dues AS date[]))),
team_days AS MATERIALIZED (
  SELECT t.*,
         (SELECT array_agg(d.priority ORDER BY d.priority) FROM days d WHERE d.team = t.team) AS prios,
         (SELECT array_agg(d.days ORDER BY d.priority) FROM days d WHERE d.team = t.team) AS pdays
  FROM teams t),
pms AS MATERIALIZED (
  SELECT s.key, t.team, t.tz, t.today, t.soon, t.fallback, t.calendar, t.prios, t.pdays, s.start,
         CASE WHEN NOT t.calendar THEN ARRAY(
           SELECT f.due FROM unnest(t.fallback || coalesce(t.pdays, '{}')) WITH ORDINALITY AS u(days, n)
           LEFT JOIN defaults f ON f.team = t.team AND f.start = s.start AND f.days = u.days
           ORDER BY u.n) END AS fdues
  FROM (SELECT p.key, p.team, CAST(coalesce(p.approved_at, p.ingested_at) AT TIME ZONE t.tz AS date) AS start
        FROM postmortems p JOIN teams t ON t.team = p.team) s
  JOIN team_days t ON t.team = s.team)
"""
# `team_days`: each team's rules with its priorities (sorted) and their days as two aligned arrays.
# `pms`: each postmortem of the teams with its team's rules and its approval day in the team's zone, and
# where the caller computed the default due dates (`defaults`: business days, holidays) those for this
# approval day: the fallback's first, then one per priority. All computed once per postmortem
# (MATERIALIZED: inlined, the zone conversion ran once per item), so an item needs no join for its default.

#: The current status: the ticket's, else (never refreshed) the document's checkbox (as `current_status`).
_STATUS = """CASE WHEN i.status IS NULL OR i.status = '' THEN CASE WHEN i.done THEN 'done' ELSE 'open' END
              ELSE i.status END"""
#: The own due date, else the default (looked up only then): the approval day plus the days for the
#: item's priority (else the fallback) where the team counts calendar days without holidays, else the date
#: the caller computed for that approval day and those days.
_DUE = """coalesce(i.ticket_due, i.due, CASE WHEN m.calendar
    THEN m.start + coalesce(m.pdays[array_position(m.prios, lower(trim(i.priority)))], m.fallback)
    ELSE m.fdues[coalesce(array_position(m.prios, lower(trim(i.priority))) + 1, 1)] END)"""
_ITEMS_JOIN = """FROM action_items i
  JOIN pms m ON m.key = i.postmortem_key"""

# Constant SQL text only (no input is formatted into it); the values are bound parameters. The inner
# SELECTs end in OFFSET 0 so each item's status and due date are computed once, not once per use.
_TALLIES_SQL = _RULES_CTE + """,
items AS (
  SELECT m.team, i.kind, m.today, m.soon, m.tz, """ + _STATUS + """ AS status, """ + _DUE + """ AS due,
         r.resolved_at
  """ + _ITEMS_JOIN + """
  LEFT JOIN followup_resolutions r ON r.ticket_key = i.ticket_key
  WHERE i.ticket_key IS NOT NULL AND """ + _STATUS + """ <> 'dropped'
  OFFSET 0
)
SELECT team, kind,
       count(*) FILTER (WHERE status = 'open'),
       count(*) FILTER (WHERE status = 'open' AND due < today),
       count(*) FILTER (WHERE status = 'open' AND due >= today AND due - today <= soon),
       count(*) FILTER (WHERE status = 'done'),
       count(*) FILTER (WHERE due <= today),
       count(*) FILTER (WHERE status = 'done' AND due <= today
                        AND (resolved_at IS NULL OR CAST(resolved_at AT TIME ZONE tz AS date) <= due)),
       array_agg(today - due) FILTER (WHERE status = 'open' AND due < today)
FROM items
GROUP BY team, kind
"""


_OVERDUE_SQL = _RULES_CTE + """
SELECT x.today - x.line_due AS late, x.team, x.title, x.ticket_assignee, x.written_assignee, x.owner, x.kind,
       x.postmortem_key, x.fingerprint, x.line_due, x.id
FROM (
  SELECT m.today, m.team, i.title, i.ticket_assignee, i.written_assignee, i.owner, i.kind, i.postmortem_key,
         i.fingerprint, i.id, """ + _DUE + """ AS line_due
  """ + _ITEMS_JOIN + """
  WHERE i.ticket_key IS NOT NULL AND """ + _STATUS + """ = 'open'
    AND (CAST(:priority AS text) IS NULL OR lower(trim(i.priority)) = CAST(:priority AS text))
    AND (CAST(:postmortem AS text) IS NULL OR i.postmortem_key = CAST(:postmortem AS text))
  OFFSET 0
) x
WHERE x.line_due < x.today
"""


#: Default due dates the caller computed: (team, approval day in its zone, days) -> due date.
Defaults = Mapping[tuple[str, date, int], date]


def _rules_params(teams: Mapping[str, tuple[FollowupPolicy, date]], defaults: Defaults) -> dict[str, Any]:
    names = list(teams)
    policies = [teams[name][0] for name in names]
    priorities = [(name, priority, days) for name, (policy, _) in teams.items()
                  for priority, days in policy.due_days_by_priority.items()]
    return {
        "teams": names, "zones": [policy.timezone or "UTC" for policy in policies],
        "todays": [teams[name][1] for name in names], "soons": [policy.due_soon_days for policy in policies],
        "fallbacks": [policy.due_days_default for policy in policies],
        "calendars": [sql_rules_apply(policy) for policy in policies],
        "d_teams": [p[0] for p in priorities], "d_priorities": [p[1] for p in priorities],
        "d_days": [p[2] for p in priorities],
        "f_teams": [k[0] for k in defaults], "f_starts": [k[1] for k in defaults],
        "f_days": [k[2] for k in defaults], "f_dues": list(defaults.values()),
    }


def approval_days(conn: Connection, zones: Mapping[str, str]) -> list[tuple[str, date]]:
    """Each (team, local approval day) of these teams' postmortems (PostgreSQL; `zones`: team -> zone):
    the starts of default due dates, for a caller to count days the way SQL cannot (business days)."""
    query = text("""
        SELECT DISTINCT p.team, CAST(coalesce(p.approved_at, p.ingested_at) AT TIME ZONE z.tz AS date)
        FROM postmortems p
        JOIN unnest(CAST(:teams AS text[]), CAST(:zones AS text[])) AS z(team, tz) ON z.team = p.team
        WHERE coalesce(p.approved_at, p.ingested_at) IS NOT NULL""")
    rows = conn.execute(query, {"teams": list(zones), "zones": list(zones.values())})
    return [(team, day) for team, day in rows]


#: One row of `overdue_rows`: what a page sorts, filters and counts by, and the item's identity.
OverdueRow = tuple[int, str, str, str | None, str | None, str | None, str | None, str, str, date, int]


def overdue_rows(conn: Connection, teams: Mapping[str, tuple[FollowupPolicy, date]], defaults: Defaults, *,
                 priority: str | None = None, postmortem: str | None = None) -> list[OverdueRow]:
    """The overdue rule stated in SQL (PostgreSQL; the policies `sql_rules_apply` accepts): ticketed items
    whose current status is open and whose own or default due date is before the team's today, unordered.

    Each row is (days overdue, team, title, ticket assignee, written assignee, owner, kind as written,
    postmortem key, fingerprint, due date, item id): enough to sort, filter, count and page, so a caller
    builds `TrackedItem`s (`tracked_rows`, by id) only for the lines it shows. Which kinds are followed is
    the caller's. The rows are the driver's own (indexable like tuples), not copied."""
    params = {**_rules_params(teams, defaults), "postmortem": postmortem,
              "priority": priority.strip().lower() if priority is not None else None}
    return _driver_rows(conn, _OVERDUE_SQL, params)  # type: ignore[return-value]


_driver_sql: dict[tuple[str, str], str] = {}


def _driver_rows(conn: Connection, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of a constant `text()` statement as the driver's plain tuples, on the connection's own
    transaction: for thousands of rows, SQLAlchemy's result and Row objects cost more CPU than the
    driver's parsing. The statement is compiled to the driver's parameter style once per dialect."""
    key = (conn.dialect.name, sql)
    if key not in _driver_sql:
        _driver_sql[key] = str(text(sql).compile(dialect=conn.dialect))
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor: Any = dbapi.cursor()
    try:
        cursor.execute(_driver_sql[key], params, prepare=False)  # see `_planned_each_time`
        return list(cursor.fetchall())
    finally:
        cursor.close()


@contextmanager
def _planned_each_time(conn: Connection) -> Iterator[None]:
    """Statements planned for their own parameters while inside (PostgreSQL). psycopg prepares a statement
    run five times on a connection, and the server may then switch to a generic plan; for the rules'
    statements (arrays of teams, days and postmortems) one was measured ten times slower."""
    driver: Any = conn.connection.driver_connection
    kept = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = kept


#: The tallies' memory for grouping. The planner cannot know how many teams the rules' CTEs hold, so it
#: guesses about 1,000 groups, each with an array of days overdue, and under PostgreSQL's default 4 MB
#: sorts 9,000 rows to group them where hashing the 120 real groups takes about 200 kB: a fifth of the
#: dashboard's overview page. Grouping by hash spills to disk if it ever outgrows this.
TALLIES_WORK_MEM = "32MB"


@contextmanager
def _work_mem(conn: Connection, size: str) -> Iterator[None]:
    """PostgreSQL's work_mem at `size` for the statements inside, then back to the server's setting."""
    conn.exec_driver_sql(f"SET work_mem = '{size}'")  # a constant of this module, never input
    try:
        yield
    except BaseException:
        # Inside a transaction its rollback undoes the SET, and a RESET in the failed transaction would
        # only hide the statement's own error; in autocommit the RESET is still due.
        with suppress(Exception):
            conn.exec_driver_sql("RESET work_mem")
        raise
    conn.exec_driver_sql("RESET work_mem")


#: Item ids as one array parameter (PostgreSQL): one statement text and plan whatever their number.
_IDS = bindparam("ids", type_=postgresql.ARRAY(Integer))


def tracked_rows(conn: Connection, ids: Sequence[int]) -> dict[int, Any]:
    """The `tracked_select` rows (for `tracked_item`) of these items, by item id (PostgreSQL)."""
    if not ids:
        return {}
    return {row[-1]: row[:-1] for row in conn.execute(_by_ids(), {"ids": list(ids)})}


@cache
def _by_ids() -> Select[Any]:
    """`tracked_rows`' statement, built once (building a Select costs more than running this one)."""
    return tracked_select().add_columns(ITEM.id).where(ITEM.id == any_(_IDS))


def sql_rules_apply(policy: FollowupPolicy) -> bool:
    """Whether `team_tallies` can state this policy's due dates in SQL: calendar days without holidays
    (business days and holiday calendars stay with `worker.followup.rules`)."""
    return policy.due_days_unit == "calendar" and not policy.holidays_country


def team_tallies(conn: Connection, teams: Mapping[str, tuple[FollowupPolicy, date]], defaults: Defaults
                 ) -> list[TallyRow]:
    """The follow-up rules stated in SQL (PostgreSQL), grouped by team and kind only.

    For each team (policy, today in its zone): the current status and own due date as above, else the
    default due date (approval day in the team's zone plus the days for the item's priority); overdue
    is open with a due date before today, due soon is open and due within `due_soon_days`, due so far is
    a due date on or before today, done on time is done by the end of the due date in the team's zone
    (or at an unknown time). Which kinds are followed is for the caller (`rules.is_followed` per group).
    Only policies `sql_rules_apply` accepts; `rule_groups` serves the others (and SQLite)."""
    params = _rules_params(teams, defaults)
    with _planned_each_time(conn), _work_mem(conn, TALLIES_WORK_MEM):
        rows: Any = conn.execute(text(_TALLIES_SQL), params).all()
    return [(team, kind, *(int(n) for n in counts), late or [])  # type: ignore[misc]
            for team, kind, *counts, late in rows]
