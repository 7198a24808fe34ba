"""A fast path for top-level GFM pipe tables, which dominate the cost of table-heavy Markdown documents.

markdown-it's table rule and its inline parser cost about 0.1 ms a row; tables are read here instead,
line by line. Only unambiguous tables are taken: at the top level (column 0),
after a blank line, with a delimiter row, outside fenced code. Each is replaced by a marker line (an HTML
comment the Markdown builder swaps for the table) and blank lines, so line numbers do not move. Cells with
Markdown markup still go through markdown-it's inline parser.
"""

from __future__ import annotations

from collections.abc import Callable

from worker.parse import budget
from worker.parse.blocks import Table, Text
from worker.parse.patterns import lazy

MARKER_PREFIX = "<!--ft-pipe-table:"
_DELIMITER_CELL = lazy(r"^\s{0,20}:?-{3,500}:?\s{0,20}$")
_MARKUP_CHARS = frozenset("*_`[]<>&\\!~")


def split_row(line: str) -> list[str]:
    """The cells of a pipe-table row: split on unescaped "|", outer pipes dropped."""
    # Without a backslash (the common case) a plain split gives the same cells.
    cells = line.strip().split("|") if "\\" not in line else _split_escaped(line.strip())
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip() and line.rstrip().endswith("|"):
        cells = cells[:-1]
    return [cell.strip() for cell in cells]


def _split_escaped(text: str) -> list[str]:
    cells: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char if char == "|" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            cells.append("".join(current))
            current = []
        else:
            current.append(char)
    cells.append("".join(current))
    return cells


def _is_delimiter(line: str) -> bool:
    cells = split_row(line)
    return bool(cells) and all(_DELIMITER_CELL.match(cell) for cell in cells)


def extract_tables(lines: list[str], render: Callable[[str], Text]) -> tuple[list[str], list[Table]]:
    """Replace large top-level pipe tables by marker lines; return the new lines and the tables."""
    out = list(lines)
    tables: list[Table] = []
    fence: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            mark = stripped[:3]
            fence = None if fence == mark else (fence or mark)
        if (
            fence is None
            and line.startswith("|")
            and (index == 0 or not out[index - 1].strip())  # blank, or a table just taken out
            and index + 1 < len(lines)
            and _is_delimiter(lines[index + 1])
            and len(split_row(line)) == len(split_row(lines[index + 1]))  # else not a table (GFM)
        ):
            end = index + 2
            while end < len(lines) and lines[end].startswith("|"):
                if _is_delimiter(lines[end]):
                    end -= 1  # "| a | b |\n|---|---|" glued on: the row above heads the next table
                    break
                end += 1
            header = [render(cell) for cell in split_row(line)]
            width = len(header)
            rows = []
            for row_line in lines[index + 2 : end]:
                budget.tick()
                cells = [render(cell) for cell in split_row(row_line)[:width]]
                rows.append(cells + [Text("") for _ in range(width - len(cells))])
            out[index] = f"{MARKER_PREFIX}{len(tables)}-->"
            for blank in range(index + 1, end):
                out[blank] = ""
            tables.append(Table(header=header, rows=rows))
            index = end
            continue
        index += 1
    return out, tables


def plain_cell(cell: str) -> Text | None:
    """A cell's Text when it has no Markdown markup (the common case), else None."""
    if not _MARKUP_CHARS.isdisjoint(cell):
        return None
    return Text(" ".join(cell.split()))
