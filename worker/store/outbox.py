"""The webhook outbox: what the receiver accepted, kept in the store until its task has finished.

A row is written before the receiver answers 202, so an accepted delivery survives a broker that loses
the message, a receiver that dies before publishing, and an ingest that fails for a while. Its unique
(kind, delivery) key is also the webhook dedupe: only a durably accepted delivery claims it, and a row
that failed for good gives the key back, so the sender's next retry goes through.

A row keeps its task's arguments (an inline document included) only while it is pending: once the task
finished or failed, the payload is emptied and the row is just the dedupe key until it is purged. Rows
holding content are capped in number and bytes (`OutboxFull`: the receiver answers 503 and the sender
retries later), so a flood of signed deliveries cannot fill the database.

A delivery costs one statement: the claim INSERT. The receiver claims the deliveries that arrive
together in one go (`accept_many`): on PostgreSQL their INSERTs are pipelined in one round trip and one
implicit transaction (one commit for the batch); SQLite runs them in one transaction. The caps are
checked against the pending rows' usage as last read plus what this process has added since, read again
at most every `USAGE_TTL` seconds and always before a refusal, so a delivery is never refused on a stale
count; several receivers together may go over a cap by what they accept within that second.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from worker.store.models import OutboxRow
from worker.store.store import Store

PENDING = "pending"
DONE = "done"
FAILED = "failed"
#: What a finished row's payload becomes: no arguments, no content.
EMPTIED = "[]"
#: Default caps on the rows that hold content (pending ones).
MAX_PENDING_ROWS = 10_000
MAX_PENDING_BYTES = 256 * 1024 * 1024
#: Seconds a read of the pending rows' usage is trusted (plus this process's own adds) before re-reading.
USAGE_TTL = 1.0


class OutboxFull(Exception):
    """The pending rows already hold the most rows or bytes allowed; nothing was written."""


@dataclass(frozen=True, slots=True)
class OutboxUsage:
    """What the pending rows hold."""

    rows: int
    bytes: int


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One accepted delivery and the task that carries it out."""

    id: int
    kind: str
    task: str
    args: list[Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery to accept: its hook's kind, the sender's delivery identity and the task to run."""

    kind: str
    delivery: str
    task: str
    args: list[Any]


#: The columns a claim writes (the rest keep their defaults).
_COLUMNS = ("kind", "delivery", "task", "payload", "payload_bytes", "state", "attempts", "created_at",
            "sent_at")


def delivery_digest(delivery: str) -> str:
    """The stored form of a delivery identity (fixed length, whatever the sender sent)."""
    return hashlib.sha256(delivery.encode("utf-8", "replace")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _entry(row: OutboxRow) -> OutboxEntry:
    args = json.loads(row.payload)
    return OutboxEntry(id=row.id, kind=row.kind, task=row.task, args=list(args), attempts=row.attempts)


class Outbox:
    """Outbox operations on one store."""

    def __init__(self, store: Store, *, max_rows: int = MAX_PENDING_ROWS,
                 max_bytes: int = MAX_PENDING_BYTES) -> None:
        self._store = store
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        table = OutboxRow.__table__
        # Built once: the receiver runs this INSERT for every delivery, and building an ORM statement
        # (values coerced, cache key computed) cost more than the INSERT itself.
        self._claim = (store.insert(table)
                       .on_conflict_do_nothing(index_elements=["kind", "delivery"])
                       .returning(table.c.id))
        self._claim_sql: str | None = None
        if store.dialect == "postgresql":  # psycopg's %(name)s parameters, the columns accept() gives
            compiled = self._claim.compile(dialect=store.engine.dialect, column_keys=list(_COLUMNS))
            self._claim_sql = str(compiled)
        self._guard = threading.Lock()
        self._usage: OutboxUsage | None = None
        self._read_at = 0.0

    def usage(self) -> OutboxUsage:
        """How many pending rows there are, and the bytes of their payloads."""
        with self._store.session() as s:
            rows, size = s.execute(select(func.count(OutboxRow.id),
                                          func.coalesce(func.sum(OutboxRow.payload_bytes), 0))
                                   .where(OutboxRow.state == PENDING)).one()
            usage = OutboxUsage(rows=int(rows), bytes=int(size))
        with self._guard:
            self._usage, self._read_at = usage, time.monotonic()
        return usage

    def _admitted(self, usage: OutboxUsage, sizes: Sequence[int]) -> list[bool]:
        """Which of these payloads fit under the caps, taken in order on top of `usage`."""
        rows, used = usage.rows, usage.bytes
        admitted = []
        for size in sizes:
            fits = rows + 1 <= self.max_rows and used + size <= self.max_bytes
            if fits:
                rows, used = rows + 1, used + size
            admitted.append(fits)
        return admitted

    def _admit(self, sizes: Sequence[int]) -> tuple[list[bool], OutboxUsage | None]:
        """Which payloads fit, and the usage that was read fresh to refuse the others (None: all fit)."""
        with self._guard:
            known, now = self._usage, time.monotonic()
            stale = now - self._read_at >= USAGE_TTL
            if stale:
                self._read_at = now  # this thread reads it again; the others trust what is known meanwhile
        if known is not None and not stale and all(self._admitted(known, sizes)):
            return [True] * len(sizes), None
        usage = self.usage()  # stale, unknown or full as last known: read it before refusing
        admitted = self._admitted(usage, sizes)
        return admitted, None if all(admitted) else usage

    def _took(self, size: int) -> None:
        with self._guard:
            if self._usage is not None:
                self._usage = OutboxUsage(rows=self._usage.rows + 1, bytes=self._usage.bytes + size)

    def _insert(self, rows: list[dict[str, Any]]) -> list[int | None]:
        """The claim INSERTs, in order; each one's row id, or None when its (kind, delivery) key is taken
        (by an earlier row or an earlier claim of the same batch).

        On PostgreSQL they are pipelined on a pooled driver connection in autocommit: one round trip, one
        implicit transaction up to the pipeline's end, prepared once per connection. SQLAlchemy's execution
        layer cost more CPU than an INSERT itself. SQLite runs them in the store's IMMEDIATE transaction.
        """
        if not rows:
            return []
        # In key order, the same in every receiver: two batches that claim some of the same deliveries
        # then wait on each other's keys in the same order, instead of deadlocking.
        order = sorted(range(len(rows)), key=lambda n: (rows[n]["kind"], rows[n]["delivery"]))
        ids = self._insert_ordered([rows[n] for n in order])
        claimed: list[int | None] = [None] * len(rows)
        for n, row_id in zip(order, ids, strict=True):
            claimed[n] = row_id
        return claimed

    def _insert_ordered(self, rows: list[dict[str, Any]]) -> list[int | None]:
        if self._claim_sql is None:
            with self._store.engine.begin() as conn:
                claimed = [conn.execute(self._claim, values).scalar() for values in rows]
            return [None if value is None else int(value) for value in claimed]
        raw = self._store.engine.raw_connection()
        driver: Any = raw.driver_connection
        try:
            driver.autocommit = True
            try:
                with driver.cursor() as cursor:
                    if len(rows) == 1:  # a pipeline costs twice the CPU of a plain execute for one row
                        found = [cursor.execute(self._claim_sql, rows[0]).fetchone()]
                    else:
                        cursor.executemany(self._claim_sql, rows, returning=True)
                        found = [cursor.fetchone()]
                        while cursor.nextset():
                            found.append(cursor.fetchone())
                    ids = [None if row is None else int(row[0]) for row in found]
            finally:
                if not driver.broken:
                    driver.autocommit = False  # back to the pool as the store's sessions expect it
        except BaseException:
            if driver.broken:
                raw.invalidate()  # the pool would otherwise hand the dead connection out again
            raise
        finally:
            raw.close()
        return ids

    def _revive(self, kind: str, digest: str, values: dict[str, Any]) -> int | None:
        """A retry of a delivery that failed for good is a new try: its row is pending again."""
        with self._store.engine.begin() as conn:
            revived = conn.execute(
                update(OutboxRow)
                .where(OutboxRow.kind == kind, OutboxRow.delivery == digest, OutboxRow.state == FAILED)
                .values(state=PENDING, attempts=0, last_error=None, created_at=values["created_at"],
                        sent_at=values["sent_at"], finished_at=None, task=values["task"],
                        payload=values["payload"], payload_bytes=values["payload_bytes"])
                .returning(OutboxRow.id)
            ).scalar()
        return None if revived is None else int(revived)

    def accept(self, kind: str, delivery: str, *, task: str, args: list[Any],
               now: datetime | None = None) -> int | None:
        """Record a delivery; its row id, or None when the same delivery is already accepted.

        Raises OutboxFull when the pending rows are at their cap (a duplicate is still answered None).
        """
        (result,) = self.accept_many([Claim(kind=kind, delivery=delivery, task=task, args=args)], now=now)
        if isinstance(result, OutboxFull):
            raise result
        return result

    def accept_many(self, claims: Sequence[Claim], *,
                    now: datetime | None = None) -> list[int | OutboxFull | None]:
        """Record deliveries together; for each, in order, its row id, None when that delivery is already
        accepted (before, or earlier in `claims`), or OutboxFull when the caps refuse it (a duplicate is
        still None). A store error raises, and then none of them was accepted."""
        now = now or _now()
        # sent_at is set now: the receiver publishes right after this returns, and the sweep counts its
        # grace period from here whether or not that publish got through (one write per delivery).
        rows = [self._row(claim, now) for claim in claims]
        results: list[int | OutboxFull | None] = [None] * len(claims)
        waiting = list(range(len(claims)))
        for last in (False, True):
            # Room is held for every claim that fits before the INSERTs tell which are duplicates, so a
            # claim refused beside a duplicate gets one more try at the room the duplicate did not take.
            admitted, full = self._admit([rows[n]["payload_bytes"] for n in waiting])
            taken = [n for n, fits in zip(waiting, admitted, strict=True) if fits]
            for n, claimed in zip(taken, self._insert([rows[n] for n in taken]), strict=True):
                if claimed is None:  # seen before: a duplicate, unless that delivery failed for good
                    claimed = self._revive(claims[n].kind, rows[n]["delivery"], rows[n])
                if claimed is not None:
                    self._took(rows[n]["payload_bytes"])
                results[n] = claimed
            waiting = [n for n, fits in zip(waiting, admitted, strict=True) if not fits]
            if not waiting:
                break
            if not last and any(results[n] is None for n in taken):
                continue
            for n in waiting:
                refused = OutboxFull(f"the outbox holds {full.rows} pending rows, {full.bytes} bytes"
                                     if full else "the outbox is full")
                results[n] = None if self.seen(claims[n].kind, rows[n]["delivery"]) else refused
            break
        return results

    @staticmethod
    def _row(claim: Claim, now: datetime) -> dict[str, Any]:
        payload = json.dumps(claim.args)
        return {"kind": claim.kind, "delivery": delivery_digest(claim.delivery), "task": claim.task,
                "payload": payload, "payload_bytes": len(payload.encode("utf-8")), "state": PENDING,
                "attempts": 0, "created_at": now, "sent_at": now}

    def seen(self, kind: str, digest: str) -> bool:
        """Whether this delivery's row exists and has not failed (a duplicate)."""
        with self._store.session() as s:
            state = s.execute(select(OutboxRow.state)
                              .where(OutboxRow.kind == kind, OutboxRow.delivery == digest)).scalar()
            return state is not None and state != FAILED

    def pending(self, entry_id: int) -> OutboxEntry | None:
        """The row as the receiver wrote it, while its task has not finished; None once done or gone."""
        with self._store.reading() as s:
            row = s.get(OutboxRow, entry_id)
            return _entry(row) if row is not None and row.state == PENDING else None

    def mark_sent(self, entry_id: int, *, now: datetime | None = None) -> None:
        """The task was published once more."""
        with self._store.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == entry_id)
                      .values(sent_at=now or _now(), attempts=OutboxRow.attempts + 1))

    def finish(self, entry_id: int, *, now: datetime | None = None) -> None:
        """The task did its work: never re-drive this row again."""
        with self._store.one_statement() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == entry_id, OutboxRow.state != DONE)
                      .values(state=DONE, finished_at=now or _now(), last_error=None, payload=EMPTIED,
                              payload_bytes=0))

    def fail(self, entry_id: int, reason: str, *, now: datetime | None = None) -> None:
        """The task can never succeed (bad document, refused source): give the dedupe key back."""
        with self._store.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == entry_id, OutboxRow.state == PENDING)
                      .values(state=FAILED, finished_at=now or _now(), last_error=reason[:500],
                              payload=EMPTIED, payload_bytes=0))

    def state(self, entry_id: int) -> str | None:
        with self._store.reading() as s:
            value = s.execute(select(OutboxRow.state).where(OutboxRow.id == entry_id)).scalar()
            return str(value) if value is not None else None

    def unfinished(self, *, older_than: timedelta, now: datetime | None = None,
                   limit: int = 500) -> list[OutboxEntry]:
        """Pending rows last published more than `older_than` ago (or never): the sweep re-drives them."""
        cutoff = (now or _now()) - older_than
        with self._store.session() as s:
            rows = s.scalars(
                select(OutboxRow)
                .where(OutboxRow.state == PENDING,
                       or_(OutboxRow.sent_at.is_(None), OutboxRow.sent_at < cutoff),
                       OutboxRow.created_at < cutoff)
                .order_by(OutboxRow.id).limit(limit)
            )
            return [_entry(row) for row in rows]

    def purge(self, *, older_than: timedelta, now: datetime | None = None) -> int:
        """Forget finished rows older than the dedupe window; returns how many went."""
        cutoff = (now or _now()) - older_than
        with self._store.session() as s:
            result = s.execute(delete(OutboxRow).where(OutboxRow.state != PENDING,
                                                       OutboxRow.created_at < cutoff))
            return int(getattr(result, "rowcount", 0) or 0)
