"""Markdown rendering of a report (for `followthrough report --format markdown`, chat tools, Apprise)."""

from __future__ import annotations

from worker.followup.render import escape
from worker.followup.render.common import due_text, timing
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


class _MarkdownWriter(OutlineWriter):
    def __init__(self) -> None:
        self.out: list[str] = []

    def title(self, section: Title) -> None:
        self.out += [f"# {escape.markdown(section.text)}", ""]

    def period(self, section: Period) -> None:
        self.out += [f"_{escape.markdown(section.text)}_", ""]

    def summary(self, section: SummaryTable) -> None:
        self.out += ["| Summary | |", "|---|---|"]
        self.out += [f"| {label} | {value} |" for label, value in section.pairs]
        self.out.append("")

    def escalation(self, section: Escalation) -> None:
        names = ", ".join(escape.markdown(escape.oneline(name)) for name in section.names)
        self.out.append(f"**{section.count} escalated** (overdue past the threshold)"
                        + (f", escalated to {names}" if names else "") + ".")
        self.out.append("")

    def history(self, section: History) -> None:
        pass  # no chart in Markdown

    def owner(self, section: Owner) -> None:
        self.out += [f"## {escape.markdown(escape.oneline(section.name))}", ""]
        for group in section.postmortems:
            self.out.append(f"### {_link(group.title, group.url)}")
            self.out.append("")
            self.out += [_line(line) for line in group.lines]
            self.out.append("")
        if section.more:
            self.out += [f"_{section.more}_", ""]

    def all_clear(self, section: AllClear) -> None:
        self.out += [section.text, ""]

    def dropped(self, section: Dropped) -> None:
        self.out += ["## Dropped this period", ""]
        self.out += [f"- {escape.markdown(escape.oneline(line.item.title))} — "
                     f"{_link(line.item.ticket_key or 'no ticket', line.item.ticket_url)}"
                     for line in section.lines]
        self.out.append("")

    def closing(self, section: Closing) -> None:
        self.out += [f"_{note}_" for note in section.notes]
        if section.link:
            self.out.append(f"[Full report](<{escape.safe_url(section.link)}>)")
        elif section.hint:
            self.out.append(f"_{escape.markdown(section.hint)}_")


def render_markdown(report: TeamReport) -> str:
    """The report as Markdown; document text is escaped, our own wording is not."""
    writer = _MarkdownWriter()
    write(outline(report), writer)
    return "\n".join(writer.out).rstrip() + "\n"
