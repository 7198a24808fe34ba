"""Blocks to action items: which entries count, their titles and fields, and merging duplicates.

What counts:
- every list item, table row and one-statement line under a heading that means action items;
- rows of tables whose header names an action/task column, wherever they are (except in excluded sections
  and timelines);
- checkbox list items anywhere outside excluded sections;
- prose commitments under an action/prevention heading, one item per sentence: "We will ..." and
  "We are ..." (planned) and "We have ..." (done), titled by the action itself;
- numbered sub-headings under an action heading that are followed by field lines ("Owner: ...").
What does not: category lines ("Detect", "Prevent:") that group nested items (their word becomes the
items' kind), field lines ("Owner: ...", "Context: ...", which belong to the item above), items marked
won't do / duplicate, and "nothing to do" statements.
Paragraphs under an action heading that also has a list or table are introductions, not items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from worker.models import ActionItem
from worker.parse import budget
from worker.parse.blocks import Block, Heading, ListItem, Paragraph, Table, Text
from worker.parse.field_lines import field_line
from worker.parse.fields import MAX_FIELD_TEXT
from worker.parse.item import (
    MAX_DESCRIPTION,
    NUMBERING,
    Commitment,
    Items,
    Section,
    make_item,
)
from worker.parse.merge import merge_duplicates
from worker.parse.nothing import says_nothing_to_do
from worker.parse.placement import kind_word, place
from worker.parse.prose import find_commitments, paragraph_items
from worker.parse.sections import Kind
from worker.parse.tables import table_items
from worker.parse.values import apply_value


def extract_items(blocks: list[Block], *, lang: str, incident_date: date | None) -> list[ActionItem]:
    """All action items in the document, duplicates merged, in document order (without fingerprints)."""
    read: dict[str, list[Commitment]] = {}  # a paragraph's commitments, read once for placement and its items
    walk = _Walk(place(blocks, read), lang=lang, base=incident_date, read=read)
    for position, (block, section) in enumerate(walk.placed):
        budget.check()
        _HANDLERS[type(block)](walk, block, section, position)
    return merge_duplicates(walk.found)


class _Walk:
    """The state of one pass over the placed blocks: the items so far and what detail attaches to."""

    def __init__(
        self,
        placed: list[tuple[Block, Section]],
        *,
        lang: str,
        base: date | None,
        read: dict[str, list[Commitment]],
    ) -> None:
        self.placed = placed
        self.lang = lang
        self.base = base
        self.read = read
        self.found = Items()
        self.host: int | None = None  # the item that field lines and detail bullets attach to
        self.host_depth = -1
        self.groups: list[
            tuple[int, str | None]
        ] = []  # open category list items: depth, kind word as written

    def attach(self, content: Text) -> bool:
        return self.host is not None and _attach(
            self.found, self.host, content, lang=self.lang, base=self.base
        )


def _on_heading(walk: _Walk, block: Block, section: Section, position: int) -> None:
    assert isinstance(block, Heading)
    walk.host, walk.host_depth, walk.groups = None, -1, []
    if section.heading_item:
        walk.host = _heading_item(block, section, walk.found, lang=walk.lang, base=walk.base)


def _on_table(walk: _Walk, block: Block, section: Section, position: int) -> None:
    assert isinstance(block, Table)
    table_items(block, section, walk.found, lang=walk.lang, base=walk.base)
    walk.host, walk.host_depth = None, -1


def _on_list_item(walk: _Walk, block: Block, section: Section, position: int) -> None:
    assert isinstance(block, ListItem)
    while walk.groups and walk.groups[-1][0] >= block.depth:
        walk.groups.pop()
    if (block.depth > walk.host_depth or section.heading_item) and walk.attach(block.content):
        return
    if _is_group(block, walk.placed, position):
        walk.groups.append((block.depth, kind_word(block.content.text)))
        walk.host, walk.host_depth = None, -1
        return
    category = next((raw for _, raw in reversed(walk.groups) if raw), None)
    if category:
        section = replace(section, category=category)
    index = _list_item(block, section, walk.found, lang=walk.lang, base=walk.base)
    if index is not None:
        walk.host, walk.host_depth = index, block.depth


def _on_paragraph(walk: _Walk, block: Block, section: Section, position: int) -> None:
    assert isinstance(block, Paragraph)
    if walk.attach(block.content):
        return
    if section.heading_item and walk.host is not None and section.kind is Kind.ACTION:
        describe(walk.found, walk.host, block.content.text)
        return
    added = paragraph_items(block, section, walk.found, lang=walk.lang, base=walk.base, read=walk.read)
    walk.host = added
    walk.host_depth = 99 if added is not None else -1


_HANDLERS: dict[type, Callable[[_Walk, Block, Section, int], None]] = {
    Heading: _on_heading,
    Table: _on_table,
    ListItem: _on_list_item,
    Paragraph: _on_paragraph,
}


# --- heading items and attached detail --------------------------------------------------------------------
def _heading_item(
    block: Heading, section: Section, found: Items, *, lang: str, base: date | None
) -> int | None:
    text = NUMBERING.sub("", block.content.text.strip(), count=1)
    item = make_item(Text(text, refs=list(block.content.refs)), section, lang=lang, base=base)
    if item is None:
        return None
    return found.add(item)


def _attach(found: Items, host: int, content: Text, *, lang: str, base: date | None) -> bool:
    """Apply field lines ("Owner: Ana", "Context: ...") to the item above; False when they are not fields."""
    lines = [line for line in content.text.split("\n") if line.strip()]
    parsed = [field_line(line) for line in lines[:20]]
    if not lines or any(p is None for p in parsed):
        return False
    for (role, value), line in zip(parsed, lines, strict=False):  # type: ignore[misc]
        if role is None:
            describe(found, host, line)
            continue
        apply_value(
            found,
            host,
            role,
            Text(value, mentions=content.mentions, refs=content.refs, dates=content.dates),
            lang=lang,
            base=base,
            override=False,
        )
        describe(found, host, line)
    return True


def describe(found: Items, host: int, text: str) -> None:
    item = found.items[host]
    description = f"{item.description or item.title}\n{text}"
    found.update(host, description=description[:MAX_DESCRIPTION])


def _is_group(block: ListItem, placed: list[tuple[Block, Section]], position: int) -> bool:
    """A list item that only labels its nested items ("Detect", "Database:"): not an action itself."""
    children = []
    for next_block, _ in placed[position + 1 : position + 200]:
        if not isinstance(next_block, ListItem) or next_block.depth <= block.depth:
            break
        children.append(next_block)
    if not children:
        return False
    text = block.content.text.strip()
    if text.endswith(":") or kind_word(text) is not None:
        return True
    boxed_children = any(child.checked is not None for child in children)
    return block.checked is None and boxed_children and len(text.split()) <= 4


# --- lists --------------------------------------------------------------------------------------------
def _list_item(
    block: ListItem, section: Section, found: Items, *, lang: str, base: date | None
) -> int | None:
    counts = section.kind is Kind.ACTION or (block.checked is not None and section.kind is not Kind.EXCLUDED)
    if not counts:
        return None
    text = block.content.text[:MAX_FIELD_TEXT]
    if says_nothing_to_do(text):
        return None
    commitments = find_commitments(text) if section.kind is Kind.ACTION else []
    if len(commitments) > 1 and section.kind is Kind.ACTION and "\n" not in text.strip():
        commitments = commitments[:1]
    commitment = commitments[0] if commitments else None
    item = make_item(block.content, section, lang=lang, base=base, commitment=commitment)
    if item is None:
        return None
    if block.checked:
        item = replace(item, done=True)
    return found.add(item)
