"""`followthrough resync [ID ... | --all] [--dry-run] [--enqueue]`: re-read postmortems, reconcile tickets."""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import click

from worker.cli.complete import postmortem_keys
from worker.cli.exits import EXIT_DRY_RUN_FALLBACK, EXIT_OK, EXIT_PARTIAL, note

if TYPE_CHECKING:
    from config.settings import Settings
    from worker.service.resync import ResyncOutcome


@click.command(
    "resync",
    help="Re-read stored postmortems (by key or id, or --all) from their sources and reconcile their "
    "tickets. Problems (conflicts, missing tickets, failures) are listed with their ticket and item.",
)
@click.argument("ids", nargs=-1, metavar="[ID]...", shell_complete=postmortem_keys)
@click.option("--all", "every", is_flag=True, help="Every stored postmortem.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--enqueue", is_flag=True, help="Hand the work to the workers (needs the broker).")
def command(ids: tuple[str, ...], every: bool, dry_run: bool, enqueue: bool) -> int:
    from config.settings import load_settings
    from worker.errors import UserError
    from worker.service.resync import select

    if every and ids:
        raise UserError("give IDs or --all, not both")
    if enqueue and dry_run:
        raise UserError("--dry-run runs here: it cannot be combined with --enqueue")
    settings = load_settings()
    records = select(settings, list(ids), every=every)
    if not records:
        print("no stored postmortems")
        return EXIT_OK
    if enqueue:
        _enqueue(settings, [str(record.key) for record in records])
        print(f"queued {len(records)} postmortem(s) for resync")
        return EXIT_OK
    return _in_process(settings, records, dry_run=dry_run)


def _enqueue(settings: Settings, keys: list[str]) -> None:
    """Send one resync task per postmortem; Unavailable (exit 3) when the broker cannot be reached."""
    from kombu.exceptions import OperationalError

    from config.celery_app import make_celery
    from worker.errors import Unavailable
    from worker.tasks.names import RESYNC_TASK

    app = make_celery(settings)
    try:
        with app.connection_for_write() as connection:
            # One quick attempt: kombu would otherwise retry for many seconds and end in a traceback.
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
            for key in keys:
                app.send_task(RESYNC_TASK, args=[key], connection=connection, retry=False)
    except (OperationalError, OSError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        # Never the URL itself: it may carry the broker's password.
        raise Unavailable(f"cannot reach the broker (REDIS_URL / CELERY_BROKER_URL): {reason}") from None


def _in_process(settings: Settings, records: list[Any], *, dry_run: bool) -> int:
    from connectors.throttle import LocalWriteThrottle
    from worker.cli.progress import bar
    from worker.service.resync import resync_many

    totals: Counter[str] = Counter()
    outcomes: list[ResyncOutcome] = []
    with bar("planning" if dry_run else "resync", total=len(records)) as progress:

        def done(outcome: ResyncOutcome) -> None:
            totals.update(outcome.counts or {})
            outcomes.append(outcome)
            progress.advance(progress.task_ids[0])

        keys = [(str(getattr(r, "key", "")), getattr(r, "title", None)) for r in records]
        resync_many(settings, keys, throttle=LocalWriteThrottle(), dry_run=dry_run, on_done=done,
                    local_files=True)
    return report(outcomes, totals, asked_dry_run=dry_run)


def report(outcomes: list[ResyncOutcome], totals: Counter[str], *, asked_dry_run: bool) -> int:
    """Print failures (stderr), problems by ticket and item, and the summary; return the exit code."""
    failed = [o for o in outcomes if o.error]
    fell_back = [o for o in outcomes if o.dry_run and o.dry_run_reason and not asked_dry_run]
    _print_problems(outcomes, failed, fell_back)
    summary = _summary(outcomes, totals)
    done = len(outcomes) - len(failed)
    if asked_dry_run or (fell_back and len(fell_back) == done):
        print(f"planned {done} of {len(outcomes)} postmortem(s) (dry run, nothing written): {summary}")
    else:
        print(f"resynced {done} of {len(outcomes)} postmortem(s): {summary}")
    if failed or any(o.failed for o in outcomes):
        return EXIT_PARTIAL
    return EXIT_DRY_RUN_FALLBACK if fell_back else EXIT_OK


def _print_problems(outcomes: list[ResyncOutcome], failed: list[ResyncOutcome],
                    fell_back: list[ResyncOutcome]) -> None:
    for outcome in failed:
        print(f"{outcome.postmortem_key}: failed: {outcome.error}", file=sys.stderr)
    if fell_back:
        note(f"no tracker credentials for {len(fell_back)} postmortem(s) "
             f"({', '.join(o.postmortem_key for o in fell_back)}): dry run, nothing written")
    for outcome in outcomes:
        for problem in outcome.problems:
            print(f"{outcome.postmortem_key}: {problem}")


def _summary(outcomes: list[ResyncOutcome], totals: Counter[str]) -> str:
    summary = ", ".join(f"{count} {result}" for result, count in sorted(totals.items())) or "no items"
    owners = sum(o.needs_owner for o in outcomes)
    if owners:
        summary += f"; {owners} need{'s' if owners == 1 else ''} an owner (needs-owner)"
    return summary
