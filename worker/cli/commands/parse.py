"""`followthrough parse PATH [--format table|json]`: show the action items found in one postmortem."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from worker.cli.output import FORMAT_CHOICES

if TYPE_CHECKING:
    from worker.models import Postmortem


def read_input(path: str, *, max_bytes: int) -> tuple[bytes, str | None]:
    """The document's bytes and file name; refuses missing, unreadable and oversized input."""
    from worker.parse.errors import ParseError

    if path == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        name = None
    else:
        file = Path(path)
        if not file.exists():
            raise ParseError(f"{path}: no such file")
        if file.is_dir():
            raise ParseError(f"{path}: is a directory, not a document")
        try:
            with file.open("rb") as handle:
                data = handle.read(max_bytes + 1)  # never read more than the limit allows
        except OSError as exc:
            raise ParseError(f"{path}: cannot read: {exc.strerror or exc}") from None
        name = file.name
    if len(data) > max_bytes:
        raise ParseError(
            f"{path}: the document is over the {max_bytes}-byte limit (FOLLOWTHROUGH_MAX_DOCUMENT_BYTES)"
        )
    return data, name


def parse_path(path: str, *, max_bytes: int, budget_seconds: float | None = None) -> Postmortem:
    """Parse a file or stdin ("-") under the size limit and time budget; errors name the path."""
    from worker.parse import DEFAULT_BUDGET_SECONDS, parse_document
    from worker.parse.errors import ParseError

    data, name = read_input(path, max_bytes=max_bytes)
    budget = DEFAULT_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    try:
        return parse_document(data, filename=name, max_bytes=max_bytes, budget_seconds=budget)
    except ParseError as exc:
        raise ParseError(f"{path}: {exc}") from None


def parse_limits() -> tuple[int, float]:
    """The parser's two limits; the settings module (pydantic-settings) is loaded only when needed."""
    from config.limits import environment_limits

    limits = environment_limits()
    if limits is not None:
        return limits
    from config.settings import load_settings

    settings = load_settings()
    return settings.max_document_bytes, settings.parse_budget_seconds


@click.command("parse", help="Extract the action items of one postmortem (PATH, or - for stdin).")
@click.argument("path", metavar="PATH")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True,
              help="Output format.")
def command(path: str, fmt: str) -> int:
    max_bytes, budget_seconds = parse_limits()
    postmortem = parse_path(path, max_bytes=max_bytes, budget_seconds=budget_seconds)
    if fmt == "json":
        from worker.cli.output import print_json

        print_json(postmortem.to_json())
    else:
        from worker.cli.render import print_postmortem

        print_postmortem(postmortem, source=path)
    return 0
