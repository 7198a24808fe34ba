"""The corpus test's expectation records: an item's wanted fields and a document's."""

from __future__ import annotations

from dataclasses import dataclass, field

ANY = object()  # a field the document leaves open to interpretation: not checked


@dataclass(frozen=True)
class Want:
    title: str  # a substring of the title
    owner: object = None
    due: object = None
    priority: object = None
    kind: object = None
    done: bool = False


@dataclass(frozen=True)
class Doc:
    items: list[Want]
    owner: object = ANY
    team: object = ANY
    incident_date: object = ANY
    title: object = ANY  # a substring of the title
    extra: dict[str, object] = field(default_factory=dict)
