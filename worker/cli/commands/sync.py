"""`followthrough sync PATH`: parse a postmortem and create/update its tickets, in-process (no worker)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from worker.cli.complete import team_names
from worker.cli.exits import EXIT_DRY_RUN_FALLBACK, EXIT_OK, EXIT_PARTIAL, note
from worker.cli.output import FORMAT_CHOICES

if TYPE_CHECKING:
    from config.settings import Settings
    from worker.sync.execute import SyncResult


def read_input(path: str, *, max_bytes: int) -> tuple[bytes, str, str | None]:
    """The document's bytes, its source URI and file name; UserError for anything unreadable."""
    from worker.errors import UserError

    if path == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        return data, "inline:stdin", None
    file = Path(path)
    if file.is_dir():
        raise UserError(f"{path} is a directory, not a postmortem file")
    try:
        with file.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    return data, f"file:{file.resolve()}", file.name


def fallback_note(settings: Settings, result: SyncResult) -> None:
    """Say on stderr why a run fell back to a dry run: no credentials, or the team is paused."""
    team = settings.teams.get(result.team)
    if team is not None and team.paused:
        note(f"{result.dry_run_reason}: dry run, nothing written")
        return
    tracker = team.tracker if team is not None else "tracker"
    note(f"no {tracker} credentials configured for team {result.team}: dry run, nothing written")


@click.command(
    "sync",
    help="Parse a postmortem (PATH, or - for stdin) and create one ticket per action item in its team's "
    "tracker. Safe to re-run: existing tickets are found by label, and human edits are kept. With no "
    "credentials for the team's tracker it only shows the plan and exits 4.",
)
@click.argument("path", metavar="PATH")
@click.option("--team", shell_complete=team_names,
              help="Owning team (default: the document's metadata, else default_team).")
@click.option("--dry-run", is_flag=True, help="Show the plan; write nothing, neither tickets nor the store.")
@click.option("--id", "postmortem_id", metavar="ID",
              help="The postmortem's id, as a webhook would send it (its `id`): the same document through "
              "the CLI and a hook is then one postmortem. Default: the content identity hooks also match.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True,
              help="Output format.")
def command(path: str, team: str | None, dry_run: bool, postmortem_id: str | None, fmt: str) -> int:
    from config.settings import load_settings
    from worker.cli.progress import spinner
    from worker.sync.pipeline import sync_document

    settings = load_settings()
    content, source, filename = read_input(path, max_bytes=settings.max_document_bytes)
    with spinner(f"{'planning' if dry_run else 'syncing'} {filename or 'stdin'}"):
        result = sync_document(settings, content=content, source=source, team=team, filename=filename,
                               dry_run=dry_run, postmortem_id=_checked_id(postmortem_id))
    if result.team_requested:
        note(f"warning: the document names team {result.team_requested!r}, which is not configured; "
             f"used team {result.team}")
    fell_back = result.dry_run and not dry_run
    if fell_back:
        fallback_note(settings, result)
    if fmt == "json":
        from worker.cli.output import print_json

        print_json(result_json(result))
    else:
        from worker.cli.render import owner_names, print_sync_result

        print_sync_result(result, names=owner_names(settings.people))
    if result.failed:
        return EXIT_PARTIAL
    return EXIT_DRY_RUN_FALLBACK if fell_back else EXIT_OK


def _checked_id(value: str | None) -> str | None:
    """The `--id` value, refused when empty or not printable (it becomes the postmortem's identity)."""
    from worker.errors import UserError

    if value is None:
        return None
    if not value.strip() or len(value) > 500 or not value.isprintable():
        raise UserError("--id must be 1 to 500 printable characters")
    return value.strip()


def result_json(result: SyncResult) -> dict[str, Any]:
    """The sync result as one JSON object."""
    error = result.retry_error
    return {
        "postmortem": result.postmortem_key,
        "team": result.team,
        "team_used": result.team,
        "team_requested": result.team_requested,
        "dry_run": result.dry_run,
        "dry_run_reason": result.dry_run_reason or None,
        "counts": result.counts(),
        "needs_owner": result.needs_owner(),
        "retry_error": None
        if error is None
        else {
            "type": type(error).__name__,
            "message": str(error),
            "retry_after": getattr(error, "retry_after", None),
        },
        "items": [
            {
                "fingerprint": item.fingerprint,
                "title": item.title,
                "tracker": item.tracker,
                "ticket": item.ticket,
                "ticket_url": item.ticket_url,
                "assignee": item.assignee,
                "owner_resolution": item.owner_resolution,
                "result": item.result,
                "reason": item.reason,
            }
            for item in result.items
        ],
    }
