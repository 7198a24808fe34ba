"""`followthrough parse PATH [--format table|json]`: show the action items found in one postmortem."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from config.settings import load_settings
from worker.cli.render import print_postmortem
from worker.models import Postmortem
from worker.parse import DEFAULT_BUDGET_SECONDS, ParseError, parse_document


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("parse", help="extract the action items of one postmortem")
    parser.add_argument("path", metavar="PATH", help="postmortem file, or - for standard input")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    parser.set_defaults(func=run)


def read_input(path: str, *, max_bytes: int) -> tuple[bytes, str | None]:
    """The document's bytes and file name; refuses missing, unreadable and oversized input."""
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


def parse_path(path: str, *, max_bytes: int, budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> Postmortem:
    """Parse a file or stdin ("-"); errors name the path."""
    data, name = read_input(path, max_bytes=max_bytes)
    try:
        return parse_document(data, filename=name, max_bytes=max_bytes, budget_seconds=budget_seconds)
    except ParseError as exc:
        raise ParseError(f"{path}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    postmortem = parse_path(
        args.path, max_bytes=settings.max_document_bytes, budget_seconds=settings.parse_budget_seconds
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(postmortem.to_json(), ensure_ascii=False) + "\n")
    else:
        print_postmortem(postmortem, source=args.path)
    return 0
