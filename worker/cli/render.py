"""Terminal rendering (rich tables at the terminal's width), shared by the commands."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from config.teams import Person
    from worker.models import Postmortem
    from worker.sync.execute import SyncResult

#: Width used when stdout is not a terminal and COLUMNS is unset (rich would assume 80 and fold a lot).
PIPE_WIDTH = 140


def default_console(*, stderr: bool = False) -> Console:
    """A console at the terminal's width; COLUMNS wins when set, and a pipe gets PIPE_WIDTH columns."""
    console = Console(soft_wrap=False, stderr=stderr)
    if not console.is_terminal and not os.environ.get("COLUMNS", "").strip().isdigit():
        console = Console(soft_wrap=False, width=PIPE_WIDTH, stderr=stderr)
    return console


def owner_names(people: Iterable[Person]) -> dict[str, str]:
    """Directory lookup from a Jira accountId or a GitHub login (case-insensitive) to the person's name."""
    names: dict[str, str] = {}
    for person in people:
        if person.jira_account_id:
            names[person.jira_account_id] = person.name
        if person.github_login:
            names[person.github_login.casefold().lstrip("@")] = person.name
        if person.gitlab_username:
            names[person.gitlab_username.casefold().lstrip("@")] = person.name
    return names


def display_owner(assignee: str | None, names: Mapping[str, str]) -> str:
    """A person's name for a tracker account id or login, else the id as it is ("-" for none)."""
    if not assignee:
        return "-"
    return names.get(assignee) or names.get(assignee.casefold().lstrip("@")) or assignee


def print_postmortem(postmortem: Postmortem, *, source: str, console: Console | None = None) -> None:
    """Print the postmortem's fields and one table row per action item."""
    out = console or default_console()
    facts = [
        ("title", postmortem.title),
        ("owner", postmortem.owner),
        ("incident date", postmortem.incident_date.isoformat() if postmortem.incident_date else None),
        ("severity", postmortem.severity),
    ]
    # Text() keeps document content from being read as rich markup ("[bold]" in a title stays literal).
    out.print(Text(source, style="bold"))
    for label, value in facts:
        out.print(Text.assemble((f"  {label}: ", "dim"), value or "-"))
    if not postmortem.action_items:
        out.print(Text("  no action items found", style="yellow"))
        return
    rows = [
        {
            "#": str(number),
            "title": item.title,
            "owner": item.owner or "-",
            "due": item.due.isoformat() if item.due else "-",
            "priority": item.priority or "-",
            "kind": item.kind or "-",
            "ref": item.ref or "-",
            "done": "yes" if item.done else "no",
            "section": item.section or "-",
        }
        for number, item in enumerate(postmortem.action_items, start=1)
    ]
    # Optional columns that no item fills only cost width.
    columns = [c for c in rows[0] if c in _ALWAYS or any(row[c] != "-" for row in rows)]
    out.print(table(columns, [[row[c] for c in columns] for row in rows], ITEMS_LAYOUT, width=out.width))


