"""Source cursors: each document source's polling position, kept in the store between sweeps.

A cursor is the source's own JSON object (a Drive page token and channel, a CQL poll's last time). It is
written only after the poll it ends has been handed on, so a crash repeats a poll rather than skipping one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from worker.store.models import SourceCursorRow
from worker.store.store import Store


class Cursors:
    """Read and write source cursors in one store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, name: str) -> dict[str, Any]:
        """The cursor of source `name` ({} when it never polled)."""
        with self._store.session() as session:
            value = session.scalar(select(SourceCursorRow.value).where(SourceCursorRow.name == name))
        if value is None:
            return {}
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}

    def put(self, name: str, value: dict[str, Any], *, now: datetime | None = None) -> None:
        """Replace the cursor of source `name`."""
        now = now or datetime.now(UTC)
        text = json.dumps(value, sort_keys=True)
        with self._store.session() as session:
            row = session.get(SourceCursorRow, name)
            if row is None:
                session.add(SourceCursorRow(name=name, value=text, updated_at=now))
            else:
                row.value, row.updated_at = text, now
