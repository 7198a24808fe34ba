"""Tables drawn in plain text: ASCII grid tables (cells wrapping over several lines) and org/pipe tables.

    +--------------+-------+        | Action      | Owner |
    | Action       | Owner |        |-------------+-------|
    +==============+=======+        | Rotate keys | Ana   |
    | Rotate the   | Ana   |
    | signing keys |       |
    +--------------+-------+

A grid row runs from one rule line to the next; its cells are the column slices of every line in between,
joined. The first row is the header (a "+===+" rule after it says so, but none is needed).
"""

from __future__ import annotations

from itertools import pairwise

from worker.parse.blocks import Table, Text
from worker.parse.patterns import lazy

_GRID_RULE = lazy(r"^\+(?:[-=:]{1,400}\+){1,40}$")
_PIPE_RULE = lazy(
    r"^\|?[ \t]{0,4}:?-{2,400}:?[ \t]{0,4}(?:[+|][ \t]{0,4}:?-{2,400}:?[ \t]{0,4}){0,40}\|?$"
)


def read_text_table(lines: list[str]) -> Table | None:
    """The table a group of lines draws, or None when the group is not a table."""
    stripped = [line.strip() for line in lines]
    if len(stripped) < 3 or not all(line[:1] in "+|" for line in stripped):
        return None
    if _GRID_RULE.match(stripped[0]):
        return _grid(stripped)
    if any(_PIPE_RULE.match(line) for line in stripped[1:3]):
        return _pipe(stripped)
    return None


def _grid(lines: list[str]) -> Table | None:
    bounds = [index for index, char in enumerate(lines[0]) if char == "+"]
    rows: list[list[str]] = []
    current: list[list[str]] = []
    for line in lines[1:]:
        if _GRID_RULE.match(line):
            if current:
                rows.append([" ".join(" ".join(part).split()) for part in current])
                current = []
            continue
        cells = [line[start + 1 : end] for start, end in pairwise(bounds)]
        if not current:
            current = [[] for _ in cells]
        for column, cell in enumerate(cells[: len(current)]):
            current[column].append(cell.strip(" |"))
    if current:
        rows.append([" ".join(" ".join(part).split()) for part in current])
    return _table(rows)


def _pipe(lines: list[str]) -> Table | None:
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")] for line in lines if not _PIPE_RULE.match(line)
    ]
    return _table(rows)


def _table(rows: list[list[str]]) -> Table | None:
    if len(rows) < 2:
        return None
    header, *body = rows
    return Table(header=[Text(cell) for cell in header], rows=[[Text(cell) for cell in row] for row in body])
