"""`followthrough show ID [--format table|json]`: one postmortem's items, tickets, states and last sync."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from worker.cli.complete import postmortem_keys
from worker.cli.output import FORMAT_CHOICES


@click.command(
    "show",
    help="Show one stored postmortem (by key, id or a unique key prefix, as `list` prints them): its "
    "items with their ticket keys, assignees, states and due dates, and the result of its last sync.",
)
@click.argument("postmortem", metavar="ID", shell_complete=postmortem_keys)
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True,
              help="Output format.")
def command(postmortem: str, fmt: str) -> int:
    from config.settings import load_settings
    from worker.cli import holdings
    from worker.cli.render import display_owner, owner_names
    from worker.errors import UserError
    from worker.sync.pipeline import existing_store

    settings = load_settings()
    store = existing_store(settings)
    pm = holdings.find(store.list_postmortems(), postmortem) if store is not None else None
    if store is None or pm is None:
        raise UserError(f"no stored postmortem has key or id {postmortem!r} (see `followthrough list`)")
    records = store.items(pm.key)
    last = holdings.last_sync(store, pm.key)
    today = datetime.now(UTC).date()
    names = owner_names(settings.people)
    items: list[dict[str, Any]] = [
        {
            "fingerprint": r.fingerprint,
            "title": r.item.title,
            "owner": r.item.owner,
            "ticket": r.ticket_key,
            "ticket_url": r.ticket_url,
            "assignee": r.ticket_assignee or (r.written.assignee if r.written else None),
            "owner_resolution": r.assignee_resolution,
            "state": holdings.state(r),
            "status_name": r.status_name,
            "due": holdings.due(r),
            "overdue": holdings.is_overdue(r, today),
            "removed": r.removed,
        }
        for r in records
    ]
    if fmt == "json":
        from worker.cli.output import print_json

        document = holdings.postmortem_json(pm, holdings.tally(records, today))
        document["action_items"] = items
        document["last_sync"] = None if last is None else {
            "finished_at": last.finished_at, "counts": last.counts, "retry_error": last.retry_error,
        }
        print_json(document)
        return 0
    from rich.text import Text

    from worker.cli.render import default_console, table

    out = default_console()
    out.print(Text(pm.title or pm.identity, style="bold"))
    for label, value in (("key", pm.key), ("id", pm.identity), ("team", pm.team), ("source", pm.source),
                         ("ingested", pm.ingested_at.strftime("%Y-%m-%d %H:%M UTC"))):
        out.print(Text.assemble((f"  {label}: ", "dim"), value))
    if last is None:
        out.print(Text.assemble(("  last sync: ", "dim"), "never"))
    else:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(last.counts.items())) or "no items"
        when = last.finished_at.strftime("%Y-%m-%d %H:%M UTC")
        extra = f"; retry needed: {last.retry_error}" if last.retry_error else ""
        out.print(Text.assemble(("  last sync: ", "dim"), f"{when}: {counts}{extra}"))
    if not items:
        out.print(Text("  no action items", style="yellow"))
        return 0
    out.print(table(
        ("#", "action", "ticket", "assignee", "state", "due", "owner"),
        [
            (str(n), i["title"], i["ticket"] or "-", display_owner(i["assignee"], names),
             ("removed" if i["removed"] else i["state"] + (" (overdue)" if i["overdue"] else "")),
             i["due"].isoformat() if i["due"] else "-", i["owner_resolution"] or "-")
            for n, i in enumerate(items, start=1)
        ],
        wide=("action",),
    ))
    return 0
