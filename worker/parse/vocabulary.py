"""A team's own parsing words (config `parse:`): action-section words, column names per field, line markers.

The defaults cover five languages; a layout they miss is fixed in the team's YAML instead of in code. The
words in force for one parse are held in a context variable, set by `parse_document(vocabulary=...)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from config.kinds import fold

#: The fields a team may name columns for (the keys of `parse.columns`).
COLUMN_FIELDS = ("action", "owner", "due", "priority", "kind", "status", "ref")


class Rules(Protocol):
    """What config.teams.ParseRules provides (kept as a protocol so the parser does not load config)."""

    @property
    def action_sections(self) -> tuple[str, ...]: ...

    @property
    def columns(self) -> Mapping[Any, tuple[str, ...]]: ...  # field name ("owner") -> column names

    @property
    def markers(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Folded action-section words, folded column names -> field, and line markers as written."""

    action_sections: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)
    markers: tuple[str, ...] = ()

    @classmethod
    def from_rules(cls, rules: Rules | None) -> Vocabulary:
        if rules is None:
            return _EMPTY
        columns = {fold(name): role for role, names in rules.columns.items() for name in names if fold(name)}
        sections = tuple(folded for folded in (fold(word) for word in rules.action_sections) if folded)
        markers = tuple(marker.strip() for marker in rules.markers if marker.strip())
        return cls(action_sections=sections, columns=columns, markers=markers)

    def names_action_section(self, folded_heading: str) -> bool:
        padded = f" {folded_heading} "
        return any(f" {word} " in padded for word in self.action_sections)


_EMPTY = Vocabulary()
_CURRENT: ContextVar[Vocabulary] = ContextVar("followthrough_parse_vocabulary", default=_EMPTY)


def current() -> Vocabulary:
    """The team's words in force for this parse (none outside `using`)."""
    return _CURRENT.get()


@contextmanager
def using(vocabulary: Vocabulary) -> Iterator[Vocabulary]:
    token = _CURRENT.set(vocabulary)
    try:
        yield vocabulary
    finally:
        _CURRENT.reset(token)
