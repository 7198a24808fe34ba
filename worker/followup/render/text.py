"""Plain-text rendering: the CLI table and the plain-text alternative of the email."""

from __future__ import annotations

from worker.followup.render import escape
from worker.followup.render.common import assignee_text, due_text, period_text, summary_pairs, timing
from worker.followup.report import ReportLine, TeamReport


def _line(line: ReportLine) -> str:
    item = line.item
    ticket = item.ticket_url or item.ticket_key or "no ticket"
    flag = "  [escalated]" if line.escalate else ""
    return (f"    - {escape.oneline(item.title)}\n"
            f"      {escape.oneline(ticket)} | {escape.oneline(assignee_text(line))} | "
            f"due {due_text(line)} | {timing(line)}{flag}")


def render_text(report: TeamReport) -> str:
    """The report as plain text (no markup, so nothing to escape beyond control characters)."""
    out = [report.title, "=" * len(report.title), period_text(report), ""]
    width = max(len(label) for label, _ in summary_pairs(report.summary))
    out += [f"{label.ljust(width)}  {value}" for label, value in summary_pairs(report.summary)]
    out.append("")
    if report.escalations and not report.escalation and report.escalate_to_names:
        names = ", ".join(escape.oneline(name) for name in report.escalate_to_names)
        out += [f"{len(report.escalations)} item(s) escalated to {names}.", ""]
    for owner in report.owners:
        out.append(escape.oneline(owner.owner))
        for group in owner.postmortems:
            out.append(f"  {escape.oneline(group.title)}" + (f" <{group.url}>" if group.url else ""))
            out += [_line(line) for line in group.lines]
        out.append("")
    if not report.owners:
        out += ["Nothing open. All clear.", ""]
    if report.dropped:
        out.append("Dropped this period")
        out += [f"  - {escape.oneline(line.item.title)} ({line.item.ticket_url or line.item.ticket_key})"
                for line in report.dropped]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
