"""`followthrough sweep [--dry-run] [--grace MINUTES] [--format table|json]`: the reconciliation sweep, now.

Beat runs it every FOLLOWTHROUGH_RECONCILE_EVERY_MINUTES (worker.service.sweep); this runs the same three
steps by hand and hands the work to the workers, or with --dry-run only lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from worker.cli.exits import EXIT_OK
from worker.cli.output import FORMAT_CHOICES

if TYPE_CHECKING:
    from config.settings import Settings
    from worker.service.requests import IngestRequest
    from worker.store.outbox import OutboxEntry


@dataclass(frozen=True, slots=True)
class Found:
    """What one sweep would queue."""

    unseen: list[IngestRequest]
    unsynced: list[str]
    outbox: list[OutboxEntry]

    def rows(self) -> list[tuple[str, str]]:
        return ([("ingest", str(request.source)) for request in self.unseen]
                + [("sync", key) for key in self.unsynced]
                + [("republish", f"webhook delivery #{entry.id} ({entry.kind}, attempt {entry.attempts + 1})")
                   for entry in self.outbox])


@click.command(
    "sweep",
    help="Run the reconciliation sweep now, as beat does every FOLLOWTHROUGH_RECONCILE_EVERY_MINUTES: queue "
    "the approved postmortems in the configured sources that the store lacks, the syncs that never "
    "completed, and the accepted webhook deliveries whose task never finished (the last two only once "
    "older than the grace period). Needs the broker (exit 3 when it is down). --dry-run lists them and "
    "queues nothing.",
)
@click.option("--dry-run", is_flag=True, help="List what would be queued; queue and write nothing.")
@click.option("--grace", type=click.FloatRange(min=0), default=None, metavar="MINUTES",
              help="Leave work younger than this to its own tasks (default: "
                   "FOLLOWTHROUGH_SWEEP_GRACE_MINUTES; 0: everything unfinished now).")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True,
              help="Output format.")
def command(dry_run: bool, grace: float | None, fmt: str) -> int:
    from config.settings import load_settings
    from worker.cli.progress import spinner

    settings = load_settings()
    if grace is not None:
        settings = settings.model_copy(update={"sweep_grace_minutes": grace})
    with spinner("reading the sources"):
        found = _find(settings)
    if not dry_run and found.rows():
        _queue(settings, found)
    _print(found, fmt, dry_run=dry_run)
    return EXIT_OK


def _find(settings: Settings) -> Found:
    """The sweep's three lists, read without writing (no store is created when there is none)."""
    from worker.service.sweep import find_unseen, unsynced
    from worker.store.outbox import Outbox
    from worker.sync.pipeline import existing_store

    store = existing_store(settings)
    window = timedelta(minutes=settings.sweep_grace_minutes)
    outbox = Outbox(store).unfinished(older_than=window, now=datetime.now(UTC)) if store is not None else []
    return Found(unseen=find_unseen(settings), unsynced=unsynced(settings), outbox=outbox)


def _queue(settings: Settings, found: Found) -> None:
    """Publish the work as the beat's sweep does; Unavailable (exit 3) when the broker cannot be reached."""
    from kombu.exceptions import OperationalError

    from config.celery_app import make_celery
    from worker.errors import Unavailable
    from worker.service.sweep import redrive_outbox
    from worker.tasks.enqueue import enqueue_ingest, enqueue_sync

    app = make_celery(settings)
    try:
        with app.connection_for_write() as connection:
            # One quick attempt: kombu would otherwise retry for many seconds and end in a traceback.
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
        for request in found.unseen:
            enqueue_ingest(app, request)
        for key in found.unsynced:
            enqueue_sync(app, key)
        if found.outbox:
            redrive_outbox(settings, app)
    except (OperationalError, OSError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        # Never the URL itself: it may carry the broker's password.
        raise Unavailable(f"cannot reach the broker (REDIS_URL / CELERY_BROKER_URL): {reason}") from None


def _print(found: Found, fmt: str, *, dry_run: bool) -> None:
    rows = found.rows()
    verb = "would queue" if dry_run else "queued"
    if fmt == "json":
        from worker.cli.output import print_json

        document: dict[str, Any] = {
            "dry_run": dry_run,
            "ingest": [request.source for request in found.unseen],
            "sync": found.unsynced,
            "republish": [entry.id for entry in found.outbox],
        }
        print_json(document)
        return
    from rich.text import Text

    from worker.cli.render import Layout, default_console, table

    out = default_console()
    if rows:
        out.print(table(("action", "what"), rows, Layout(main="what"), width=out.width))
    summary = (f"{len(found.unseen)} to ingest, {len(found.unsynced)} to sync, "
               f"{len(found.outbox)} webhook deliveries to republish")
    out.print(Text(f"sweep {verb}: {summary}" + (" (dry run, nothing queued)" if dry_run else "")))
