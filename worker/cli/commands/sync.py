"""`followthrough sync PATH`: parse a postmortem and create/update its tickets, in-process (no worker)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from config.settings import load_settings
from worker.errors import UserError
from worker.sync.pipeline import SyncResult, ingest, preview, sync

_COLUMNS = ("action", "tracker", "ticket", "assignee", "owner", "result", "reason")
_TITLE_WIDTH = 48


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="create or update the tickets for a postmortem's action items",
        description="Parse a postmortem and create one ticket per action item in its team's tracker. "
        "Safe to re-run: existing tickets are found by label, and human edits are kept.",
    )
    parser.add_argument("path", metavar="PATH", help="postmortem file, or - for stdin")
    parser.add_argument("--team", help="owning team (default: the document's metadata, else default_team)")
    parser.add_argument("--dry-run", action="store_true", help="show the plan; make no write call")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    parser.set_defaults(func=run)


def read_input(path: str, *, max_bytes: int) -> tuple[bytes, str, str | None]:
    """The document's bytes, its source URI and file name; UserError for anything unreadable."""
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


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    content, source, filename = read_input(args.path, max_bytes=settings.max_document_bytes)
    if args.dry_run:
        # Nothing is stored: a previewed draft must not become what later syncs act on.
        result = preview(settings, content=content, source=source, team=args.team, filename=filename)
    else:
        ingested = ingest(settings, content=content, source=source, team=args.team, filename=filename)
        result = sync(settings, ingested.postmortem_key)
    if result.dry_run and not args.dry_run:
        tracker = settings.teams[result.team].tracker if result.team in settings.teams else "tracker"
        print(
            f"followthrough: no {tracker} credentials configured for team {result.team}: "
            "dry run, nothing written",
            file=sys.stderr,
        )
    if args.format == "json":
        print(json.dumps(result_json(result), indent=2, ensure_ascii=False))
    else:
        print(render_table(result))
    return 1 if result.failed else 0


def result_json(result: SyncResult) -> dict[str, Any]:
    """The sync result as one JSON object."""
    error = result.retry_error
    return {
        "postmortem": result.postmortem_key,
        "team": result.team,
        "dry_run": result.dry_run,
        "dry_run_reason": result.dry_run_reason or None,
        "counts": result.counts(),
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


def _cell(text: str | None, width: int | None = None) -> str:
    value = " ".join((text or "-").split())
    if width is not None and len(value) > width:
        value = value[: width - 1] + "…"
    return value


def render_table(result: SyncResult) -> str:
    """A plain aligned table, one row per item, and a one-line summary."""
    rows = [
        (
            _cell(item.title, _TITLE_WIDTH),
            _cell(item.tracker),
            _cell(item.ticket_url or item.ticket),
            _cell(item.assignee),
            _cell(item.owner_resolution),
            _cell(item.result),
            _cell(item.reason or ""),
        )
        for item in result.items
    ]
    header = tuple(c.upper() for c in _COLUMNS)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(_COLUMNS) - 1)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
    counts = ", ".join(f"{n} {k}" for k, n in sorted(result.counts().items())) or "no action items"
    mode = " (dry run)" if result.dry_run else ""
    lines.append(f"\npostmortem {result.postmortem_key}, team {result.team}{mode}: {counts}")
    if result.retry_error is not None:
        lines.append(f"retry needed: {type(result.retry_error).__name__}: {result.retry_error}")
    return "\n".join(lines)
