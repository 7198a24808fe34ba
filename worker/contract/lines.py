"""The raw text of a postmortem as lines: which are headings, list entries and table rows, and their cells.

Write-back edits one line in place, so everything here works on the text as stored (line endings kept)
and never on a re-rendered document. Markdown and Jira wiki are the two dialects; the difference is the
heading and table syntax and that Jira's `[text|url]` links hold a pipe that is not a cell border.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

# Bounded quantifiers only: these run on untrusted text.
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.{0,500})$")
_WIKI_HEADING = re.compile(r"^[ \t]{0,3}h[1-6]\.[ \t]*(.{0,500})$")
_MD_LIST = re.compile(r"^(?P<indent>[ \t]{0,12})(?:[-*+]|\d{1,3}[.)])[ \t]+")
_WIKI_LIST = re.compile(r"^(?P<indent>[ \t]{0,12})(?:[-*#]{1,6})[ \t]+")
_SEP_CELL = r"[ \t]{0,8}:?-{1,200}:?[ \t]{0,8}"
_MD_SEPARATOR = re.compile(rf"^[ \t]{{0,3}}\|?{_SEP_CELL}(?:\|{_SEP_CELL}){{0,60}}\|?[ \t]*$")
_CHECKBOX = re.compile(r"\[[ xX]\][ \t]")


class Dialect(Enum):
    MARKDOWN = "markdown"
    WIKI = "wiki"


class Shape(Enum):
    HEADING = "heading"
    ITEM = "item"  # a list entry
    HEADER = "header"  # a table's header row
    SEPARATOR = "separator"  # Markdown's |---| row
    ROW = "row"  # a table's data row
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Line:
    index: int
    raw: str  # with its line ending
    shape: Shape
    indent: int = 0
    heading: str = ""  # the heading text, for HEADING lines
    table: int = -1  # which table (counted from 0) a HEADER/SEPARATOR/ROW belongs to

    @property
    def body(self) -> str:
        """The line without its line ending."""
        return self.raw.rstrip("\r\n")

    @property
    def ending(self) -> str:
        return self.raw[len(self.body):]


def split_lines(text: str, dialect: Dialect) -> list[Line]:
    """Every line of `text` with its shape; tables are numbered so a header can be found for each row."""
    out: list[Line] = []
    raws = text.splitlines(keepends=True)
    table = -1
    in_table = False
    fenced = False
    for index, raw in enumerate(raws):
        body = raw.rstrip("\r\n")
        fence = _fence(body, dialect)
        if fenced or fence:
            # Code and noformat blocks are quoted text: never items, headings or tables.
            fenced = fenced != fence if fence else fenced
            in_table = False
            out.append(Line(index, raw, Shape.OTHER))
            continue
        shape, indent, heading = _shape(body, dialect)
        if shape is Shape.ROW:
            if not in_table:
                table += 1
                in_table = True
                nxt = raws[index + 1].rstrip("\r\n") if index + 1 < len(raws) else ""
                if dialect is Dialect.MARKDOWN and _MD_SEPARATOR.match(nxt):
                    shape = Shape.HEADER
            elif dialect is Dialect.MARKDOWN and _MD_SEPARATOR.match(body):
                shape = Shape.SEPARATOR
            if dialect is Dialect.WIKI and body.lstrip().startswith("||"):
                shape = Shape.HEADER
        else:
            in_table = False
        out.append(Line(index, raw, shape, indent, heading, table if in_table else -1))
    return out


def _fence(body: str, dialect: Dialect) -> bool:
    """Whether the line opens or closes a code block (Markdown ``` or ~~~; Jira {code} or {noformat})."""
    stripped = body.strip()
    if dialect is Dialect.MARKDOWN:
        return stripped.startswith(("```", "~~~"))
    return stripped.startswith(("{code", "{noformat")) and stripped.count("{code") + stripped.count(
        "{noformat") == 1


def _shape(body: str, dialect: Dialect) -> tuple[Shape, int, str]:
    heading = (_MD_HEADING if dialect is Dialect.MARKDOWN else _WIKI_HEADING).match(body)
    if heading:
        return Shape.HEADING, 0, heading.group(1).strip().strip("#").strip()
    if body.lstrip().startswith("|"):
        return Shape.ROW, 0, ""
    listed = (_MD_LIST if dialect is Dialect.MARKDOWN else _WIKI_LIST).match(body)
    if listed:
        return Shape.ITEM, len(listed.group("indent").expandtabs(4)), ""
    return Shape.OTHER, 0, ""


def cell_spans(body: str, dialect: Dialect) -> list[tuple[int, int]]:
    """The (start, end) of each cell's text in a table row, between its borders.

    Escaped pipes, pipes inside backticks and (in Jira wiki) inside `[...]` links or `{...}` macros are
    not borders. A Jira header row's `||` borders count as one.
    """
    borders: list[tuple[int, int]] = []  # (first, after) of each border
    depth = 0
    code = False
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`" and dialect is Dialect.MARKDOWN:
            code = not code
        elif dialect is Dialect.WIKI and ch in "[{":
            depth += 1
        elif dialect is Dialect.WIKI and ch in "]}" and depth:
            depth -= 1
        elif ch == "|" and not code and not depth:
            width = 2 if dialect is Dialect.WIKI and body[i + 1:i + 2] == "|" else 1
            borders.append((i, i + width))
            i += width
            continue
        i += 1
    spans = [(borders[n][1], borders[n + 1][0]) for n in range(len(borders) - 1)]
    if borders and body[borders[-1][1]:].strip():  # a row without its closing border
        spans.append((borders[-1][1], len(body)))
    return spans


def cells(body: str, dialect: Dialect) -> list[str]:
    return [body[start:end].strip() for start, end in cell_spans(body, dialect)]


def has_checkbox(body: str) -> re.Match[str] | None:
    """The `[ ]` / `[x]` box of a Markdown task-list entry."""
    listed = _MD_LIST.match(body)
    if listed is None:
        return None
    return _CHECKBOX.match(body, listed.end())
