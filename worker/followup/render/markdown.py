"""Markdown rendering of a report (for `followthrough report --format markdown`, chat tools, Apprise)."""

from __future__ import annotations

from worker.followup.render import escape
from worker.followup.render.common import (
    digest_notes,
    due_text,
    full_report_hint,
    more_text,
    nothing_text,
    period_text,
    summary_pairs,
    timing,
)
from worker.followup.report import ReportLine, TeamReport


def _link(text: str, url: str | None) -> str:
    label = escape.markdown(escape.oneline(text))
    return f"[{label}](<{escape.safe_url(url)}>)" if url else label


def _line(line: ReportLine) -> str:
    # The owner is the heading above, so the line does not repeat it.
    item = line.item
    ticket = _link(item.ticket_key or "no ticket", item.ticket_url) if item.ticket_key else "no ticket"
    flag = " **escalated**" if line.escalate else ""
    return (f"- {escape.markdown(escape.oneline(item.title))} — {ticket} — due {due_text(line)} — "
            f"**{timing(line)}**{flag}")


def render_markdown(report: TeamReport) -> str:
    """The report as Markdown; document text is escaped, our own wording is not."""
    out = [f"# {escape.markdown(report.title)}", "", f"_{escape.markdown(period_text(report))}_", ""]
    out += ["| Summary | |", "|---|---|"]
    out += [f"| {label} | {value} |" for label, value in summary_pairs(report.summary)]
    out.append("")
    if report.escalations and not report.escalation:
        names = ", ".join(escape.markdown(escape.oneline(name)) for name in report.escalate_to_names)
        out.append(f"**{len(report.escalations)} escalated** (overdue past the threshold)"
                   + (f", escalated to {names}" if names else "") + ".")
        out.append("")
    for owner in report.owners:
        out += [f"## {escape.markdown(escape.oneline(owner.owner))}", ""]
        for group in owner.postmortems:
            out.append(f"### {_link(group.title, group.url)}")
            out.append("")
            out += [_line(line) for line in group.lines]
            out.append("")
        if more := more_text(owner):
            out += [f"_{more}_", ""]
    if not report.owners and not report.hidden_owners:
        out += [nothing_text(report), ""]
    if report.dropped:
        out += ["## Dropped this period", ""]
        out += [f"- {escape.markdown(escape.oneline(line.item.title))} — "
                f"{_link(line.item.ticket_key or 'no ticket', line.item.ticket_url)}"
                for line in report.dropped]
        out.append("")
    out += [f"_{note}_" for note in digest_notes(report)]
    if report.full_report_url:
        out.append(f"[Full report](<{escape.safe_url(report.full_report_url)}>)")
    elif report.digest:
        out.append(f"_{escape.markdown(full_report_hint(report))}_")
    return "\n".join(out).rstrip() + "\n"
