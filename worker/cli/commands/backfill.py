"""`followthrough backfill --since DATE [FOLDER] [--dry-run] [--team T]`: import history on purpose."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from worker.cli.exits import EXIT_OK, EXIT_PARTIAL
from worker.cli.output import FORMAT_CHOICES

if TYPE_CHECKING:
    from worker.service.backfill import Imported


@click.command(
    "backfill",
    help="Import postmortems approved before the sweep's cutoff (FOLLOWTHROUGH_SINCE, default the first "
    "start): every document in FOLDER, or in the configured sources when no FOLDER is given, dated on or "
    "after --since. Items keep their due dates; escalations count from the import day.",
)
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--since", "since", required=True, metavar="DATE", help="First day to import (YYYY-MM-DD).")
@click.option("--team", help="Owning team of every imported postmortem (default: each document's).")
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True,
              help="Output format.")
def command(folder: Path | None, since: str, team: str | None, dry_run: bool, fmt: str) -> int:
    from config.settings import load_settings
    from worker.errors import UserError
    from worker.service.backfill import backfill_folder, backfill_sources

    try:
        first = date.fromisoformat(since)
    except ValueError:
        raise UserError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    settings = load_settings()
    if team is not None and settings.teams and team not in settings.teams:
        raise UserError(f"unknown team {team!r} (configured teams: {', '.join(sorted(settings.teams))})")
    if folder is not None:
        done = backfill_folder(settings, folder, since=first, team=team, dry_run=dry_run)
    else:
        done = backfill_sources(settings, since=first, team=team, dry_run=dry_run)
    _print(done, fmt)
    failed = any(d.outcome == "failed" or (d.result is not None and d.result.failed) for d in done)
    return EXIT_PARTIAL if failed else EXIT_OK


def _row(d: Imported) -> dict[str, Any]:
    return {
        "source": d.source,
        "dated": d.dated,
        "outcome": d.outcome,
        "reason": d.reason or None,
        "postmortem": d.result.postmortem_key if d.result else None,
        "counts": d.result.counts() if d.result else {},
    }


def _print(done: list[Imported], fmt: str) -> None:
    rows = [_row(d) for d in done]
    if fmt == "json":
        from worker.cli.output import print_json

        print_json({"documents": rows, "at": datetime.now().astimezone()})
        return
    from worker.cli.render import Layout, default_console, table

    default_console().print(table(
        ("source", "dated", "outcome", "postmortem", "items"),
        [(r["source"], str(r["dated"] or "-"), r["outcome"] + (f": {r['reason']}" if r["reason"] else ""),
          r["postmortem"] or "-", ", ".join(f"{n} {k}" for k, n in sorted(r["counts"].items())) or "-")
         for r in rows],
        Layout(main="source", drop=("items", "dated", "postmortem"), caps={"outcome": 30}),
    ))
