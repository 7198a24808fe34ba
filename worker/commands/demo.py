"""`followthrough demo`: parse every bundled example postmortem and show its action items."""

from __future__ import annotations

import argparse
from importlib import resources

from rich.console import Console

from worker.models import Postmortem
from worker.parse import parse_document
from worker.render import default_console, print_postmortem

EXAMPLES_PACKAGE = "worker.examples"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="parse the bundled example postmortems (no services needed)")
    parser.set_defaults(func=run)


def example_documents() -> list[tuple[str, bytes]]:
    """(file name, bytes) of every bundled example, sorted by name."""
    folder = resources.files(EXAMPLES_PACKAGE)
    return sorted(
        (entry.name, entry.read_bytes())
        for entry in folder.iterdir()
        if entry.is_file() and not entry.name.startswith(("_", "."))
    )


def run_demo(*, console: Console | None = None) -> list[Postmortem]:
    """Parse and print every bundled example; returns the parsed postmortems."""
    out = console or default_console()
    parsed: list[Postmortem] = []
    for name, data in example_documents():
        postmortem = parse_document(data, filename=name)
        print_postmortem(postmortem, source=name, console=out)
        out.print()
        parsed.append(postmortem)
    return parsed


def run(args: argparse.Namespace) -> int:
    run_demo()
    return 0
