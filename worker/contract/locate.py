"""Find each parsed item's line in the raw text, and the lines under an action heading no item came from.

An item's normalised title (the fingerprint's normal form) is looked for in each list entry and table row;
a table row is preferred to a list entry (the table holds the item's fields), and an entry under an action
heading to one elsewhere. The same title on two lines is a duplicate the parser merged. An entry under an
action heading that matches no item is either a won't-do item (skipped on purpose) or a line that looks
like an action but was not taken: both are shown in the preview so a person can check them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from worker.contract.lines import Dialect, Line, Shape, cells, split_lines
from worker.models import ActionItem
from worker.parse import normalise_action
from worker.parse.sections import Kind, classify_heading
from worker.parse.status import inline_status, is_dropped_status

#: An entry needs this many words to look like an action someone meant (not "TBD", not a category).
_MIN_WORDS = 3
_FIELD_LINE = re.compile(r"^\W{0,6}(?:owner|due|priority|status|type|kind|assignee|ticket)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Located:
    #: fingerprint -> the indexes of the lines it was found on, the one to write to first.
    places: dict[str, tuple[int, ...]]
    #: Entries under an action heading marked won't do / duplicate of.
    dropped: tuple[str, ...] = ()
    #: Entries under an action heading that match no item.
    untaken: tuple[str, ...] = ()
    #: fingerprint -> on how many lines under an action heading it is written.
    copies: dict[str, int] | None = None

    def line_of(self, fingerprint: str) -> int | None:
        found = self.places.get(fingerprint)
        return found[0] if found else None

    def merged(self, fingerprint: str) -> int:
        """On how many action-section lines the item is written (more than one: duplicates merged)."""
        return (self.copies or {}).get(fingerprint, 0)


def _sections(lines: Sequence[Line]) -> list[bool]:
    """Per line: whether it sits under a heading that means action items."""
    under = False
    out = []
    for line in lines:
        if line.shape is Shape.HEADING:
            kind = classify_heading(line.heading)
            under = kind is Kind.ACTION or (under and kind is Kind.NEUTRAL and line.heading == "")
        out.append(under)
    return out


_WIKI_MACRO = re.compile(r"\{[A-Za-z]{1,30}(?::[^{}\n]{0,200})?\}")


def _text(line: Line, dialect: Dialect) -> str:
    text = " ".join(cells(line.body, dialect)) if line.shape is Shape.ROW else line.body
    # Jira's inline macros ({color:red}...{color}) are markup the parser does not keep in a title.
    return _WIKI_MACRO.sub(" ", text) if dialect is Dialect.WIKI else text


def _padded(text: str) -> str:
    return f" {normalise_action(text)} "


def locate(text: str, items: Sequence[ActionItem], dialect: Dialect) -> Located:
    """Where each item is written, and the action-section entries that became no item."""
    lines = split_lines(text, dialect)
    actions = _sections(lines)
    candidates = [line for line in lines if line.shape in (Shape.ITEM, Shape.ROW)]
    normal = {line.index: _padded(_text(line, dialect)) for line in candidates}
    places: dict[str, tuple[int, ...]] = {}
    copies: dict[str, int] = {}
    used: set[int] = set()
    for item in items:
        key = _padded(item.title)
        if key.strip() == "":
            continue
        found = [line for line in candidates if key in normal[line.index]]
        found.sort(key=lambda line: (not actions[line.index], line.shape is not Shape.ROW, line.index))
        if found:
            places[item.fingerprint] = tuple(line.index for line in found)
            copies[item.fingerprint] = sum(1 for line in found if actions[line.index])
            used.update(line.index for line in found)
    dropped: list[str] = []
    untaken: list[str] = []
    for line in candidates:
        if line.index in used or not actions[line.index] or line.indent > 0:
            continue
        shown = _text(line, dialect).strip()
        if len(normalise_action(shown).split()) < _MIN_WORDS or _FIELD_LINE.match(shown):
            continue
        if _is_dropped(line, dialect):
            dropped.append(shown)
        else:
            untaken.append(shown)
    return Located(places, tuple(dropped), tuple(untaken), copies)


def _is_dropped(line: Line, dialect: Dialect) -> bool:
    if line.shape is Shape.ROW:
        return any(is_dropped_status(cell) for cell in cells(line.body, dialect))
    return inline_status(" ".join(line.body.split())).dropped
