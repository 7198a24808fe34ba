"""The webhook outbox: what the receiver accepted, kept in the store until its task has finished.

A row is written before the receiver answers 202, so an accepted delivery survives a broker that loses
the message, a receiver that dies before publishing, and an ingest that fails for a while. Its unique
(kind, delivery) key is also the webhook dedupe: only a durably accepted delivery claims it, and a row
that failed for good gives the key back, so the sender's next retry goes through.

A row keeps its task's arguments (an inline document included) only while it is pending: once the task
finished or failed, the payload is emptied and the row is just the dedupe key until it is purged. Rows
holding content are capped in number and bytes (`OutboxFull`: the receiver answers 503 and the sender
retries later), so a flood of signed deliveries cannot fill the database.
"""

from __future__ import annotations

import hashlib
import json
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

    def usage(self) -> OutboxUsage:
        """How many pending rows there are, and the bytes of their payloads."""
        with self._store.session() as s:
            rows, size = s.execute(select(func.count(OutboxRow.id),
                                          func.coalesce(func.sum(OutboxRow.payload_bytes), 0))
                                   .where(OutboxRow.state == PENDING)).one()
            return OutboxUsage(rows=int(rows), bytes=int(size))

    def _check_room(self, payload: str) -> None:
        usage = self.usage()
        if usage.rows + 1 > self.max_rows or usage.bytes + len(payload.encode("utf-8")) > self.max_bytes:
            raise OutboxFull(f"the outbox holds {usage.rows} pending rows, {usage.bytes} bytes")

    def accept(self, kind: str, delivery: str, *, task: str, args: list[Any],
               now: datetime | None = None) -> int | None:
        """Record a delivery; its row id, or None when the same delivery is already accepted.

        Raises OutboxFull when the pending rows are at their cap (a duplicate is still answered None).
        """
        now = now or _now()
        digest = delivery_digest(delivery)
        if self.seen(kind, digest):
            return None
        payload = json.dumps(args)
        self._check_room(payload)
        # sent_at is set now: the receiver publishes right after this returns, and the sweep counts its
        # grace period from here whether or not that publish got through (one write per delivery).
        values = {"kind": kind, "delivery": digest, "task": task, "payload": payload,
                  "payload_bytes": len(payload.encode("utf-8")),
                  "state": PENDING, "attempts": 0, "created_at": now, "sent_at": now}
        with self._store.engine.begin() as conn:
            inserted = conn.execute(self._claim, values).scalar()
            if inserted is not None:
                return int(inserted)
            # Seen before: a duplicate, unless that delivery failed for good; then this retry is a new try.
            revived = conn.execute(
                update(OutboxRow)
                .where(OutboxRow.kind == kind, OutboxRow.delivery == digest, OutboxRow.state == FAILED)
                .values(state=PENDING, attempts=0, last_error=None, created_at=now, sent_at=now,
                        finished_at=None, task=task, payload=payload, payload_bytes=values["payload_bytes"])
                .returning(OutboxRow.id)
            ).scalar()
            return int(revived) if revived is not None else None

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
