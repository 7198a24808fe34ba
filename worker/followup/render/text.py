"""Plain-text rendering: the CLI table and the plain-text alternative of the email, at most 100 columns."""

from __future__ import annotations

import textwrap

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


class _TextWriter(OutlineWriter):
    def __init__(self) -> None:
        self.out: list[str] = []

    def title(self, section: Title) -> None:
        title = escape.oneline(section.text, limit=WIDTH)
        self.out += [title, "=" * len(title)]

    def period(self, section: Period) -> None:
        self.out += [section.text, ""]

    def summary(self, section: SummaryTable) -> None:
        width = max(len(label) for label, _ in section.pairs)
        self.out += [f"{label.ljust(width)}  {value}" for label, value in section.pairs]
        self.out.append("")

    def escalation(self, section: Escalation) -> None:
        # Plain text has always shown this line only when it names someone; the other channels show the count.
        if section.names:
            names = ", ".join(escape.oneline(name) for name in section.names)
            self.out += [*_wrap(f"{section.count} item(s) escalated to {names}.", ""), ""]

    def history(self, section: History) -> None:
        pass  # no chart in plain text

    def owner(self, section: Owner) -> None:
        self.out.append(escape.oneline(section.name, limit=WIDTH))
        for group in section.postmortems:
            heading = escape.oneline(group.title)
            url = escape.oneline(group.url or "")
            if url and len(heading) + len(url) + 5 <= WIDTH:
                self.out.append(f"  {heading} <{url}>")
            else:
                self.out += _wrap(heading, "  ") + (_wrap(f"<{url}>", "  ") if url else [])
            for line in group.lines:
                self.out += _line(line)
        if section.more:
            self.out.append(f"    ({section.more})")
        self.out.append("")

    def all_clear(self, section: AllClear) -> None:
        self.out += [section.text, ""]

    def dropped(self, section: Dropped) -> None:
        self.out.append("Dropped this period")
        for line in section.lines:
            ticket = escape.oneline(line.item.ticket_url or line.item.ticket_key or "no ticket")
            self.out += _wrap(f"- {escape.oneline(line.item.title)} ({ticket})", "  ", hanging="    ")
        self.out.append("")

    def closing(self, section: Closing) -> None:
        for note in section.notes:
            self.out += _wrap(note, "")
        if section.link:
            self.out += _wrap(f"Full report: {section.link}", "")
        elif section.hint:
            self.out += _wrap(section.hint, "")


def render_text(report: TeamReport) -> str:
    """The report as plain text (no markup, so nothing to escape beyond control characters)."""
    writer = _TextWriter()
    write(outline(report), writer)
    return "\n".join(writer.out).rstrip() + "\n"
