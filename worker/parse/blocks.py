"""The intermediate block model every format front-end produces and the extractor reads."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Text:
    """Plain text of one block or cell, with the structured facts markup carried alongside it."""

    text: str
    mentions: list[str] = field(default_factory=list)  # resolved @handles, names or account ids
    dates: list[str] = field(default_factory=list)  # ISO dates from <time datetime=..> and the like
    refs: list[str] = field(default_factory=list)  # ticket keys / issue URLs named by markup
    checked: bool | None = None  # a checkbox inside the text (table cells, storage task lists)
    struck_chars: int = 0  # characters inside strikethrough markup (~~…~~, <s>, <del>, -…- in Jira)

    @property
    def struck(self) -> bool:
        """Mostly struck through: an entry someone crossed out, not an action."""
        visible = len("".join(self.text.split()))
        return visible > 0 and self.struck_chars >= 0.6 * visible

    def extend(self, other: Text) -> None:
        """Absorb another text's facts (the text itself is joined by the caller)."""
        self.mentions.extend(other.mentions)
        self.dates.extend(other.dates)
        self.refs.extend(other.refs)
        self.struck_chars += other.struck_chars
        if other.checked is not None:
            self.checked = bool(self.checked) or other.checked


@dataclass(slots=True)
class Heading:
    level: int
    content: Text


@dataclass(slots=True)
class Paragraph:
    content: Text
    note: bool = False  # an aside, callout, info panel or wholly emphasised template hint
    in_run: bool = False  # one line of several consecutive lines (plain-text style lists)


@dataclass(slots=True)
class ListItem:
    content: Text
    depth: int = 0
    ordered: bool = False
    checked: bool | None = None  # None: no checkbox


@dataclass(slots=True)
class Table:
    header: list[Text]
    rows: list[list[Text]]


Block = Heading | Paragraph | ListItem | Table
