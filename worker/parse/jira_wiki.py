"""Jira wiki markup front-end: h1.-h6., ||head|| / |cell| tables, * and # lists, [~mentions], {panels}."""

from __future__ import annotations

import re

from worker.parse import budget
from worker.parse.blocks import Block, Heading, ListItem, Paragraph, Table, Text
from worker.parse.lines import line_blocks
from worker.parse.patterns import lazy
from worker.parse.plaintext import checkbox
from worker.parse.refs import is_issue_url

_HEADING = lazy(r"^\s{0,3}h([1-6])\.\s+(.*)$")
_LIST = lazy(r"^\s{0,3}([*#-]{1,6})\s+(.*)$")
_BLOCKQUOTE = lazy(r"^\s{0,3}bq\.\s+(.*)$")
_MACRO_OPEN = lazy(
    r"^\s*\{(code|noformat|panel|quote|info|note|tip|warning|expand)(?::([^}]{0,500}))?\}\s*$"
)
_TITLE_PARAM = lazy(r"(?:^|\|)title=([^|]{1,200})")
_MENTION = lazy(r"\[~(?:accountid:)?([^\]\n|]{1,200})\]")
_LINK = lazy(r"\[([^\]\[\n|]{0,500})\|([^\]\[\n]{1,2000})\]|\[((?:https?|mailto):[^\]\[\n]{1,2000})\]")
_EMOTICON = lazy(r"\((?:/|x|!|\?|y|n|i|on|off|\*[rgby]?|flag|flagoff)\)")
_COLOR = lazy(r"\{color(?::[^}]{0,50})?\}")
_MONO = lazy(r"\{\{(.{0,2000}?)\}\}")
_EMPHASIS = lazy(r"(?<![\w*_+^~?-])([*_+^~-]|\?\?)(\S(?:[^\n]{0,1000}?\S)?)\1(?![\w*_+^~?-])")
_IMAGE = lazy(r"![^!\s][^!\n]{0,500}!")
_CHECK_ICON = lazy(r"^\s*\((/|x|on|off)\)\s*")


def parse_jira(text: str) -> list[Block]:
    """Parse Jira wiki markup into blocks."""
    blocks: list[Block] = []
    prose: list[str] = []
    level = 0
    skip_until: str | None = None
    note = False

    def flush() -> None:
        if prose:
            rendered = [inline(line) for line in prose]
            # Only lines that carry facts need matching to their paragraph, and both come in document
            # order: one pass with a pointer (matching every line against every paragraph is quadratic).
            factual = [
                r for r in rendered if r.text and (r.mentions or r.dates or r.refs or r.checked is not None)
            ]
            position = 0
            for block in line_blocks([r.text for r in rendered], level=level + 1, note=note):
                # Facts of the source lines whose text ended up in this block (a heading has none).
                shown = block.content.text if isinstance(block, Paragraph | Heading) else ""
                while position < len(factual) and factual[position].text.rstrip(": ") in shown:
                    if isinstance(block, Paragraph):
                        block.content.extend(factual[position])
                    position += 1
                blocks.append(block)
            prose.clear()

    lines = text.split("\n")
    index = 0
    while index < len(lines):
        budget.tick()
        line = lines[index]
        index += 1
        if skip_until is not None:
            if line.strip().startswith("{" + skip_until):
                skip_until = None
            continue
        macro = _MACRO_OPEN.match(line)
        if macro:
            flush()
            skip_until, note, title = _open_macro(macro, note)
            if title:
                blocks.append(Heading(level=level + 1, content=inline(title)))  # a container's title
            continue
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = int(heading.group(1))
            blocks.append(Heading(level=level, content=inline(heading.group(2))))
            continue
        if stripped.startswith("|"):
            flush()
            rows = [stripped]
            while index < len(lines) and lines[index].strip().startswith("|"):
                rows.append(lines[index].strip())
                index += 1
            blocks.append(_table(rows))
            continue
        item = _LIST.match(line)
        if item and not (item.group(1).startswith("-") and len(item.group(1)) > 1):
            flush()
            marks = item.group(1)
            body = item.group(2)
            checked, body = _check(body)
            blocks.append(
                ListItem(inline(body), depth=len(marks) - 1, ordered=marks[-1] == "#", checked=checked)
            )
            continue
        quote = _BLOCKQUOTE.match(line)
        prose.append(quote.group(1) if quote else line)
    flush()
    return blocks


def _open_macro(macro: re.Match[str], note: bool) -> tuple[str | None, bool, str | None]:
    """A macro line: the code macro to skip to the end of, whether a callout is open, a container's title.

    {info}/{note}/{tip}/{warning} are callouts (notes, never items) and toggle: the same line opens and
    closes them. {panel} and {expand} are transparent containers; their title counts as a heading."""
    name = macro.group(1)
    if name in ("code", "noformat"):
        return name, note, None
    if name in ("info", "note", "tip", "warning"):
        return None, not note, None
    title = _TITLE_PARAM.search(macro.group(2) or "")
    return None, note, title.group(1).strip() if title else None


def _check(body: str) -> tuple[bool | None, str]:
    checked, rest = checkbox(body)
    if checked is not None:
        return checked, rest
    icon = _CHECK_ICON.match(body)
    if icon and icon.group(1) in ("/", "on"):
        return True, body[icon.end() :]
    return None, body


def _split_cells(row: str) -> tuple[list[str], bool]:
    """Split a table row on | and ||, honouring \\| escapes and [text|url] / [~user] brackets."""
    header = row.startswith("||")
    cells: list[str] = []
    current: list[str] = []
    depth = 0
    i = 0
    while i < len(row):
        char = row[i]
        if char == "\\" and i + 1 < len(row):
            current.append(row[i + 1])
            i += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        elif char == "|" and not depth:
            cells.append("".join(current))
            current = []
            i += 2 if row[i + 1 : i + 2] == "|" else 1
            continue
        current.append(char)
        i += 1
    cells.append("".join(current))
    # Leading and trailing delimiters leave empty strings at both ends.
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return cells, header


def _table(rows: list[str]) -> Table:
    header: list[Text] = []
    body: list[list[Text]] = []
    for row in rows:
        cells, is_header = _split_cells(row)
        texts = [inline(cell.replace("\\\\", "\n")) for cell in cells]
        if is_header and not header and not body:
            header = texts
        else:
            body.append(texts)
    return Table(header=header, rows=body)


def inline(raw: str) -> Text:
    """Plain text of a line of Jira markup, with mentions and issue links collected."""
    budget.tick()
    out = Text("")
    text = raw

    def mention(match: re.Match[str]) -> str:
        out.mentions.append(match.group(1).strip())
        return match.group(1).strip()

    def link(match: re.Match[str]) -> str:
        label, target, bare = match.group(1), match.group(2), match.group(3)
        url = (target or bare or "").strip()
        if is_issue_url(url) or (target and re.fullmatch(r"[A-Z][A-Z0-9_]{1,14}-[0-9]{1,8}", url)):
            out.refs.append(url)
        return (label or url or "").strip()

    text = _MENTION.sub(mention, text)
    text = _LINK.sub(link, text)
    text = _IMAGE.sub("", text)
    text = _COLOR.sub("", text)
    text = _MONO.sub(lambda m: m.group(1), text)
    if "(/)" in text:
        out.checked = True  # the green tick icon anywhere in the line: done
    text = _EMOTICON.sub("", text)
    for _ in range(3):  # nested emphasis (*_bold italic_*) unwraps one layer per pass
        text = _EMPHASIS.sub(lambda m: m.group(2), text)
    out.text = " ".join(text.split())
    return out
