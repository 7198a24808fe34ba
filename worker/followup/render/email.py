"""Email rendering: a subject, an HTML body with the history chart, and a plain-text alternative."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from worker.followup.render import escape
from worker.followup.render.common import due_text, timing
from worker.followup.render.history_bars import history_bars
from worker.followup.render.outline import (
    AllClear,
    Closing,
    Dropped,
    Escalation,
    History,
    OutlineWriter,
    Owner,
    Period,
    SummaryTable,
    Title,
    outline,
    write,
)
from worker.followup.render.text import render_text
from worker.followup.report import ReportLine, TeamReport

_TD = 'style="padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top"'


@dataclass(frozen=True, slots=True)
class EmailReport:
    subject: str
    html: str
    text: str


def _a(text: str, url: str | None) -> str:
    label = escape.html_text(escape.oneline(text))
    return f'<a href="{escape.html_text(escape.safe_url(url))}">{label}</a>' if url else label


def _row(line: ReportLine) -> str:
    item = line.item
    color = "#d9534f" if line.days_overdue is not None else "#333"
    flag = " (escalated)" if line.escalate else ""
    return (f"<tr><td {_TD}>{escape.html_text(escape.oneline(item.title))}</td>"
            f"<td {_TD}>{_a(item.ticket_key or 'no ticket', item.ticket_url)}</td>"
            f"<td {_TD}>{due_text(line)}</td>"
            f'<td {_TD}><strong style="color:{color}">{timing(line)}{flag}</strong></td></tr>')


def subject(report: TeamReport) -> str:
    s = report.summary
    return escape.oneline(f"{report.title}: {s.overdue} overdue, {s.due_soon} due soon, {s.open} open")


class _HtmlWriter(OutlineWriter):
    def __init__(self) -> None:
        self.parts: list[str] = []

    def title(self, section: Title) -> None:
        self.parts.append(f"<h2>{escape.html_text(section.text)}</h2>")

    def period(self, section: Period) -> None:
        self.parts.append(f'<p style="color:#666">{escape.html_text(section.text)}</p>')

    def summary(self, section: SummaryTable) -> None:
        self.parts.append('<table role="presentation" class="summary" cellpadding="0" cellspacing="0">')
        self.parts += [f"<tr><th {_TD} align=left>{label}</th><td {_TD}>{escape.html_text(value)}</td></tr>"
                       for label, value in section.pairs]
        self.parts.append("</table>")

    def escalation(self, section: Escalation) -> None:
        names = ", ".join(escape.html_text(escape.oneline(name)) for name in section.names)
        self.parts.append(f'<p><strong style="color:#d9534f">{section.count} escalated</strong> '
                          "(overdue past the threshold)" + (f", escalated to {names}" if names else "")
                          + ".</p>")

    def history(self, section: History) -> None:
        self.parts.append(history_bars(section.points))

    def owner(self, section: Owner) -> None:
        name = escape.html_text(escape.oneline(section.name))
        self.parts.append(f'<h3 style="margin:20px 0 4px">{name}</h3>')
        for group in section.postmortems:
            self.parts.append(f'<p style="margin:8px 0 4px"><em>{_a(group.title, group.url)}</em></p>')
            self.parts.append('<table class="actions" cellpadding="0" cellspacing="0" '
                              'style="border-collapse:collapse">')
            self.parts.append(f"<tr><th {_TD} align=left>Action</th><th {_TD} align=left>Ticket</th>"
                              f"<th {_TD} align=left>Due</th>"
                              f"<th {_TD} align=left>Status</th></tr>")
            self.parts += [_row(line) for line in group.lines]
            self.parts.append("</table>")
        if section.more:
            more = escape.html_text(section.more)
            self.parts.append(f'<p style="margin:4px 0;color:#666"><em>{more}</em></p>')

    def all_clear(self, section: AllClear) -> None:
        self.parts.append(f"<p>{section.text}</p>")

    def dropped(self, section: Dropped) -> None:
        self.parts.append('<h3 style="margin:20px 0 4px">Dropped this period</h3><ul>')
        self.parts += [f"<li>{escape.html_text(escape.oneline(line.item.title))} — "
                       f"{_a(line.item.ticket_key or 'no ticket', line.item.ticket_url)}</li>"
                       for line in section.lines]
        self.parts.append("</ul>")

    def closing(self, section: Closing) -> None:
        self.parts += [f'<p style="color:#666"><em>{escape.html_text(note)}</em></p>'
                       for note in section.notes]
        if section.link:
            self.parts.append(f"<p>{_a('Full report', section.link)}</p>")
        elif section.hint:
            self.parts.append(f'<p style="color:#666"><code>{escape.html_text(section.hint)}</code></p>')


def html_fragment(report: TeamReport) -> str:
    """The report as HTML body content (inline styles, no images or scripts)."""
    writer = _HtmlWriter()
    write(outline(report), writer)
    return "".join(writer.parts)


def html_document(title: str, fragments: Sequence[str]) -> str:
    """One self-contained HTML document holding one or more report fragments."""
    separator = '<hr style="margin:32px 0;border:0;border-top:1px solid #ccc">'
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
            f"{escape.html_text(title)}</title></head>"
            '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#333">'
            + separator.join(fragments) + "</body></html>")


def render_html(reports: Sequence[TeamReport]) -> str:
    """Several teams' reports as one HTML document (`followthrough report --format html`)."""
    title = reports[0].title if len(reports) == 1 else "Follow-up reports"
    return html_document(title, [html_fragment(report) for report in reports])


def render_email(report: TeamReport) -> EmailReport:
    """The report as an email; the HTML is self-contained (inline styles, no images or scripts)."""
    return EmailReport(subject=subject(report), html=html_document(report.title, [html_fragment(report)]),
                       text=render_text(report))
