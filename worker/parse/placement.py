"""Pair every block with the section it sits in: action, neutral or excluded, category and shape."""

from __future__ import annotations

from config.kinds import is_kind_label
from worker.parse.blocks import Block, Heading, ListItem, Paragraph, Table
from worker.parse.empty import word_core
from worker.parse.field_lines import field_line
from worker.parse.fields import MAX_FIELD_TEXT
from worker.parse.item import (
    NUMBERING,
    Commitment,
    Section,
    clean,
)
from worker.parse.patterns import lazy
from worker.parse.prose import read_commitments
from worker.parse.sections import Kind, classify_heading, effective_kind, fold


def kind_word(text: str) -> str | None:
    """The kind word of a category line ("Detect", "Prévention:"), as written, or None."""
    stripped = word_core(text[:100])
    return stripped if is_kind_label(stripped) else None


def place(blocks: list[Block], read: dict[str, list[Commitment]]) -> list[tuple[Block, Section]]:
    """Pair every block with the section it sits in, and note which sections have lists or tables."""
    stack: list[Section] = []
    top = Section(title=None, kind=Kind.NEUTRAL, level=0)
    placed: list[tuple[Block, Section]] = []
    # The first heading is the document's title when more headings follow (it names the incident).
    title_seen = sum(1 for block in blocks if isinstance(block, Heading)) < 2
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            while stack and stack[-1].level >= block.level:
                stack.pop()
            section = _section(block, stack[-1] if stack else None, blocks, index, is_title=not title_seen)
            title_seen = True
            stack.append(section)
            placed.append((block, section))
            continue
        current = stack[-1] if stack else top
        if isinstance(block, ListItem | Table):
            current.structured = True
        elif isinstance(block, Paragraph) and read_commitments(block.content.text[:MAX_FIELD_TEXT], read):
            current.committed = True
        placed.append((block, current))
    return placed


def _section(
    block: Heading, parent: Section | None, blocks: list[Block], index: int, *, is_title: bool
) -> Section:
    """The section a heading opens, given the one it sits in."""
    title = clean(block.content.text[:1000])
    own = _own_kind(title, is_title=is_title and block.level == 1)
    raw_kind = kind_word(title)
    section = Section(
        title=title,
        kind=effective_kind(own, parent.kind if parent else Kind.NEUTRAL),
        level=block.level,
        category=parent.category if parent else None,
    )
    if parent is None or parent.kind is not Kind.ACTION:
        return section
    if raw_kind:
        section.category = raw_kind
        section.kind = Kind.ACTION  # "### Detect" under "## Action items" is a category, not a title
        section.title = parent.title
    elif own is not Kind.EXCLUDED and _heads_an_item(title, blocks, index):
        section.kind = Kind.ACTION
        section.heading_item = True
        section.title = parent.title
    return section


def _own_kind(title: str, *, is_title: bool) -> Kind:
    """A heading's own kind. The document's title names the incident: a word with a second meaning in it
    ("Suivi des colis", parcel tracking) must not make the whole page an action section, so a title of
    more than three words is neutral unless it is only about actions ("Action items for the outage")."""
    own = classify_heading(title)
    if is_title and own is Kind.ACTION and len(title.split()) > 3 and not _ACTION_TITLE.match(fold(title)):
        return Kind.NEUTRAL
    return own


_ACTION_TITLE = lazy(r"^(?:action items?|actions?|follow ?ups?|next steps|tasks|todos?|to dos?)\b")


def _heads_an_item(title: str, blocks: list[Block], index: int) -> bool:
    """A sub-heading under an action heading is an action when field lines follow it (or it is numbered)."""
    if classify_heading(title) is Kind.ACTION and not NUMBERING.match(title):
        return False
    for block in blocks[index + 1 : index + 12]:
        if isinstance(block, Heading):
            break
        if isinstance(block, Paragraph | ListItem):
            for line in block.content.text.split("\n")[:6]:
                if field_line(line) is not None:
                    return True
    return False
