"""JSON rendering of a report (for `followthrough report --format json` and other programs)."""

from __future__ import annotations

from typing import Any

from worker.followup.report import ReportLine, TeamReport


def _line(line: ReportLine) -> dict[str, Any]:
    item = line.item
    return {
        "fingerprint": item.fingerprint, "title": item.title,
        "ticket": item.ticket_key, "url": item.ticket_url,
        "tracker": item.tracker, "assignee": item.assignee, "assignee_name": item.assignee_name,
        "owner": item.owner, "postmortem": item.postmortem_key, "kind": item.kind, "priority": item.priority,
        "state": line.state.value, "due": line.due.isoformat() if line.due else None,
        "days_overdue": line.days_overdue, "days_left": line.days_left, "escalate": line.escalate,
    }


def render_json(report: TeamReport) -> dict[str, Any]:
    """The report as plain JSON-ready data (text is left as is: JSON encoding is the escaping)."""
    s = report.summary
    return {
        "team": report.team,
        "generated_at": report.generated_at.isoformat(),
        "timezone": report.timezone,
        "period": {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()},
        "summary": {"open": s.open, "overdue": s.overdue, "due_soon": s.due_soon,
                    "done_this_period": s.done_this_period, "dropped": s.dropped, "due_so_far": s.due_so_far,
                    "done_on_time": s.done_on_time, "completion_rate": s.completion_rate},
        "owners": [{"owner": owner.owner, "postmortems": [
            {"key": group.key, "title": group.title, "url": group.url,
             "items": [_line(line) for line in group.lines]}
            for group in owner.postmortems]} for owner in report.owners],
        "escalations": [_line(line) for line in report.escalations],
        "escalate_to": list(report.escalate_to_names),
        "dropped": [_line(line) for line in report.dropped],
        "history": [{"day": p.day.isoformat(), "open": p.open, "overdue": p.overdue} for p in report.history],
    }