MAIN_MIN = 20
"""The main column (a title, an action) never gets fewer characters than this."""
GAP = 2
"""Characters between two columns (rich's padding of one on each side, no box)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """How a table gives way when the terminal is narrow.

    `main` is the column that takes the room left and wraps (never narrower than MAIN_MIN); the others keep
    their natural width. When that does not fit: first the `short` headers replace the long ones, then
    each `cap` column (a secondary free-text one) is held to its cap and folds, then the `drop` columns
    are left out, in the given order, until the table fits.
    """

    main: str
    drop: tuple[str, ...] = ()
    short: Mapping[str, str] = field(default_factory=dict)
    caps: Mapping[str, int] = field(default_factory=dict)


def _cell(value: str | None) -> str:
    return " ".join((value or "-").split())


def _natural(header: str, cells: list[str]) -> int:
    return max([cell_len(header), *(cell_len(c) for c in cells)])


def fit(columns: Sequence[str], rows: Sequence[Sequence[str]], layout: Layout, width: int
        ) -> tuple[list[str], dict[str, str], dict[str, int], list[str]]:
    """Which columns to show, their headers and widths at `width` characters, and the columns dropped."""
    cells = {name: [_cell(row[i]) for row in rows] for i, name in enumerate(columns)}
    shown = list(columns)
    headers = {name: name for name in columns}
    dropped: list[str] = []

    def widths() -> dict[str, int]:
        sizes = {name: _natural(headers[name], cells[name]) for name in shown}
        for name, cap in caps.items():
            if name in sizes:
                sizes[name] = min(sizes[name], max(cap, cell_len(headers[name])))
        others = sum(size for name, size in sizes.items() if name != layout.main)
        room = width - others - GAP * (len(shown) - 1)
        sizes[layout.main] = max(min(sizes[layout.main], room), MAIN_MIN)
        return sizes

    def total(sizes: dict[str, int]) -> int:
        return sum(sizes.values()) + GAP * (len(sizes) - 1)

    caps: Mapping[str, int] = {}
    sizes = widths()
    if total(sizes) > width:
        headers.update({k: v for k, v in layout.short.items() if k in headers})
        sizes = widths()
    if total(sizes) > width:
        caps = layout.caps
        sizes = widths()
    for name in layout.drop:
        if total(sizes) <= width:
            break
        if name in shown:
            shown.remove(name)
            dropped.append(name)
            sizes = widths()
    return shown, headers, sizes, dropped


def table(columns: Sequence[str], rows: Iterable[Sequence[str]], layout: Layout, *,
          width: int | None = None) -> Table:
    """A rich table of literal text laid out for `width` columns (the console's when None): the main
    column wraps, secondary ones give way as `layout` says, and a caption names the columns left out."""
    grid = [list(row) for row in rows]
    room = width if width is not None else default_console().width
    shown, headers, sizes, dropped = fit(columns, grid, layout, room)
    result = Table(show_lines=False, expand=False, pad_edge=False, box=None, header_style="bold",
                   caption_justify="left")
    for name in shown:
        wraps = name == layout.main or name in layout.caps
        # A Text header, like the cells: a plain string would be read as rich markup (and the first one
        # loads rich's emoji table, a few ms of every command's start).
        result.add_column(Text(headers[name]), width=sizes[name], overflow="fold", no_wrap=not wraps)
    index = {name: i for i, name in enumerate(columns)}
    for row in grid:
        result.add_row(*(Text(_cell(row[index[name]])) for name in shown))
    if dropped:
        result.caption = Text(f"not shown at this width: {', '.join(dropped)} (--format json has them)",
                              style="dim")
    return result


def sync_summary(result: SyncResult) -> str:
    """One line: the counts of each result, plus how many items need an owner."""
    counts = ", ".join(f"{n} {k}" for k, n in sorted(result.counts().items())) or "no action items"
    missing_owner = result.needs_owner()
    if missing_owner:
        counts += f"; {missing_owner} need{'s' if missing_owner == 1 else ''} an owner (needs-owner)"
    mode = " (dry run)" if result.dry_run else ""
    return f"postmortem {result.postmortem_key}, team {result.team}{mode}: {counts}"


def print_sync_result(
    result: SyncResult, *, names: Mapping[str, str], console: Console | None = None
) -> None:
    """One row per item (title, ticket, assignee by name, owner resolution, result, reason), a summary."""
    out = console or default_console()
    rows = [
        (item.title, item.ticket or "-", display_owner(item.assignee, names),
         item.owner_resolution, item.result, item.reason or "-")
        for item in result.items
    ]
    if rows:
        out.print(table(("action", "ticket", "assignee", "owner", "result", "reason"), rows, SYNC_LAYOUT,
                        width=out.width))
        out.print()
    out.print(Text(sync_summary(result)))
    if result.retry_error is not None:
        out.print(Text(f"retry needed: {type(result.retry_error).__name__}: {result.retry_error}"))


_ALWAYS = frozenset({"#", "title", "owner", "due", "done"})

#: `parse`: the document's own fields give way first, then the owner folds.
ITEMS_LAYOUT = Layout(main="title", drop=("section", "ref", "kind", "priority", "done"),
                      short={"priority": "prio"}, caps={"owner": 16})
#: `sync`: how the owner was resolved is the first to go; the reason folds rather than go.
SYNC_LAYOUT = Layout(main="action", drop=("owner", "assignee"), caps={"reason": 24, "owner": 12})
