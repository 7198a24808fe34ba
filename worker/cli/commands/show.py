"""`followthrough show ID [--format table|json]`: one postmortem's items, tickets, states and last sync."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import click

from worker.cli.complete import postmortem_keys
from worker.cli.output import FORMAT_CHOICES

if TYPE_CHECKING:
    from worker.store import ItemRecord, PostmortemRecord
    from worker.store.records import SyncRunRecord


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
    from worker.errors import UserError
    from worker.sync.pipeline import existing_store

    settings = load_settings()
    store = existing_store(settings)
    pm = holdings.find(store.list_postmortems(), postmortem) if store is not None else None
    if store is None or pm is None:
        raise UserError(f"no stored postmortem has key or id {postmortem!r} (see `followthrough list`)")
    records = store.items(pm.key)
    last = store.last_sync_run(pm.key)
    overdue = holdings.overdue_items(store, settings, pm, datetime.now(UTC))
    items = [_item(r, overdue) for r in records]
    if fmt == "json":
        _print_json(pm, holdings.tally(records, len(overdue)), items, last)
    else:
        _print_table(settings.people, pm, items, last)
    return 0


def _item(r: ItemRecord, overdue: dict[str, date]) -> dict[str, Any]:
    from worker.cli import holdings

    return {
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
        # The report's rule: an item without its own due date may be overdue by the policy's default.
        "overdue": r.fingerprint in overdue,
        "removed": r.removed,
    }


def _print_json(pm: PostmortemRecord, counts: Any, items: list[dict[str, Any]],
                last: SyncRunRecord | None) -> None:
    from worker.cli import holdings
    from worker.cli.output import print_json

    document = holdings.postmortem_json(pm, counts)
    document["action_items"] = items
    document["last_sync"] = None if last is None else {
        "finished_at": last.finished_at, "counts": last.counts, "retry_error": last.retry_error,
    }
    print_json(document)


def _print_table(people: Any, pm: PostmortemRecord, items: list[dict[str, Any]],
                 last: SyncRunRecord | None) -> None:
    from rich.text import Text

    from worker.cli.render import default_console, display_owner, owner_names, table

    names = owner_names(people)
    out = default_console()
    out.print(Text(pm.title or pm.identity, style="bold"))
    for label, value in (("key", pm.key), ("id", pm.identity), ("team", pm.team), ("source", pm.source),
                         ("ingested", pm.ingested_at.strftime("%Y-%m-%d %H:%M UTC"))):
        out.print(Text.assemble((f"  {label}: ", "dim"), value))
    out.print(Text.assemble(("  last sync: ", "dim"), _last_sync_text(last)))
    if not items:
        out.print(Text("  no action items", style="yellow"))
        return
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


def _last_sync_text(last: SyncRunRecord | None) -> str:
    if last is None:
        return "never"
    counts = ", ".join(f"{n} {k}" for k, n in sorted(last.counts.items())) or "no items"
    when = last.finished_at.strftime("%Y-%m-%d %H:%M UTC")
    extra = f"; retry needed: {last.retry_error}" if last.retry_error else ""
    return f"{when}: {counts}{extra}"
