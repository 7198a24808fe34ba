"""Wording shared by every renderer (numbers, dates and states say the same thing everywhere)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from worker.followup.items import ItemState
from worker.followup.report import ReportLine, Summary, TeamReport

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
