"""`followthrough list [--team T] [--format table|json]`: the postmortems held, with their tickets' states."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from worker.cli.output import FORMAT_CHOICES

if TYPE_CHECKING:
    from worker.store.records import ParseFailureRecord


@click.command(
    "list",
    help="List the stored postmortems (oldest first): key (for resync and show), title, team, and how "
    "many items, tickets, open, overdue (as the follow-up report counts them) and done each has.",
)
@click.option("--team", help="Only this team's postmortems.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True,
              help="Output format.")
@click.option("--failed", is_flag=True,
              help="List the documents the parser refused instead (source, reason, attempts, last failure).")
def command(team: str | None, fmt: str, failed: bool) -> int:
    from config.settings import load_settings
    from worker.cli import holdings
    from worker.errors import UserError
    from worker.sync.pipeline import existing_store

    settings = load_settings()
    if team is not None and settings.teams and team not in settings.teams:
        raise UserError(f"unknown team {team!r} (configured teams: {', '.join(sorted(settings.teams))})")
    store = existing_store(settings)  # no store yet: nothing held, and none is created
    if failed:
        return _failures(store.parse_failures() if store is not None else [], fmt)
    postmortems = store.list_postmortems(team=team) if store is not None else []
    rows = []
    if store is not None and postmortems:
        overdue = holdings.overdue_by_postmortem(store, settings, datetime.now(UTC), team)
        rows = [(pm, holdings.tally(store.items(pm.key), overdue.get(pm.key, 0))) for pm in postmortems]
    if fmt == "json":
        from worker.cli.output import print_json

        print_json([holdings.postmortem_json(pm, counts) for pm, counts in rows])
        return 0
    from rich.text import Text

    from worker.cli.render import default_console, table

    out = default_console()
    if not rows:
        out.print(Text("no stored postmortems" + (f" of team {team}" if team else "")))
        return 0
    out.print(table(
        ("key", "title", "team", "items", "tickets", "open", "overdue", "done", "synced"),
        [
            (pm.key, pm.title or pm.identity, pm.team, str(c.items), str(c.tickets), str(c.open),
             str(c.overdue), str(c.done),
             pm.synced_at.strftime("%Y-%m-%d %H:%M") if pm.synced_at else "never")
            for pm, c in rows
        ],
        wide=("title",),
    ))
    return 0


def _failures(failures: list[ParseFailureRecord], fmt: str) -> int:
    """The documents the parser refused; the sweep skips them until a webhook or resync brings new content."""
    if fmt == "json":
        from worker.cli.output import print_json

        print_json([{"source": f.source, "content_hash": f.content_hash, "reason": f.reason,
                     "attempts": f.attempts, "first_failed_at": f.first_failed_at.isoformat(),
                     "last_failed_at": f.last_failed_at.isoformat()} for f in failures])
        return 0
    from rich.text import Text

    from worker.cli.render import default_console, table

    out = default_console()
    if not failures:
        out.print(Text("no documents failed to parse"))
        return 0
    out.print(table(
        ("source", "reason", "attempts", "last failed"),
        [(f.source, f.reason, str(f.attempts), f.last_failed_at.strftime("%Y-%m-%d %H:%M"))
         for f in failures],
        wide=("reason",),
    ))
    return 0
