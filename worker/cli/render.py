"""Terminal rendering (rich tables at the terminal's width), shared by the commands."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

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
    out.print(table(columns, [[row[c] for c in columns] for row in rows], wide=("title",)))


def table(
    columns: Iterable[str], rows: Iterable[Iterable[str]], *, wide: Mapping[str, int] | Iterable[str] = ()
) -> Table:
    """A rich table of literal text at the console's width: the `wide` columns share the room left by the
    others (in the given ratios) and fold their long cells; the others keep their natural width."""
    ratios = dict(wide) if isinstance(wide, Mapping) else dict.fromkeys(wide, 3)
    result = Table(show_lines=False, expand=False, pad_edge=False, box=None, header_style="bold")
    for column in columns:
        ratio = ratios.get(column)
        result.add_column(column, overflow="fold", ratio=ratio, no_wrap=ratio is None)
    for row in rows:
        result.add_row(*(Text(" ".join((cell or "-").split())) for cell in row))
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
        out.print(table(("action", "ticket", "assignee", "owner", "result", "reason"), rows,
                        wide={"action": 3, "owner": 1, "reason": 3}))
        out.print()
    out.print(Text(sync_summary(result)))
    if result.retry_error is not None:
        out.print(Text(f"retry needed: {type(result.retry_error).__name__}: {result.retry_error}"))


_ALWAYS = frozenset({"#", "title", "owner", "due", "done"})
