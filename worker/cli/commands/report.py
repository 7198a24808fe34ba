"""`followthrough report`: print each team's follow-up report; with --send, deliver this period's."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from worker.cli.complete import team_names
from worker.cli.exits import EXIT_DRY_RUN_FALLBACK, EXIT_OK, EXIT_PARTIAL
from worker.cli.options import parse_at

if TYPE_CHECKING:
    from worker.followup.report import TeamReport

FORMATS = ("table", "json", "markdown", "html")


@click.command(
    "report",
    help="Print each team's follow-up report. Nothing is sent unless --send is given; a send delivers at "
    "most one report per team and scheduled period.",
)
@click.option("--team", shell_complete=team_names, help="Only this team (default: every configured team).")
@click.option("--send", is_flag=True,
              help="Deliver this period's report to the team's channels (once per period).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Output format.")
@click.option("--refresh", is_flag=True, help="Read current ticket states from the trackers first.")
@click.option("--at", metavar="ISO-DATETIME",
              help="Report as of this moment (with a UTC offset), e.g. to preview next Monday.")
def command(team: str | None, send: bool, fmt: str, refresh: bool, at: str | None) -> int:
    from config.settings import load_settings
    from worker.cli.progress import spinner
    from worker.errors import UserError
    from worker.followup import jobs
    from worker.store.tracked import open_followup_store

    settings = load_settings()
    now = parse_at(at)
    teams = jobs.select_teams(settings, team)
    if not teams:
        raise UserError("no teams configured (add `teams:` to the file in FOLLOWTHROUGH_CONFIG)")
    skipped = False
    with open_followup_store(settings) as store:
        if refresh:
            with spinner("refreshing ticket states"):
                outcome = jobs.refresh(settings, store, now, team=team)
            for destination in outcome.skipped:
                print(f"refresh: {destination} skipped (no tracker credentials)", file=sys.stderr)
            skipped = bool(outcome.skipped)
        _print([jobs.team_report(settings, store, name, now) for name in teams], fmt)
        if not send:
            # A refresh that could not read a tracker did not do what was asked.
            return EXIT_DRY_RUN_FALLBACK if skipped else EXIT_OK
        failed = False
        for result in jobs.send_reports(settings, store, now, team=team):
            channels = ", ".join(f"{o.target or o.channel}: {o.state}" for o in result.channels)
            print(f"send {result.team}: {result.decision}" + (f" ({channels})" if channels else ""),
                  file=sys.stderr)
            failed = failed or bool(result.failed)
        if failed:
            return EXIT_PARTIAL
        return EXIT_DRY_RUN_FALLBACK if skipped else EXIT_OK


def _print(reports: list[TeamReport], fmt: str) -> None:
    """The reports in the chosen format on stdout (the table at the terminal's width, at most 100)."""
    from worker.followup.render.email import render_html
    from worker.followup.render.json import render_json
    from worker.followup.render.markdown import render_markdown
    from worker.followup.render.text import render_text

    if fmt == "json":
        from worker.cli.output import print_json

        print_json([render_json(report) for report in reports])
    elif fmt == "html":
        print(render_html(reports))
    elif fmt == "table":
        from worker.cli.render import default_console

        width = min(default_console().width, 100)  # the terminal's, never past the report's own limit
        print("\n".join(render_text(report, width=width) for report in reports))
    else:
        print("\n".join(render_markdown(report) for report in reports))
