"""One field of an item from a table cell or a field line: a table of handlers, one per column role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from config.kinds import document_kind as normalise_kind
from worker.models import ActionItem
from worker.parse.blocks import Text
from worker.parse.dates import parse_date
from worker.parse.empty import is_empty_value
from worker.parse.fields import MAX_FIELD_TEXT, Role
from worker.parse.item import (
    Items,
)
from worker.parse.patterns import lazy
from worker.parse.refs import find_ref
from worker.parse.status import is_done_status

_TRAILING_STATUS = lazy(
    r"^(.{0,200}?)\s?\b(DONE|TODO|OPEN|CLOSED|FIXED|COMPLETED?|IN PROGRESS|WONTFIX|WON'T FIX)\s?$"
)


def apply_value(
    found: Items, index: int, role: Role, cell: Text, *, lang: str, base: date | None, override: bool
) -> None:
    """Set one field of an item from a table cell or a field line."""
    changes = value_changes(found.items[index], {}, role, cell, lang=lang, base=base, override=override)
    if changes:
        found.update(index, **changes)


@dataclass(slots=True)
class _Cell:
    """What one handler reads: the item, the changes so far, the cell and how dates are read."""

    item: ActionItem
    changes: dict[str, object]
    cell: Text
    value: str  # the cell's text on one line
    lang: str
    base: date | None
    override: bool  # a table column decides its field even when the cell is empty

    def current(self, name: str) -> object:
        """A field's value: an earlier change of this row first, else the item's own."""
        return self.changes[name] if name in self.changes else getattr(self.item, name)


def value_changes(
    item: ActionItem,
    changes: dict[str, object],
    role: Role,
    cell: Text,
    *,
    lang: str,
    base: date | None,
    override: bool,
) -> dict[str, object]:
    """`changes` updated with the field a cell sets (reading earlier changes before the item's own values)."""
    handler = _HANDLERS.get(role)
    if handler is not None:
        value = " ".join(cell.text[:MAX_FIELD_TEXT].split())
        handler(_Cell(item, changes, cell, value, lang, base, override))
    return changes


def _owner(c: _Cell) -> None:
    # First line only: "Cy Diaz<br>backup: Dee" names one owner and a note.
    owner = c.cell.mentions[0] if c.cell.mentions else " ".join(c.cell.text.split("\n")[0].split())[:200]
    if owner and not is_empty_value(owner):
        c.changes["owner"] = owner


def _due(c: _Cell) -> None:
    when = c.cell.dates[0] if c.cell.dates else c.value
    due = parse_date(when[:200], lang=c.lang, base=c.base)
    if due is not None or c.override:
        c.changes["due"] = due or (c.current("due") if not is_empty_value(c.value) else None)


def _priority(c: _Cell) -> None:
    if c.value and not is_empty_value(c.value):
        c.changes["priority"] = c.value[:60]


def _kind(c: _Cell) -> None:
    if c.value and not is_empty_value(c.value):
        c.changes["kind"], c.changes["kind_raw"] = normalise_kind(c.value), c.value[:60]


def _status(c: _Cell) -> None:
    c.changes["done"] = bool(c.current("done")) or is_done_status(c.value) or bool(c.cell.checked)


def _ref(c: _Cell) -> None:
    # Google's SRE template writes "Bug 5554823 **DONE**": the status rides in the reference cell.
    value = c.value
    status = _TRAILING_STATUS.match(value[:300])
    done = bool(c.current("done"))
    if status:
        value = status.group(1)
        done = done or is_done_status(status.group(2))
    ref = c.cell.refs[0] if c.cell.refs else find_ref(value)
    if not ref and value and any(ch.isdigit() for ch in value) and not is_empty_value(value):
        ref = value[:300]  # a column named Bug/Ticket holds a reference even in a tracker's own format
    c.changes["ref"] = ref or c.current("ref")
    c.changes["done"] = done


def _context(c: _Cell) -> None:
    if not c.current("ref") and c.cell.refs:
        c.changes["ref"] = c.cell.refs[0]


_HANDLERS: dict[Role, Callable[[_Cell], None]] = {
    Role.OWNER: _owner,
    Role.DUE: _due,
    Role.PRIORITY: _priority,
    Role.KIND: _kind,
    Role.STATUS: _status,
    Role.REF: _ref,
    Role.CONTEXT: _context,
}
