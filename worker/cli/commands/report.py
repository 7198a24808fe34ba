"""`followthrough report`: print each team's follow-up report; with --send, deliver this period's."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from config.settings import load_settings
from worker.errors import UserError

FORMATS = ("table", "json", "markdown", "html")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="show (and with --send deliver) the overdue follow-up report of each team",
        description="Print each team's follow-up report. Nothing is sent unless --send is given; a send "
        "delivers at most one report per team and scheduled period.",
    )
    parser.add_argument("--team", help="only this team (default: every configured team)")
    parser.add_argument("--send", action="store_true",
                        help="deliver this period's report to the team's channels (once per period)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("--refresh", action="store_true",
                        help="read current ticket states from the trackers first")
    parser.add_argument("--at", metavar="ISO-DATETIME",
                        help="report as of this moment (with a UTC offset), e.g. to preview next Monday")
    parser.set_defaults(func=run)


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--at: {text!r} is not an ISO date-time (e.g. 2026-03-30T09:00+02:00)") from None
    if moment.tzinfo is None:
        raise UserError(f"--at: {text!r} has no UTC offset (add e.g. +00:00)")
    return moment


def run(args: argparse.Namespace) -> int:
    from worker.followup import jobs
    from worker.followup.render.email import render_html
    from worker.followup.render.json import render_json
    from worker.followup.render.markdown import render_markdown
    from worker.followup.render.text import render_text
    from worker.followup.storage import open_followup_store

    settings = load_settings()
    now = _moment(args.at)
    teams = jobs.select_teams(settings, args.team)
    if not teams:
        raise UserError("no teams configured (add `teams:` to the file in FOLLOWTHROUGH_CONFIG)")
    with open_followup_store(settings) as store:
        if args.refresh:
            outcome = jobs.refresh(settings, store, now, team=args.team)
            for destination in outcome.skipped:
                print(f"refresh: {destination} skipped (no tracker credentials)", file=sys.stderr)
        reports = [jobs.team_report(settings, store, team, now) for team in teams]
        if args.format == "json":
            print(json.dumps([render_json(report) for report in reports], indent=2))
        else:
            if args.format == "html":
                print(render_html(reports))
            else:
                render = render_text if args.format == "table" else render_markdown
                print("\n".join(render(report) for report in reports))
        if not args.send:
            return 0
        failed = False
        for result in jobs.send_reports(settings, store, now, team=args.team):
            channels = ", ".join(f"{o.target or o.channel}: {o.state}" for o in result.channels)
            print(f"send {result.team}: {result.decision}" + (f" ({channels})" if channels else ""),
                  file=sys.stderr)
            failed = failed or bool(result.failed)
        return 1 if failed else 0
