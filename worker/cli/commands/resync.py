"""`followthrough resync [ID ... | --all] [--enqueue]`: re-read postmortems and reconcile their tickets."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from config.settings import Settings, load_settings
from worker.errors import UserError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("resync", help="re-read stored postmortems from their sources and sync")
    parser.add_argument("ids", nargs="*", metavar="ID", help="postmortem key or id")
    parser.add_argument("--all", action="store_true", dest="every", help="every stored postmortem")
    parser.add_argument("--enqueue", action="store_true", help="hand the work to the workers")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Resync the chosen postmortems in-process (with a progress bar) or queue them for the workers."""
    from worker.service.resync import select

    if args.every and args.ids:
        raise UserError("give IDs or --all, not both")
    settings = load_settings()
    records = select(settings, args.ids, every=args.every)
    if not records:
        print("no stored postmortems")
        return 0
    if args.enqueue:
        from config.celery_app import RESYNC_TASK, make_celery

        app = make_celery(settings)
        for record in records:
            app.send_task(RESYNC_TASK, args=[str(record.key)])
        print(f"queued {len(records)} postmortem(s) for resync")
        return 0
    return _in_process(settings, records)


def _in_process(settings: Settings, records: list[Any]) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from connectors.throttle import LocalWriteThrottle
    from worker.service.resync import ResyncOutcome, resync_many

    console = Console(stderr=True)
    totals: Counter[str] = Counter()
    failed: list[ResyncOutcome] = []
    with Progress(TextColumn("resync"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        bar = progress.add_task("resync", total=len(records))

        def done(outcome: ResyncOutcome) -> None:
            totals.update(outcome.counts or {})
            if outcome.error:
                failed.append(outcome)
            progress.advance(bar)

        keys = [(str(getattr(r, "key", "")), getattr(r, "title", None)) for r in records]
        resync_many(settings, keys, throttle=LocalWriteThrottle(), on_done=done, local_files=True)
    for outcome in failed:
        print(f"{outcome.postmortem_key}: failed: {outcome.error}", file=sys.stderr)
    summary = ", ".join(f"{count} {result}" for result, count in sorted(totals.items())) or "no items"
    print(f"resynced {len(records) - len(failed)} of {len(records)} postmortem(s): {summary}")
    return 1 if failed else 0
