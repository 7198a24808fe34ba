"""Plain-text rendering: the CLI table and the plain-text alternative of the email, at most 100 columns."""

from __future__ import annotations

import textwrap

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

#: Widest line the text report prints (fits a 100-column terminal; most lines fit 80).
WIDTH = 100


def _wrap(text: str, indent: str, *, hanging: str | None = None) -> list[str]:
    """`text` on lines of at most WIDTH columns; long words (URLs) are broken rather than overflow."""
    return textwrap.wrap(text, width=WIDTH, initial_indent=indent,
                         subsequent_indent=hanging if hanging is not None else indent,
                         break_long_words=True, break_on_hyphens=False) or [indent.rstrip()]


def _line(line: ReportLine) -> list[str]:
    # The owner is the heading above, so the line does not repeat it.
    item = line.item
    flag = " [escalated]" if line.escalate else ""
    status = f"      {timing(line)}{flag} | due {due_text(line)} | "
    key = escape.oneline(item.ticket_key or "no ticket", limit=40)
    url = escape.oneline(item.ticket_url or "")
    ticket = url if url and len(status) + len(url) <= WIDTH else key
    return [*_wrap(f"- {escape.oneline(item.title)}", "    ", hanging="      "), status + ticket]


def render_text(report: TeamReport) -> str:
    """The report as plain text (no markup, so nothing to escape beyond control characters)."""
    title = escape.oneline(report.title, limit=WIDTH)
    out = [title, "=" * len(title), period_text(report), ""]
    width = max(len(label) for label, _ in summary_pairs(report.summary))
    out += [f"{label.ljust(width)}  {value}" for label, value in summary_pairs(report.summary)]
    out.append("")
    if report.escalations and not report.escalation and report.escalate_to_names:
        names = ", ".join(escape.oneline(name) for name in report.escalate_to_names)
        out += [*_wrap(f"{len(report.escalations)} item(s) escalated to {names}.", ""), ""]
    for owner in report.owners:
        out.append(escape.oneline(owner.owner, limit=WIDTH))
        for group in owner.postmortems:
            heading = escape.oneline(group.title)
            url = escape.oneline(group.url or "")
            if url and len(heading) + len(url) + 5 <= WIDTH:
                out.append(f"  {heading} <{url}>")
            else:
                out += _wrap(heading, "  ") + (_wrap(f"<{url}>", "  ") if url else [])
            for line in group.lines:
                out += _line(line)
        if more := more_text(owner):
            out.append(f"    ({more})")
        out.append("")
    if not report.owners and not report.hidden_owners:
        out += [nothing_text(report), ""]
    if report.dropped:
        out.append("Dropped this period")
        for line in report.dropped:
            ticket = escape.oneline(line.item.ticket_url or line.item.ticket_key or "no ticket")
            out += _wrap(f"- {escape.oneline(line.item.title)} ({ticket})", "  ", hanging="    ")
        out.append("")
    for note in digest_notes(report):
        out += _wrap(note, "")
    if report.full_report_url:
        out += _wrap(f"Full report: {report.full_report_url}", "")
    elif report.digest:
        out += _wrap(full_report_hint(report), "")
    return "\n".join(out).rstrip() + "\n"
