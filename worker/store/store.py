"""The state store: open from `settings.database_url`, migrate on open, concurrency-safe upserts.

SQLite (a file under the working directory) is the embedded default; PostgreSQL is the production
store. Every write is an INSERT .. ON CONFLICT upsert or a guarded UPDATE on a unique key, so several
workers may write the same postmortem at once without duplicate rows.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import (
    Engine,
    and_,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, CursorResult, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from connectors.tracker import OWNED_FIELDS, Ticket, TicketFields
from worker.errors import Unavailable, UserError
from worker.models import ActionItem, Postmortem
from worker.store.models import ActionItemRow, OwnerLookupRow, ParseFailureRow, PostmortemRow, SyncRunRow
from worker.store.records import ItemRecord, ParseFailureRecord, PostmortemRecord, SyncRunRecord

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Serialises migrations when several workers open a PostgreSQL store at once.
_MIGRATION_LOCK_ID = 0x46_54_53_54  # "FTST"
#: First half of the two-int advisory lock key of a postmortem's sync (the single-bigint migration lock
#: has 0 there, so the two never collide).
_SYNC_LOCK_SPACE = 0x46_54_53_59  # "FTSY"


class StaleVersion(Exception):
    """An ingest carried an older version of a postmortem than the store holds; nothing was written."""


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// URLs (psycopg2 is not a dependency)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _now() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Transactions are begun by `_sqlite_begin` instead of the driver, so they can be IMMEDIATE.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")  # let concurrent CLI runs wait instead of failing
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the one writer
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
    # can fail at once with "database is locked" instead of waiting for busy_timeout.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


#: Words of a driver's connect error that mean the settings are wrong (exit 2), not the server down (3).
_CONFIG_WORDS = ("authentication failed", "does not exist", "permission denied", "unable to open database")


def unreachable(exc: OperationalError) -> UserError | Unavailable:
    """The one-line error for a store that cannot be opened: Unavailable (exit 3) when the server does
    not answer, UserError (exit 2) when it refuses the settings (a wrong password, no such database)."""
    reason = (str(exc.orig or exc).strip().splitlines() or ["unreachable"])[0]
    message = f"cannot open the store (FOLLOWTHROUGH_DATABASE_URL): {reason}"
    if any(word in reason.lower() for word in _CONFIG_WORDS):
        return UserError(message)
    return Unavailable(message)


#: Owner lookups a store keeps in memory at most (a few per person named as an owner).
_LOOKUPS_KEPT = 10_000

#: A pooled PostgreSQL connection unused for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 10.0


def _pool_options(url: URL, pool_size: int | None) -> dict[str, Any]:
    # SQLite: SQLAlchemy's pool, each checkout pinged (a local call). PostgreSQL: no ping per checkout,
    # which cost a round trip for every store call; `_ping_if_idle` pings the connections that sat idle.
    # A server process may size its pool to the work it runs at once (the receiver), so a burst never
    # opens and closes overflow connections of its own (SQLAlchemy's default is 5 + 10 overflow).
    if url.get_backend_name() != "postgresql":
        return {"pool_pre_ping": True}
    if pool_size is None:
        return {"pool_pre_ping": False}
    return {"pool_size": pool_size, "max_overflow": 4, "pool_pre_ping": False}


def _checked_in(dbapi_conn: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_conn: Any, record: Any, proxy: Any) -> None:
    """A connection idle for a while (the database may have restarted since) is pinged; a dead one is
    replaced by the pool (DisconnectionError), as `pool_pre_ping` would. A busy one is not: a connection
    the database dropped while in use fails that one call, and SQLAlchemy then discards the pool."""
    last = record.info.get("checked_in")
    if last is None or time.monotonic() - last < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_conn.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_conn.rollback()
    except Exception as exc:
        raise DisconnectionError(f"idle connection failed its ping: {type(exc).__name__}") from None


class Store:
    """Access to the state store. Cheap to keep for a process; call `close()` when done."""

    def __init__(self, url: str, *, migrate: bool = True, pool_size: int | None = None) -> None:
        url = normalise_url(url)
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            # Never echo the URL: it usually carries the database password.
            raise UserError(
                "invalid setting FOLLOWTHROUGH_DATABASE_URL: cannot parse it "
                "(expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST[:PORT]/DB)"
            ) from None
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise UserError(
                f"invalid setting FOLLOWTHROUGH_DATABASE_URL: {self.dialect!r} is not supported "
                "(use sqlite:/// or postgresql://)"
            )
        try:
            self.engine: Engine = create_engine(url, **_pool_options(parsed, pool_size))
        except ModuleNotFoundError as exc:  # psycopg is the `postgres` extra
            raise UserError(
                f"FOLLOWTHROUGH_DATABASE_URL needs the {exc.name} driver: "
                "pip install 'followthrough[postgres]'"
            ) from None
        if self.dialect == "postgresql":
            event.listen(self.engine, "checkin", _checked_in)
            event.listen(self.engine, "checkout", _ping_if_idle)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        #: Owner lookups read or written by this process (see `_remember_lookup`).
        self._lookups: dict[tuple[str, str], tuple[str | None, str, datetime]] = {}
        #: PostgreSQL: reads in autocommit. Under READ COMMITTED (the default) every statement takes its
        #: own snapshot inside a transaction too, so a read sees the same rows; it is one round trip
        #: instead of three (psycopg sends BEGIN and COMMIT as queries of their own).
        self._autocommit = (self.engine.execution_options(isolation_level="AUTOCOMMIT")
                            if self.dialect == "postgresql" else None)
        self._reads = (sessionmaker(self._autocommit, expire_on_commit=False)
                       if self._autocommit is not None else self._sessions)
        if migrate:
            self.migrate()

    # --- lifecycle ------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent; safe with concurrent openers)."""
        try:
            with self._sqlite_file_lock("migrate.lock"), self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
                command.upgrade(alembic_config(conn), "head")
        except OperationalError as exc:
            raise unreachable(exc) from None
        except CommandError as exc:
            # Typically a store migrated by a newer release: its revision is not among ours.
            reason = (str(exc).strip().splitlines() or ["unknown revision"])[0]
            raise UserError(
                "the store (FOLLOWTHROUGH_DATABASE_URL) is at a schema revision this release does not know, "
                f"probably written by a newer Followthrough; upgrade, or point at another store ({reason})"
            ) from None

    def revisions(self) -> tuple[tuple[str, ...], str]:
        """The store's current schema revisions (none for an empty database) and this release's head."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        try:
            with self.engine.connect() as conn:
                current = tuple(MigrationContext.configure(conn).get_current_heads())
        except OperationalError as exc:
            raise unreachable(exc) from None
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        return current, str(head)

    def check_schema(self) -> None:
        """Refuse a store older than this release, for a process told not to migrate on start.

        A store at a revision this release does not know was migrated by a newer release during a rolling
        upgrade; schema changes are additive, so this release keeps working on it.
        """
        from alembic.script import ScriptDirectory

        current, head = self.revisions()
        if head in current:
            return
        known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if current and not set(current) <= known:
            return
        raise UserError(
            f"the store (FOLLOWTHROUGH_DATABASE_URL) is at schema revision {', '.join(current) or 'none'}, "
            f"older than this release's {head}, and FOLLOWTHROUGH_MIGRATE_ON_START is false: "
            "run `followthrough migrate` first"
        )

    @contextmanager
    def _sqlite_file_lock(self, name: str) -> Iterator[None]:
        """Serialise first opens of one SQLite file across processes: switching a new database to WAL
        while another connection does the same can fail at once with "database is locked"."""
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            yield
            return
        folder = Path(f"{database}.locks")
        folder.mkdir(exist_ok=True)
        with open(folder / name, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error (for queries other modules need)."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (no writes, no row locks): on PostgreSQL in autocommit (`_reads`)."""
        if self._reads is self._sessions:
            with self._sessions.begin() as session:
                yield session
            return
        with self._reads() as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection for reads only, as `reading()` is a session: autocommit on PostgreSQL."""
        with (self._autocommit or self.engine).connect() as conn:
            yield conn

    #: A session for one write statement, which is its own transaction: autocommit on PostgreSQL as for
    #: reads, one round trip instead of three. Never for two statements, nor for an executemany (each
    #: of its rows would commit alone).
    one_statement = reading

    def insert(self, table: Any) -> Any:
        """An INSERT in this store's dialect, so callers can add ON CONFLICT (the outbox, upserts)."""
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    @contextmanager
    def sync_lock(self, key: str) -> Iterator[bool]:
        """Try to hold this postmortem's sync lock for the block; yields whether it was taken.

        PostgreSQL: a session advisory lock on a connection kept for the block (released by the server
        if the process dies). SQLite: an flock on a file beside the database (one host by nature).
        """
        digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big", signed=True)
        if self.dialect == "postgresql":
            # The lock is the session's, so no transaction is needed: in autocommit, taking and releasing
            # it is one round trip each, and no transaction stays open while it is held.
            with self.read_connection() as conn:
                args = {"space": _SYNC_LOCK_SPACE, "key": digest}
                taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:space, :key)"), args).scalar())
                try:
                    yield taken
                finally:
                    if taken:
                        conn.execute(text("SELECT pg_advisory_unlock(:space, :key)"), args)
            return
        database = self.engine.url.database
        if not database or database == ":memory:":
            yield True  # a private in-memory store: no other process can sync against it
            return
        folder = Path(f"{database}.locks")
        folder.mkdir(exist_ok=True)
        with open(folder / f"{digest & 0xFFFFFFFF:08x}.lock", "a+b") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    # --- postmortems ----------------------------------------------------------------------------

    def save_postmortem(
        self,
        postmortem: Postmortem,
        *,
        key: str,
        source: str,
        team: str,
        content_hash: str,
        content: bytes | None,
        approved_at: datetime | None = None,
        version: datetime | None = None,
        sequence: int | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Record a parsed postmortem and its items; return False when this exact content was stored.

        Raises StaleVersion, writing nothing, when `version` is older than the stored one (a replayed
        or retried delivery of an earlier document must never roll a newer one back). Of two equal
        versions the one with the later `sequence` (the receiver's arrival order) wins.
        """
        now = now or _now()
        with self.session() as s:
            previous = s.execute(
                select(PostmortemRow.content_hash, PostmortemRow.team).where(PostmortemRow.key == key)
            ).first()
            changed = previous is None or previous.content_hash != content_hash or previous.team != team
            values: dict[str, Any] = {
                "identity": postmortem.identity,
                "source": source,
                "team": team,
                "title": postmortem.title,
                "owner": postmortem.owner,
                "incident_date": postmortem.incident_date,
                "severity": postmortem.severity,
                "content_hash": content_hash,
                "content": content,
                "ingested_at": now,
            }
            if approved_at is not None:
                values["approved_at"] = approved_at
            stmt = self.insert(PostmortemRow).values(key=key, version=version, version_seq=sequence, **values)
            # Compared and written in one statement: the row lock orders concurrent ingests.
            written = s.execute(stmt.on_conflict_do_update(
                index_elements=["key"], set_={**values, **_version_values(stmt)}, where=_not_older(stmt),
            ).returning(PostmortemRow.key)).first()
            if written is None:
                raise StaleVersion(f"postmortem {key}: version {version} is older than the stored one")
            self._save_items(s, key, postmortem.action_items, now=now)
        return changed

    def _save_items(self, s: Session, key: str, items: Iterable[ActionItem], *, now: datetime) -> None:
        seen: list[str] = []
        rows: list[dict[str, Any]] = []
        for position, item in enumerate(items):
            seen.append(item.fingerprint)
            rows.append({
                "postmortem_key": key,
                "fingerprint": item.fingerprint,
                "owned_fields": "",
                "removal_notified": False,
                "created_at": now,
                "position": position,
                "title": item.title,
                "description": item.description,
                "owner": item.owner,
                "due": item.due,
                "priority": item.priority,
                "kind": item.kind,
                "ref": item.ref,
                "done": item.done,
                "section": item.section,
                "removed_at": None,  # an item that comes back is live again
                "updated_at": now,
            })
        if rows:
            # One statement for every item (a multi-row upsert), not a round trip per item; rows in
            # fingerprint order, so two ingests of one postmortem lock its item rows in the same order
            # (in document order, two versions that moved items could deadlock).
            rows.sort(key=lambda row: str(row["fingerprint"]))
            stmt = self.insert(ActionItemRow.__table__)
            s.connection().execute(
                stmt.on_conflict_do_update(index_elements=["postmortem_key", "fingerprint"],
                                           set_={name: stmt.excluded[name] for name in _PARSED_COLUMNS}),
                rows,
            )
        gone = update(ActionItemRow).where(
            ActionItemRow.postmortem_key == key, ActionItemRow.removed_at.is_(None)
        )
        if seen:
            gone = gone.where(ActionItemRow.fingerprint.not_in(seen))
        s.execute(gone.values(removed_at=now, updated_at=now))

    def set_team(self, key: str, team: str) -> None:
        with self.session() as s:
            s.execute(update(PostmortemRow).where(PostmortemRow.key == key).values(team=team))

    def get_postmortem(self, key: str) -> PostmortemRecord | None:
        with self.reading() as s:
            row = s.get(PostmortemRow, key)
            return _pm_record(row) if row else None

    def list_postmortems(self, *, team: str | None = None) -> list[PostmortemRecord]:
        with self.session() as s:
            stmt = select(PostmortemRow).order_by(PostmortemRow.ingested_at, PostmortemRow.key)
            if team is not None:
                stmt = stmt.where(PostmortemRow.team == team)
            return [_pm_record(row) for row in s.scalars(stmt)]

    def load_content(self, key: str) -> bytes | None:
        with self.session() as s:
            return s.execute(select(PostmortemRow.content).where(PostmortemRow.key == key)).scalar()

    # --- items and tickets ----------------------------------------------------------------------

    def items(self, key: str) -> list[ItemRecord]:
        """All items of a postmortem, live ones first in document order, then removed ones."""
        with self.reading() as s:
            rows = s.scalars(
                select(ActionItemRow)
                .where(ActionItemRow.postmortem_key == key)
                .order_by(ActionItemRow.removed_at.is_not(None), ActionItemRow.position, ActionItemRow.id)
            )
            return [_item_record(row) for row in rows]

    def preview_items(
        self, key: str, items: Iterable[ActionItem], *, now: datetime | None = None
    ) -> list[ItemRecord]:
        """What `items(key)` would return after `save_postmortem` with these items, writing nothing."""
        now = now or _now()
        stored = {record.fingerprint: record for record in self.items(key)}
        live: dict[str, ItemRecord] = {}
        for position, item in enumerate(items):
            old = stored.pop(item.fingerprint, None) or live.get(item.fingerprint)
            if old is None:
                live[item.fingerprint] = ItemRecord.untracked(key, item, position)
            else:
                live[item.fingerprint] = replace(old, item=item, position=position, removed_at=None)
        gone = [r if r.removed_at is not None else replace(r, removed_at=now) for r in stored.values()]
        return [*live.values(), *sorted(gone, key=lambda r: r.position)]

    def mark_create_attempted(
        self, key: str, drafts: Mapping[str, TicketFields], *, tracker: str, now: datetime | None = None
    ) -> None:
        """Before a create goes out: remember what it writes, for tickets found later by label."""
        now = now or _now()
        if not drafts:
            return
        stmt = (update(ActionItemRow)
                .where(ActionItemRow.postmortem_key == bindparam("b_key"),
                       ActionItemRow.fingerprint == bindparam("b_fingerprint"),
                       ActionItemRow.ticket_key.is_(None))
                .values(tracker=tracker, create_attempted_at=now, absent_checks=0,
                        owned_fields=",".join(OWNED_FIELDS), updated_at=now,
                        **{f"written_{name}": bindparam(f"v_{name}") for name in OWNED_FIELDS}))
        params = [{"b_key": key, "b_fingerprint": fingerprint,
                   **{f"v_{name}": getattr(fields, name) for name in OWNED_FIELDS}}
                  for fingerprint, fields in drafts.items()]
        with self.session() as s:
            s.connection().execute(stmt, params)  # one executemany, not a statement per draft

    def clear_create_attempt(self, key: str, fingerprints: Collection[str]) -> None:
        """The create is known not to have happened (rate limit, rejection): nothing waits to settle."""
        self._set_unconfirmed(key, fingerprints, create_attempted_at=None, absent_checks=0)

    def record_absent_check(self, key: str, fingerprint: str, checks: int) -> None:
        """A search made one settling window after the last found no ticket for an unconfirmed create."""
        self._set_unconfirmed(key, [fingerprint], absent_checks=checks)

    def _set_unconfirmed(self, key: str, fingerprints: Collection[str], **values: Any) -> None:
        if not fingerprints:
            return
        with self.session() as s:
            s.execute(
                update(ActionItemRow)
                .where(
                    ActionItemRow.postmortem_key == key,
                    ActionItemRow.fingerprint.in_(list(fingerprints)),
                    ActionItemRow.ticket_key.is_(None),
                )
                .values(**values)
            )

    def record_ticket(
        self,
        key: str,
        fingerprint: str,
        ticket: Ticket,
        *,
        tracker: str,
        written: TicketFields | None = None,
        owned: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> None:
        """Map an item to its ticket. `written`/`owned` replace the last-written values when given."""
        now = now or _now()
        values: dict[str, Any] = {
            "tracker": tracker,
            "ticket_key": ticket.key,
            "ticket_url": ticket.url,
            "updated_at": now,
            **_status_values(ticket, now),
        }
        if owned is not None:
            values["owned_fields"] = ",".join(f for f in OWNED_FIELDS if f in owned)
            if written is not None:
                values.update(_written(written, OWNED_FIELDS))
        with self.session() as s:
            result: CursorResult[Any] = s.execute(  # type: ignore[assignment]
                update(ActionItemRow)
                .where(ActionItemRow.postmortem_key == key, ActionItemRow.fingerprint == fingerprint)
                .values(**values)
            )
            exists = result.rowcount
            if not exists:
                # A ticket of this postmortem whose item the store never saw (store lost, item since
                # removed from the document): keep it, as a removed item, so it is reported and followed.
                insert_values = {
                    "title": ticket.fields.title,
                    "done": False,
                    "position": 0,
                    "owned_fields": "",
                    "removal_notified": False,
                    "removed_at": now,
                    "created_at": now,
                    **values,
                }
                stmt = self.insert(ActionItemRow).values(
                    postmortem_key=key, fingerprint=fingerprint, **insert_values
                )
                s.execute(
                    stmt.on_conflict_do_update(index_elements=["postmortem_key", "fingerprint"], set_=values)
                )

    def record_tickets(
        self,
        key: str,
        created: Sequence[tuple[str, Ticket, TicketFields]],
        *,
        tracker: str,
        now: datetime | None = None,
    ) -> None:
        """Map many items to the tickets just created for them, as `record_ticket` with `owned` =
        OWNED_FIELDS would, in one transaction: one UPDATE sent for all (executemany), not a transaction
        per item."""
        if not created:
            return
        now = now or _now()
        owned = ",".join(OWNED_FIELDS)
        params = [
            {"b_key": key, "b_fingerprint": fingerprint, "tracker": tracker, "ticket_key": ticket.key,
             "ticket_url": ticket.url, "updated_at": now, "owned_fields": owned,
             **_status_values(ticket, now), **_written(written, OWNED_FIELDS)}
            for fingerprint, ticket, written in created
        ]
        stmt = (update(ActionItemRow)
                .where(ActionItemRow.postmortem_key == bindparam("b_key"),
                       ActionItemRow.fingerprint == bindparam("b_fingerprint"))
                .values({name: bindparam(f"v_{name}") for name in params[0] if not name.startswith("b_")}))
        fingerprints = [fingerprint for fingerprint, _, _ in created]
        with self.session() as s:
            s.connection().execute(stmt, [{k if k.startswith("b_") else f"v_{k}": v for k, v in p.items()}
                                          for p in params])
            stored = set(s.scalars(select(ActionItemRow.fingerprint).where(
                ActionItemRow.postmortem_key == key, ActionItemRow.fingerprint.in_(fingerprints))))
        for fingerprint, ticket, written in created:
            if fingerprint not in stored:  # rare: an item the store never saw (see `record_ticket`)
                self.record_ticket(key, fingerprint, ticket, tracker=tracker, written=written,
                                   owned=OWNED_FIELDS, now=now)

    def record_written(
        self,
        key: str,
        fingerprint: str,
        fields: TicketFields,
        *,
        only: Collection[str],
        now: datetime | None = None,
    ) -> None:
        """After an update: the named fields now hold our values, so they are owned again."""
        now = now or _now()
        with self.session() as s:
            row = s.execute(
                select(ActionItemRow)
                .where(ActionItemRow.postmortem_key == key, ActionItemRow.fingerprint == fingerprint)
                .with_for_update()
            ).scalar_one()
            owned = set(filter(None, row.owned_fields.split(","))) | set(only)
            row.owned_fields = ",".join(f for f in OWNED_FIELDS if f in owned)
            for name, value in _written(fields, only).items():
                setattr(row, name, value)
            row.updated_at = now

    def record_status(self, key: str, tickets: Iterable[Ticket], *, now: datetime | None = None) -> None:
        """Store the last known state of tickets found for this postmortem (matched by fingerprint)."""
        now = now or _now()
        with self.session() as s:
            for ticket in tickets:
                if ticket.fingerprint is None:
                    continue
                s.execute(
                    update(ActionItemRow)
                    .where(
                        ActionItemRow.postmortem_key == key,
                        ActionItemRow.fingerprint == ticket.fingerprint,
                        ActionItemRow.ticket_key == ticket.key,
                    )
                    .values(**_status_values(ticket, now))
                )

    def record_resolutions(self, key: str, resolutions: Mapping[str, str]) -> None:
        """Remember how each item's owner was resolved (directory, tracker, needs-owner, ...)."""
        if not resolutions:
            return
        stmt = (update(ActionItemRow)
                .where(ActionItemRow.postmortem_key == bindparam("b_key"),
                       ActionItemRow.fingerprint == bindparam("b_fingerprint"))
                .values(assignee_resolution=bindparam("v_how")))
        with self.session() as s:
            s.connection().execute(stmt, [{"b_key": key, "b_fingerprint": fingerprint, "v_how": how[:60]}
                                          for fingerprint, how in resolutions.items()])

    def mark_removal_notified(
        self, key: str, fingerprint: str, *, notified: bool = True, now: datetime | None = None
    ) -> None:
        """Record that the removal comment was made (or, `notified=False`, that the item came back)."""
        with self.session() as s:
            s.execute(
                update(ActionItemRow)
                .where(ActionItemRow.postmortem_key == key, ActionItemRow.fingerprint == fingerprint)
                .values(removal_notified=notified, updated_at=now or _now())
            )

    def record_sync(
        self,
        key: str,
        *,
        started_at: datetime,
        dry_run: bool,
        counts: Mapping[str, int],
        retry_error: str | None,
        finished_at: datetime | None = None,
    ) -> None:
        """Log a sync run; a real run that left nothing to retry also stamps the postmortem's `synced_at`,
        with the time the run started: it planned from the items as they were then, so a version ingested
        while it ran is still newer than `synced_at` and the sweep syncs it if its own sync is lost.

        A run with a `retry_error` (items pending: rate limit, unconfirmed creates) is not complete: if its
        retry is lost (broker restart), the sweep's `unsynced` still finds the postmortem.
        """
        finished_at = finished_at or _now()
        with self.session() as s:
            s.add(
                SyncRunRow(
                    postmortem_key=key,
                    started_at=started_at,
                    finished_at=finished_at,
                    dry_run=dry_run,
                    counts=json.dumps(dict(counts), sort_keys=True),
                    retry_error=retry_error,
                )
            )
            # Failed items are not done: the sweep looks at them again when the team's config changes.
            if not dry_run and retry_error is None and not counts.get("failed") and not counts.get("missing"):
                s.execute(update(PostmortemRow).where(PostmortemRow.key == key).values(synced_at=started_at))

    def last_sync_run(self, key: str) -> SyncRunRecord | None:
        """The most recent sync run recorded for this postmortem (dry runs record none)."""
        with self.session() as s:
            row = s.scalars(
                select(SyncRunRow)
                .where(SyncRunRow.postmortem_key == key)
                .order_by(SyncRunRow.finished_at.desc(), SyncRunRow.id.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            counts: dict[str, int] = json.loads(row.counts or "{}")
            return SyncRunRecord(row.finished_at, row.dry_run, counts, row.retry_error)

    # --- parse failures -------------------------------------------------------------------------

    def record_parse_failure(
        self, source: str, *, content_hash: str, reason: str, now: datetime | None = None
    ) -> None:
        """Remember that the document at `source` (with this content) could not be parsed, and why."""
        now = now or _now()
        values = {"content_hash": content_hash, "reason": reason[:2000], "last_failed_at": now}
        with self.session() as s:
            stmt = self.insert(ParseFailureRow).values(
                source=source[:1000], attempts=1, first_failed_at=now, **values
            )
            s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["source"], set_={**values, "attempts": ParseFailureRow.attempts + 1}
                )
            )

    def clear_parse_failure(self, source: str) -> None:
        """Forget a recorded parse failure (the document at `source` now parses)."""
        with self.one_statement() as s:
            s.execute(delete(ParseFailureRow).where(ParseFailureRow.source == source[:1000]))

    def parse_failures(self) -> list[ParseFailureRecord]:
        """Every recorded parse failure, most recent first."""
        with self.session() as s:
            rows = s.execute(
                select(ParseFailureRow).order_by(
                    ParseFailureRow.last_failed_at.desc(), ParseFailureRow.source
                )
            ).scalars()
            return [
                ParseFailureRecord(
                    source=row.source,
                    content_hash=row.content_hash,
                    reason=row.reason,
                    attempts=row.attempts,
                    first_failed_at=row.first_failed_at,
                    last_failed_at=row.last_failed_at,
                )
                for row in rows
            ]

    # --- owner lookups cache --------------------------------------------------------------------

    def get_owner_lookup(
        self, destination: str, query: str, *, max_age: timedelta, now: datetime | None = None
    ) -> tuple[str | None, str] | None:
        """A cached tracker user lookup younger than `max_age`: (user id or None, outcome)."""
        now = now or _now()
        key = (destination, query[:500])
        known = self._lookups.get(key)
        if known is None:
            with self.reading() as s:
                row = s.execute(
                    select(OwnerLookupRow).where(
                        OwnerLookupRow.destination == destination, OwnerLookupRow.query == key[1]
                    )
                ).scalar_one_or_none()
                if row is None:
                    return None
                known = self._remember_lookup(key, row.user_id, row.outcome, row.checked_at)
        user_id, outcome, checked_at = known
        if now - checked_at > max_age:
            return None
        return user_id, outcome

    def _remember_lookup(self, key: tuple[str, str], user_id: str | None, outcome: str,
                         checked_at: datetime) -> tuple[str | None, str, datetime]:
        """Keep a stored lookup in this process too: a row changes only when it is written again after
        it expired, which every process sees alike, so the copy answers as the row would."""
        if len(self._lookups) >= _LOOKUPS_KEPT:
            self._lookups.clear()
        if checked_at.tzinfo is None:  # SQLite gives naive datetimes back; they were written in UTC
            checked_at = checked_at.replace(tzinfo=UTC)
        known = (user_id, outcome, checked_at)
        self._lookups[key] = known
        return known

    def put_owner_lookup(
        self, destination: str, query: str, *, user_id: str | None, outcome: str, now: datetime | None = None
    ) -> None:
        checked_at = now or _now()
        values = {"user_id": user_id, "outcome": outcome[:300], "checked_at": checked_at}
        with self.one_statement() as s:
            stmt = self.insert(OwnerLookupRow).values(destination=destination, query=query[:500], **values)
            s.execute(stmt.on_conflict_do_update(index_elements=["destination", "query"], set_=values))
        self._remember_lookup((destination, query[:500]), user_id, outcome[:300], checked_at)


def _version_values(stmt: Any) -> dict[str, Any]:
    """An unversioned write (the CLI, a resync at head) keeps the stored version and its sequence."""
    new, stored = stmt.excluded, PostmortemRow
    return {"version": func.coalesce(new.version, stored.version),
            "version_seq": case((new.version.is_(None), stored.version_seq), else_=new.version_seq)}


def _not_older(stmt: Any) -> Any:
    """Whether the new version may replace the stored one: newer, or as new and not an earlier arrival."""
    new, stored = stmt.excluded, PostmortemRow
    same_time_later = and_(stored.version == new.version,
                           or_(stored.version_seq.is_(None), new.version_seq.is_(None),
                               stored.version_seq <= new.version_seq))
    return or_(stored.version.is_(None), new.version.is_(None), stored.version < new.version, same_time_later)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config built in code (no alembic.ini), optionally bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


#: The columns a new parse of the document rewrites on an item that is already stored.
_PARSED_COLUMNS = ("position", "title", "description", "owner", "due", "priority", "kind", "ref", "done",
                   "section", "removed_at", "updated_at")


def _written(fields: TicketFields, names: Iterable[str]) -> dict[str, Any]:
    return {f"written_{name}": getattr(fields, name) for name in names}


def _status_values(ticket: Ticket, now: datetime) -> dict[str, Any]:
    return {
        "status": ticket.status.value,
        "status_name": ticket.status_name or None,
        "ticket_assignee": ticket.fields.assignee,
        "ticket_due": ticket.fields.due,
        "ticket_updated": ticket.updated,
        "status_checked_at": now,
    }


def _pm_record(row: PostmortemRow) -> PostmortemRecord:
    return PostmortemRecord(
        key=row.key,
        identity=row.identity,
        source=row.source,
        team=row.team,
        title=row.title,
        owner=row.owner,
        incident_date=row.incident_date,
        severity=row.severity,
        content_hash=row.content_hash,
        approved_at=row.approved_at,
        ingested_at=row.ingested_at,
        synced_at=row.synced_at,
        has_content=row.content is not None,
        version=row.version,
    )


def _item_record(row: ActionItemRow) -> ItemRecord:
    owned = frozenset(filter(None, row.owned_fields.split(",")))
    written = None
    if row.written_title is not None or owned:
        written = TicketFields(
            title=row.written_title or "",
            due=row.written_due,
            assignee=row.written_assignee,
            priority=row.written_priority,
        )
    return ItemRecord(
        postmortem_key=row.postmortem_key,
        item=ActionItem(
            title=row.title,
            fingerprint=row.fingerprint,
            description=row.description,
            owner=row.owner,
            due=row.due,
            priority=row.priority,
            kind=row.kind,
            ref=row.ref,
            done=row.done,
            section=row.section,
        ),
        position=row.position,
        tracker=row.tracker,
        ticket_key=row.ticket_key,
        ticket_url=row.ticket_url,
        create_attempted=row.create_attempted_at is not None,
        written=written,
        owned=owned,
        assignee_resolution=row.assignee_resolution,
        status=row.status,
        status_name=row.status_name,
        ticket_assignee=row.ticket_assignee,
        ticket_due=row.ticket_due,
        ticket_updated=row.ticket_updated,
        removed_at=row.removed_at,
        removal_notified=row.removal_notified,
        create_attempted_at=row.create_attempted_at,
        absent_checks=row.absent_checks or 0,
    )
