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
from worker.parse.prose import read_commitments
from worker.parse.sections import Kind, classify_heading, effective_kind


def kind_word(text: str) -> str | None:
    """The kind word of a category line ("Detect", "Prévention:"), as written, or None."""
    stripped = word_core(text[:100])
    return stripped if is_kind_label(stripped) else None


def place(blocks: list[Block], read: dict[str, list[Commitment]]) -> list[tuple[Block, Section]]:
    """Pair every block with the section it sits in, and note which sections have lists or tables."""
    stack: list[Section] = []
    top = Section(title=None, kind=Kind.NEUTRAL, level=0)
    placed: list[tuple[Block, Section]] = []
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            while stack and stack[-1].level >= block.level:
                stack.pop()
            parent = stack[-1] if stack else None
            title = clean(block.content.text[:1000])
            own = classify_heading(title)
            raw_kind = kind_word(title)
            section = Section(
                title=title,
                kind=effective_kind(own, parent.kind if parent else Kind.NEUTRAL),
                level=block.level,
                category=parent.category if parent else None,
            )
            if raw_kind and parent is not None and parent.kind is Kind.ACTION:
                section.category = raw_kind
                section.kind = Kind.ACTION  # "### Detect" under "## Action items" is a category, not a title
                section.title = parent.title
            elif (
                parent is not None
                and parent.kind is Kind.ACTION
                and own is not Kind.EXCLUDED
                and _heads_an_item(title, blocks, index)
            ):
                section.kind = Kind.ACTION
                section.heading_item = True
                section.title = parent.title
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
