"""Wording shared by every renderer (numbers, dates and states say the same thing everywhere)."""

from __future__ import annotations

import shlex
from zoneinfo import ZoneInfo

from worker.followup.items import ItemState
from worker.followup.report import OwnerGroup, ReportLine, Summary, TeamReport

STATE_LABELS = {
    ItemState.OVERDUE: "overdue",
    ItemState.DUE_SOON: "due soon",
    ItemState.OPEN: "open",
    ItemState.DONE: "done",
    ItemState.DROPPED: "dropped",
}


def timing(line: ReportLine) -> str:
    """'3 days overdue', 'due today', '5 days left' or 'no due date'."""
    if line.days_overdue is not None:
        return f"{line.days_overdue} day{'s' if line.days_overdue != 1 else ''} overdue"
    if line.days_left is not None:
        if line.days_left == 0:
            return "due today"
        return f"{line.days_left} day{'s' if line.days_left != 1 else ''} left"
    if line.state is ItemState.DROPPED:
        return "dropped"
    return "no due date"


def due_text(line: ReportLine) -> str:
    return line.due.isoformat() if line.due else "—"


def rate_text(summary: Summary) -> str:
    rate = summary.completion_rate
    if rate is None:
        return "n/a (nothing due yet)"
    return f"{rate:.0%} ({summary.done_on_time} of {summary.due_so_far} done by their due date)"


def summary_pairs(summary: Summary) -> list[tuple[str, str]]:
    """The summary as (label, value) pairs, in display order."""
    return [
        ("Open", str(summary.open)),
        ("Overdue", str(summary.overdue)),
        ("Due soon", str(summary.due_soon)),
        ("Done this period", str(summary.done_this_period)),
        ("Completion rate", rate_text(summary)),
        ("Dropped", str(summary.dropped)),
    ]


def period_text(report: TeamReport) -> str:
    """When the report's period started, in the team's zone."""
    start = report.period.start.astimezone(ZoneInfo(report.timezone))
    return f"period starting {start:%Y-%m-%d %H:%M} {report.timezone}"


def assignee_text(line: ReportLine) -> str:
    return line.item.assignee_name or line.item.assignee or "unassigned"


def more_text(owner: OwnerGroup) -> str:
    """What a digest leaves out of one owner's list: 'and 3 more, 2 due later', or ''."""
    parts = []
    if owner.hidden:
        parts.append(f"and {owner.hidden} more overdue or due soon")
    if owner.later:
        parts.append(f"{owner.later} due later")
    return ", ".join(parts)


def digest_notes(report: TeamReport) -> list[str]:
    """The digest's notes on what it counts but does not list (empty for a full report)."""
    if not report.digest:
        return []
    notes = []
    if report.hidden_owners:
        notes.append(f"{report.hidden_owners} more owner{'s' if report.hidden_owners != 1 else ''} with "
                     f"{report.hidden_owner_items} overdue or due-soon action"
                     f"{'s' if report.hidden_owner_items != 1 else ''} not listed here.")
    if report.hidden_dropped:
        notes.append(f"{report.hidden_dropped} more dropped this period.")
    if report.later:
        notes.append(f"{report.later} open action{'s' if report.later != 1 else ''} due later "
                     "(counted, not listed).")
    return notes


def full_report_hint(report: TeamReport) -> str:
    """Where to read the full report when there is no dashboard link."""
    return f"Full report: followthrough report --team {shlex.quote(report.team)} --format html"


def nothing_text(report: TeamReport) -> str:
    """What a report with no actions listed says instead."""
    return "Nothing open. All clear." if report.summary.open == 0 else "Nothing overdue or due soon."
