"""Plain-text front-end: bare-line headings, marker lists, numbered paragraphs, one-line statements."""

from __future__ import annotations

from worker.parse import budget
from worker.parse.blocks import Block, Heading, ListItem, Text
from worker.parse.lines import dangles, heading_text, is_diagram, line_blocks, split_statements
from worker.parse.patterns import lazy
from worker.parse.sections import SectionTracker
from worker.parse.text_tables import read_text_table

_LIST = lazy(r"^([ \t]{0,12})(?:([-*•·+▪◦‣–])|(\(?[0-9]{1,3}[.)])|(\(?[a-z][)]))[ \t]+(\S.*)$")
# "[x] Done thing" / "☐ Open thing" at the start of a line: a checkbox item even without a list marker.
_BOX_LINE = lazy(r"^([ \t]{0,12})((?:\[[ xX✓✔]\]|[☐☑☒✅⬜])[ \t]?\S.*)$")
_CHECKBOX = lazy(r"^(?:\[([ xX✓✔])\]|([☐☑☒✅⬜✓✔]))[ \t]*")


def checkbox(text: str) -> tuple[bool | None, str]:
    """Split a leading checkbox ("[x]", "☐") off list text: (checked or None, rest)."""
    match = _CHECKBOX.match(text)
    if not match:
        return None, text
    mark = match.group(1) if match.group(1) is not None else match.group(2)
    return mark not in (" ", "☐", "⬜"), text[match.end() :]


def parse_plain(text: str) -> list[Block]:
    """Parse plain text into blocks."""
    groups: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        budget.tick()
        if line.strip():
            current.append(line.rstrip())
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)

    blocks: list[Block] = []
    tracker = SectionTracker()
    level = 1
    last_was_heading = False

    def add_heading(title: str, *, colon: bool) -> None:
        nonlocal level, last_was_heading
        # A colon heading right under another heading is its sub-section ("Measures:" / "Fixes:").
        level = level + 1 if last_was_heading and colon else level
        blocks.append(Heading(level=level, content=Text(title)))
        tracker.push(level, title)
        last_was_heading = True

    for index, group in enumerate(groups):
        budget.tick()
        table = read_text_table(group)
        if table is not None:
            blocks.append(table)
            last_was_heading = False
            continue
        if is_diagram(group):
            continue
        first = group[0]
        title = heading_text(first, standalone=index > 0)
        starts_prose = len(group) > 1 and len(split_statements(group[:2])) == 2 and not _LIST.match(first)
        if (
            title
            and (len(group) == 1 or starts_prose)
            and (first.rstrip().endswith(":") or tracker.accepts_bare_heading(title))
        ):
            add_heading(title, colon=first.rstrip().endswith(":"))
            group = group[1:]
            if not group:
                continue
        new = _group_blocks(group, level=level)
        for block in new:
            if isinstance(block, Heading):
                level = block.level
                tracker.push(level, block.content.text)
        blocks.extend(new)
        last_was_heading = bool(new) and isinstance(new[-1], Heading)
    return blocks


def _group_blocks(group: list[str], *, level: int) -> list[Block]:
    """A group of consecutive lines: list items (with their continuation lines) and text runs."""
    blocks: list[Block] = []
    prose: list[str] = []
    item: tuple[int, bool, list[str]] | None = None  # (indent, ordered, lines)

    def flush_item() -> None:
        nonlocal item
        if item is not None:
            indent, ordered, item_lines = item
            checked, body = checkbox(" ".join(split_statements(item_lines)))
            blocks.append(ListItem(Text(body), depth=min(indent // 2, 6), ordered=ordered, checked=checked))
            item = None

    def flush_prose() -> None:
        if prose:
            blocks.extend(line_blocks(prose, level=level))
            prose.clear()

    for line in group:
        budget.tick()
        match = _LIST.match(line)
        box = None if match else _BOX_LINE.match(line)
        if match:
            flush_prose()
            flush_item()
            indent = len(match.group(1).expandtabs(4))
            item = (indent, match.group(2) is None, [match.group(5)])
        elif box:
            flush_prose()
            flush_item()
            item = (len(box.group(1).expandtabs(4)), False, [box.group(2)])
        elif item is not None and (
            line[:1] in " \t"
            or line.strip()[:1].islower()
            or line.strip()[:1] == "("
            or _open_paren(item[2])
            or dangles(item[2][-1])
        ):
            item[2].append(line)
        else:
            flush_item()
            prose.append(line)
    flush_item()
    flush_prose()
    return blocks


def _open_paren(lines: list[str]) -> bool:
    """Whether an item's text so far leaves a parenthesis open: "(owner: Ana," wraps onto the next line."""
    last = lines[-1]
    return last.rfind("(") > last.rfind(")")
