"""Terminal rendering of a parsed postmortem (rich tables), shared by `parse` and `demo`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from worker.models import Postmortem


def default_console() -> Console:
    """A console that stays readable when piped (rich would otherwise assume 80 columns)."""
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, width=140)
    return console


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
    table = Table(show_lines=False, expand=False)
    for column in columns:
        table.add_column(column, overflow="fold", ratio=3 if column == "title" else None)
    for row in rows:
        table.add_row(*(Text(row[c]) for c in columns))
    out.print(table)


_ALWAYS = frozenset({"#", "title", "owner", "due", "done"})
