"""`followthrough parse PATH [--format table|json]`: show the action items found in one postmortem."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from worker.cli.output import FORMAT_CHOICES

if TYPE_CHECKING:
    from config.teams import ParseRules
    from worker.models import Postmortem
    from worker.parse.decide import Decision


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


def parse_path(
    path: str, *, max_bytes: int, budget_seconds: float | None = None, rules: ParseRules | None = None
) -> Postmortem:
    """Parse a file or stdin ("-") under the size limit and time budget; errors name the path."""
    return explain_path(path, max_bytes=max_bytes, budget_seconds=budget_seconds, rules=rules, explain=False)[
        0
    ]


def explain_path(
    path: str,
    *,
    max_bytes: int,
    budget_seconds: float | None = None,
    rules: ParseRules | None = None,
    explain: bool = True,
) -> tuple[Postmortem, list[Decision]]:
    """`parse_path`, and with `explain` every candidate the parser considered, taken or skipped, and why."""
    from worker.parse import DEFAULT_BUDGET_SECONDS, explain_document, parse_document
    from worker.parse.errors import ParseError

    data, name = read_input(path, max_bytes=max_bytes)
    budget = DEFAULT_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    try:
        if explain:
            return explain_document(
                data, filename=name, max_bytes=max_bytes, budget_seconds=budget, rules=rules
            )
        return parse_document(
            data, filename=name, max_bytes=max_bytes, budget_seconds=budget, rules=rules
        ), []
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_CHOICES),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Also list every candidate (list item, table row, line, sentence) taken or skipped, and why.",
)
@click.option(
    "--team",
    "team_name",
    metavar="TEAM",
    default=None,
    help="Read with this team's parse words (action sections, columns, markers) from its config.",
)
def command(path: str, fmt: str, explain: bool, team_name: str | None) -> int:
    # The whole command is one parse: the cyclic collector stays off for it, as for the parse itself
    # (worker/parse/gc_pause.py), and so also for the imports it makes first (the parser, markdown-it,
    # rich), where its passes over the freshly loaded modules took about 5% of the command.
    from worker.parse.gc_pause import collector_paused

    with collector_paused():
        return _parse_command(path, fmt, explain, team_name)


def _parse_command(path: str, fmt: str, explain: bool, team_name: str | None) -> int:
    from worker.parse.errors import ParseError

    rules = None
    if team_name is None:
        max_bytes, budget_seconds = parse_limits()  # without the settings module when it can
    else:
        from config.settings import load_settings

        settings = load_settings()
        team = settings.team(team_name)
        if team is None:
            raise ParseError(f"no team named {team_name!r} in the configuration")
        rules = team.parse
        max_bytes, budget_seconds = settings.max_document_bytes, settings.parse_budget_seconds
    postmortem, decisions = explain_path(
        path, max_bytes=max_bytes, budget_seconds=budget_seconds, rules=rules, explain=explain
    )
    if fmt == "json":
        from worker.cli.output import print_json

        data = postmortem.to_json()
        if explain:
            data["explain"] = [_decision_json(decision) for decision in decisions]
        print_json(data)
    else:
        from worker.cli.render import print_postmortem

        print_postmortem(postmortem, source=path)
        if explain:
            click.echo("\ncandidates:")
            for decision in decisions:
                click.echo("  " + decision.explain())
    return 0


def _decision_json(decision: Decision) -> dict[str, object]:
    return {
        "source": decision.source,
        "text": decision.text,
        "section": decision.section,
        "taken": decision.taken,
        "score": decision.score,
        "features": [{"feature": name, "weight": weight} for name, weight in decision.features],
        "veto": decision.veto,
        "title": decision.title if decision.taken else None,
    }
