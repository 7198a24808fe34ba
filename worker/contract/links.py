"""Write an item's ticket link into its own line of the raw text, and nothing else.

A list entry gets a trailing link; a table row gets it in its Ticket cell (filled only when empty), or in
a Ticket column added to the whole table when the team allows it, else trailing the row's first cell. The
parser reads a trailing link or a Ticket cell back as the item's `ref` and leaves it out of the title, so
the item's fingerprint does not change. A line that already names the ticket is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from config.contract import DoneMarker
from worker.contract.lines import Dialect, Line, Shape, cell_spans, cells, has_checkbox, split_lines
from worker.parse.refs import TICKET_KEY

_TICKET_HEADERS = frozenset({"ticket", "tickets", "issue", "issues", "jira", "link", "tracking", "ref",
                             "reference", "tracker", "ticket link", "jira ticket", "github issue"})
_URL_SAFE = re.compile(r"^https?://[^\s()<>\[\]|]{1,500}$")
_STATUS_DONE = " (done)"


@dataclass(frozen=True, slots=True)
class Link:
    """One item's ticket, to be written on line `line`."""

    line: int
    key: str
    url: str
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Edit:
    text: str
    written: tuple[str, ...]  # keys written (or marked done) by this edit


def link_text(key: str, url: str, dialect: Dialect) -> str:
    """The link as the dialect writes it; a URL the renderer could misread is left out (the key stays).

    A Jira-style key is the link's text (the parser drops a trailing key from the title); any other key
    (GitHub's `owner/repo#12`) is written as the bare URL, which GitHub shows as that same short reference
    and the parser also reads back as the ref without touching the title.
    """
    safe = re.sub(r"[\[\]|()]", "", key)
    if not _URL_SAFE.match(url):
        return safe
    if TICKET_KEY.fullmatch(key) is None:
        return url
    return f"[{safe}]({url})" if dialect is Dialect.MARKDOWN else f"[{safe}|{url}]"


def apply_links(text: str, links: Sequence[Link], dialect: Dialect, *, add_column: bool = False,
                done_marker: DoneMarker | None = None) -> Edit:
    """`text` with each link written on its line; lines already naming their ticket are kept byte-exact."""
    lines = split_lines(text, dialect)
    raws = [line.raw for line in lines]
    written: list[str] = []
    columns: dict[int, int | None] = {}
    for link in links:
        if link.line >= len(lines):
            continue
        line = lines[link.line]
        before = raws[link.line]
        if line.shape is Shape.ROW:
            column = columns.setdefault(line.table, _ticket_column(lines, line.table, dialect))
            if column is None and add_column:
                _add_column(lines, raws, line.table, dialect)
                column = columns[line.table] = _column_count(lines, line.table, dialect)
            raws[link.line] = _row(Line(line.index, raws[link.line], line.shape, table=line.table), link,
                                   column, dialect)
        elif line.shape is Shape.ITEM:
            raws[link.line] = _entry(line, link, dialect)
        if link.closed and done_marker is not None:
            raws[link.line] = _mark_done(raws[link.line], done_marker, dialect, line.shape)
        if raws[link.line] != before:
            written.append(link.key)
    return Edit("".join(raws), tuple(written))


def names(body: str, link: Link) -> bool:
    """Whether a line already carries this ticket (its key or its URL)."""
    return link.url in body or re.search(rf"(?<![\w-]){re.escape(link.key)}(?![\w-])", body) is not None


def _entry(line: Line, link: Link, dialect: Dialect) -> str:
    if names(line.body, link):
        return line.raw
    text = line.body.rstrip()
    trailing = line.body[len(text):]  # a Markdown hard break ("  ") stays where it was
    return f"{text} ({link_text(link.key, link.url, dialect)}){trailing}{line.ending}"


def _row(line: Line, link: Link, column: int | None, dialect: Dialect) -> str:
    body = line.body
    if names(body, link):
        return line.raw
    spans = cell_spans(body, dialect)
    if not spans:
        return line.raw
    if column is not None and column < len(spans):
        start, end = spans[column]
        if body[start:end].strip():
            return line.raw  # a person wrote something else there: theirs wins
        cell = f" {link_text(link.key, link.url, dialect)} "
    else:
        start, end = spans[0]
        cell = f"{body[start:end].rstrip()} ({link_text(link.key, link.url, dialect)}) "
    return body[:start] + cell + body[end:] + line.ending


def _header(lines: Sequence[Line], table: int) -> Line | None:
    return next((line for line in lines if line.table == table and line.shape is Shape.HEADER), None)


def _ticket_column(lines: Sequence[Line], table: int, dialect: Dialect) -> int | None:
    header = _header(lines, table)
    if header is None:
        return None
    for index, cell in enumerate(cells(header.body, dialect)):
        if " ".join(re.sub(r"[*_`:]", "", cell).lower().split()) in _TICKET_HEADERS:
            return index
    return None


def _column_count(lines: Sequence[Line], table: int, dialect: Dialect) -> int:
    """How many columns the table had before one was added: the index of the added one."""
    header = _header(lines, table)
    return len(cell_spans(header.body, dialect)) if header is not None else 0


def _add_column(lines: Sequence[Line], raws: list[str], table: int, dialect: Dialect) -> None:
    """A Ticket column after the last one, on every line of the table (only when it has a header)."""
    if _header(lines, table) is None:
        return
    for line in lines:
        if line.table != table:
            continue
        body = raws[line.index].rstrip("\r\n")
        ending = raws[line.index][len(body):]
        stripped = body.rstrip()
        closed = stripped.endswith("|")
        head = stripped if closed else stripped + " |"
        if line.shape is Shape.HEADER:
            extra = " Ticket ||" if dialect is Dialect.WIKI else " Ticket |"
        elif line.shape is Shape.SEPARATOR:
            extra = "---|"
        else:
            extra = "  |"
        raws[line.index] = head + extra + ending


def _mark_done(raw: str, marker: DoneMarker, dialect: Dialect, shape: Shape) -> str:
    body = raw.rstrip("\r\n")
    ending = raw[len(body):]
    if marker == "checkbox":
        box = has_checkbox(body) if dialect is Dialect.MARKDOWN and shape is Shape.ITEM else None
        if box is None or box.group(0).startswith("[x") or box.group(0).startswith("[X"):
            return raw
        return body[:box.start()] + "[x]" + body[box.start() + 3:] + ending
    if marker == "status":
        return raw if body.rstrip().endswith(_STATUS_DONE.strip()) else body.rstrip() + _STATUS_DONE + ending
    strike = "~~" if dialect is Dialect.MARKDOWN else "-"
    if shape is not Shape.ITEM or body.rstrip().endswith(strike):
        return raw
    box = has_checkbox(body) if dialect is Dialect.MARKDOWN else None
    prefix_end = box.end() if box else _list_prefix_end(body, dialect)
    return body[:prefix_end] + strike + body[prefix_end:].rstrip() + strike + ending


def _list_prefix_end(body: str, dialect: Dialect) -> int:
    match = re.match(r"^[ \t]{0,12}(?:[-*+]|\d{1,3}[.)])[ \t]+" if dialect is Dialect.MARKDOWN
                     else r"^[ \t]{0,12}[-*#]{1,6}[ \t]+", body)
    return match.end() if match else 0
