"""`followthrough items [filters] --format csv|json|table`: every action item across postmortems, exported.

One row per live item (removed ones with --removed): its postmortem, team, kind, priority, owner, ticket,
assignee, state, due date, and overdue by the report's rule (`worker.followup.overdue`), so the export
agrees with `list`, `show`, the report and the dashboard.
"""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from worker.cli.complete import team_names

if TYPE_CHECKING:
    from config.settings import Settings
    from worker.store import Store

STATES = ("open", "done", "dropped")
FORMATS = ("csv", "json", "table")
#: The export's columns, in order (CSV header and JSON keys alike).
COLUMNS = ("postmortem", "postmortem_title", "team", "fingerprint", "title", "kind", "priority", "owner",
           "tracker", "ticket", "ticket_url", "assignee", "state", "status_name", "due", "overdue",
           "removed")


@click.command(
    "items",
    help="Export the action items of every stored postmortem, one row each, as CSV (with a header), JSON "
    "(one array) or a table. Filters combine: --team, --state open|done|dropped, --overdue (overdue by the "
    "follow-up report's rule, as of now or --at), --kind (prevent, detect, ...). Removed items only with "
    "--removed.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="Output format.")
@click.option("--team", shell_complete=team_names, help="Only this team's items.")
@click.option("--state", type=click.Choice(STATES), help="Only items in this state.")
@click.option("--overdue", is_flag=True, help="Only overdue items (the report's rule).")
@click.option("--kind", help="Only items of this kind (prevent, detect, mitigate, process, repair, "
                             "investigate; the document's words such as 'Prevention' are understood).")
@click.option("--removed", is_flag=True, help="Include items removed from their postmortem.")
@click.option("--at", metavar="ISO-DATETIME", help="Judge overdue as of this moment (with a UTC offset).")
def command(fmt: str, team: str | None, state: str | None, overdue: bool, kind: str | None, removed: bool,
            at: str | None) -> int:
    from config.kinds import normalise_kind
    from config.settings import load_settings
    from worker.cli.options import parse_at
    from worker.errors import UserError
    from worker.sync.pipeline import existing_store

    settings = load_settings()
    if team is not None and settings.teams and team not in settings.teams:
        raise UserError(f"unknown team {team!r} (configured teams: {', '.join(sorted(settings.teams))})")
    wanted_kind = normalise_kind(kind) if kind is not None else None
    if kind is not None and wanted_kind is None:
        raise UserError(f"--kind: {kind!r} is not a kind (prevent, detect, mitigate, process, repair, "
                        "investigate)")
    store = existing_store(settings)  # nothing stored yet: an empty export, and no store is created
    rows = _rows(store, settings, parse_at(at), team) if store is not None else []
    rows = [row for row in rows
            if (removed or not row["removed"]) and (state is None or row["state"] == state)
            and (not overdue or row["overdue"]) and (wanted_kind is None or row["kind"] == wanted_kind)]
    _print(rows, fmt)
    return 0


def _rows(store: Store, settings: Settings, now: datetime, team: str | None) -> list[dict[str, Any]]:
    from config.kinds import normalise_kind
    from worker.cli import holdings
    from worker.followup.overdue import overdue_lines

    teams = [t for name, t in settings.teams.items() if team is None or name == team]
    with store.engine.connect() as conn:
        late = {(line.item.postmortem_key, line.item.fingerprint): line.due
                for line in overdue_lines(conn, settings, teams, now)}
    rows = []
    for pm in store.list_postmortems(team=team):
        for record in store.items(pm.key):
            item = record.item
            rows.append({
                "postmortem": pm.key, "postmortem_title": pm.title, "team": pm.team,
                "fingerprint": record.fingerprint, "title": item.title,
                "kind": normalise_kind(item.kind) if item.kind else None, "priority": item.priority,
                "owner": item.owner, "tracker": record.tracker, "ticket": record.ticket_key,
                "ticket_url": record.ticket_url,
                "assignee": record.ticket_assignee or (record.written.assignee if record.written else None),
                "state": holdings.state(record), "status_name": record.status_name,
                "due": late.get((pm.key, record.fingerprint)) or holdings.due(record),
                "overdue": (pm.key, record.fingerprint) in late, "removed": record.removed,
            })
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _print(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        from worker.cli.output import print_json

        print_json(rows)
        return
    if fmt == "csv":
        # Spreadsheets open it as it is: a header, RFC 4180 quoting, ISO dates, true/false.
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([[_text(row[name]) for name in COLUMNS] for row in rows])
        return
    from rich.text import Text

    from worker.cli.render import Layout, default_console, table

    out = default_console()
    if not rows:
        out.print(Text("no items match"))
        return
    shown = ("postmortem", "title", "ticket", "state", "due", "kind", "team", "assignee")
    out.print(table(
        shown,
        [[_text(row[name]) or "-" for name in shown] for row in rows],
        Layout(main="title", drop=("assignee", "team", "kind", "postmortem"), caps={"assignee": 16}),
        width=out.width,
    ))
    out.print(Text(f"{len(rows)} item(s)"))
