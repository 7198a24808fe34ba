"""The report's outline, built once for every channel: a sequence of typed sections, and the writer hooks.

Each channel (text, Markdown, email, Slack, Teams) is an `OutlineWriter`: one method per kind of section,
saying how that channel shows it. `write` walks the outline and calls the matching method. A new kind of
section is a new dataclass here and a new abstract method on `OutlineWriter`, so every channel must say how
it shows it (a writer that does not is abstract and cannot be built; mypy and the render tests say so).

Sections hold the report's values and our own wording (from `common`), never escaped: each writer escapes
for its own markup.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from worker.followup.render.common import (
    digest_notes,
    full_report_hint,
    more_text,
    nothing_text,
    period_text,
    summary_pairs,
)
from worker.followup.report import PostmortemGroup, ReportLine, TeamReport
from worker.store.records import HistoryPoint


@dataclass(frozen=True, slots=True)
class Title:
    text: str

    def write_to(self, writer: OutlineWriter) -> None:
        writer.title(self)


@dataclass(frozen=True, slots=True)
class Period:
    text: str  # "period starting 2026-03-30 09:00 Europe/Berlin"

    def write_to(self, writer: OutlineWriter) -> None:
        writer.period(self)


@dataclass(frozen=True, slots=True)
class SummaryTable:
    pairs: tuple[tuple[str, str], ...]  # (label, value) in display order

    def write_to(self, writer: OutlineWriter) -> None:
        writer.summary(self)


@dataclass(frozen=True, slots=True)
class Escalation:
    """How many open actions are past the escalation threshold, and who they go to (names, not URLs)."""

    count: int
    names: tuple[str, ...]

    def write_to(self, writer: OutlineWriter) -> None:
        writer.escalation(self)


@dataclass(frozen=True, slots=True)
class History:
    points: tuple[HistoryPoint, ...]  # daily open and overdue counts, for a chart

    def write_to(self, writer: OutlineWriter) -> None:
        writer.history(self)


@dataclass(frozen=True, slots=True)
class Owner:
    """One owner's actions grouped by postmortem, and what a digest left out ('' when nothing)."""

    name: str
    postmortems: tuple[PostmortemGroup, ...]
    more: str

    def write_to(self, writer: OutlineWriter) -> None:
        writer.owner(self)


@dataclass(frozen=True, slots=True)
class AllClear:
    text: str  # what a report with no actions listed says instead

    def write_to(self, writer: OutlineWriter) -> None:
        writer.all_clear(self)


@dataclass(frozen=True, slots=True)
class Dropped:
    lines: tuple[ReportLine, ...]  # dropped since the start of the last period

    def write_to(self, writer: OutlineWriter) -> None:
        writer.dropped(self)


@dataclass(frozen=True, slots=True)
class Closing:
    """The digest's notes, then the link to the full report, or else the command that prints it."""

    notes: tuple[str, ...]
    link: str | None
    hint: str | None

    def write_to(self, writer: OutlineWriter) -> None:
        writer.closing(self)


Section = Title | Period | SummaryTable | Escalation | History | Owner | AllClear | Dropped | Closing


class OutlineWriter(ABC):
    """One channel's way of showing each kind of section; it collects its output as it goes."""

    @abstractmethod
    def title(self, section: Title) -> None: ...

    @abstractmethod
    def period(self, section: Period) -> None: ...

    @abstractmethod
    def summary(self, section: SummaryTable) -> None: ...

    @abstractmethod
    def escalation(self, section: Escalation) -> None: ...

    @abstractmethod
    def history(self, section: History) -> None: ...

    @abstractmethod
    def owner(self, section: Owner) -> None: ...

    @abstractmethod
    def all_clear(self, section: AllClear) -> None: ...

    @abstractmethod
    def dropped(self, section: Dropped) -> None: ...

    @abstractmethod
    def closing(self, section: Closing) -> None: ...


def outline(report: TeamReport) -> tuple[Section, ...]:
    """The report's sections in display order; a section with nothing to say is left out."""
    sections: list[Section] = [Title(report.title), Period(period_text(report)),
                               SummaryTable(tuple(summary_pairs(report.summary)))]
    # An escalation digest is itself the escalation: it does not announce it again.
    if report.escalations and not report.escalation:
        sections.append(Escalation(len(report.escalations), report.escalate_to_names))
    sections.append(History(report.history))
    sections += [Owner(owner.owner, owner.postmortems, more_text(owner)) for owner in report.owners]
    if not report.owners and not report.hidden_owners:
        sections.append(AllClear(nothing_text(report)))
    if report.dropped:
        sections.append(Dropped(report.dropped))
    hint = full_report_hint(report) if report.digest and not report.full_report_url else None
    sections.append(Closing(tuple(digest_notes(report)), report.full_report_url, hint))
    return tuple(sections)


def write(sections: Sequence[Section], writer: OutlineWriter) -> None:
    """Show each section through the writer, in order."""
    for section in sections:
        section.write_to(writer)
