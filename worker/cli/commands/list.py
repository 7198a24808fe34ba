"""`followthrough list [--team T] [--format table|json]`: the postmortems held, with their tickets' states."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from worker.cli.output import FORMAT_CHOICES


@click.command(
    "list",
    help="List the stored postmortems (oldest first): key (for resync and show), title, team, and how "
    "many items, tickets, open, overdue and done each has.",
)
@click.option("--team", help="Only this team's postmortems.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True,
              help="Output format.")
def command(team: str | None, fmt: str) -> int:
    from config.settings import load_settings
    from worker.cli import holdings
    from worker.errors import UserError
    from worker.sync.pipeline import existing_store

    settings = load_settings()
    if team is not None and settings.teams and team not in settings.teams:
        raise UserError(f"unknown team {team!r} (configured teams: {', '.join(sorted(settings.teams))})")
    store = existing_store(settings)  # no store yet: nothing held, and none is created
    postmortems = store.list_postmortems(team=team) if store is not None else []
    today = datetime.now(UTC).date()
    rows = [(pm, holdings.tally(store.items(pm.key), today)) for pm in postmortems] if store else []
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
