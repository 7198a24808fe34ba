"""Microsoft Teams rendering: an Adaptive Card in a message attachment (Workflows / Power Automate webhook).

Document text goes into `TextRun`s of `RichTextBlock`s, which Teams shows literally (no Markdown), so a
title like `[click](http://evil)` or `<at>everyone</at>` stays text.
"""

from __future__ import annotations

import json
from typing import Any

from connectors.notify import template_json
from worker.followup.items import ItemState
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

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"
#: Teams answers 413 above about 28 KB (less when the charset is not declared), and Apprise's Workflows
#: plugin refuses templates over 35,000 bytes; keep the posted JSON under this many bytes.
MAX_BYTES = 26_000

Element = dict[str, Any]


def _run(text: str, *, url: str | None = None, bold: bool = False, color: str | None = None,
         italic: bool = False) -> Element:
    run: Element = {"type": "TextRun", "text": text}
    if bold:
        run["weight"] = "Bolder"
    if italic:
        run["italic"] = True
    if color:
        run["color"] = color
    if url:
        run["selectAction"] = {"type": "Action.OpenUrl", "url": escape.safe_url(url)}
    return run


def _rich(*runs: Element, spacing: str | None = None) -> Element:
    block: Element = {"type": "RichTextBlock", "inlines": list(runs)}
    if spacing:
        block["spacing"] = spacing
    return block


def _line(line: ReportLine) -> Element:
    # The owner is the heading above, so the line does not repeat it.
    item = line.item
    color = {ItemState.OVERDUE: "Attention", ItemState.DUE_SOON: "Warning"}.get(line.state)
    runs = [_run("• " + escape.oneline(item.title, limit=200)), _run(" — ")]
    runs.append(_run(escape.oneline(item.ticket_key or "no ticket"), url=item.ticket_url))
    runs.append(_run(f" — due {due_text(line)} — "))
    runs.append(_run(timing(line) + (" (escalated)" if line.escalate else ""), bold=True, color=color))
    return _rich(*runs, spacing="Small")


def card_message(body: list[Element], *, full_width: bool = False) -> dict[str, Any]:
    """A Teams message holding one Adaptive Card with this body."""
    card: Element = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": CARD_VERSION, "body": body}
    if full_width:
        card["msteams"] = {"width": "Full"}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


class _TeamsWriter(OutlineWriter):
    def __init__(self) -> None:
        self.body: list[Element] = []

    def title(self, section: Title) -> None:
        self.body.append({"type": "TextBlock", "text": escape.oneline(section.text), "size": "Large",
                          "weight": "Bolder", "wrap": True})

    def period(self, section: Period) -> None:
        self.body.append(_rich(_run(section.text, color="Accent")))

    def summary(self, section: SummaryTable) -> None:
        self.body.append({"type": "FactSet", "facts": [{"title": label, "value": value}
                                                       for label, value in section.pairs]})

    def escalation(self, section: Escalation) -> None:
        names = ", ".join(escape.oneline(name) for name in section.names)
        self.body.append(_rich(_run(f"{section.count} escalated (overdue past the threshold)"
                                    + (f", escalated to {names}" if names else ""), bold=True,
                                    color="Attention")))

    def history(self, section: History) -> None:
        pass  # no chart in the card

    def owner(self, section: Owner) -> None:
        self.body.append(_rich(_run(escape.oneline(section.name), bold=True), spacing="Large"))
        for group in section.postmortems:
            heading = _run(escape.oneline(group.title, limit=150), url=group.url, color="Accent")
            self.body.append(_rich(heading, spacing="Small"))
            self.body += [_line(line) for line in group.lines]
        if section.more:
            self.body.append(_rich(_run(section.more, italic=True), spacing="Small"))

    def all_clear(self, section: AllClear) -> None:
        self.body.append(_rich(_run(section.text, color="Good")))

    def dropped(self, section: Dropped) -> None:
        self.body.append(_rich(_run("Dropped this period", bold=True), spacing="Large"))
        for line in section.lines:
            ticket = _run(escape.oneline(line.item.ticket_key or "no ticket"), url=line.item.ticket_url)
            self.body.append(_rich(_run("• " + escape.oneline(line.item.title, limit=200) + " — "), ticket))

    def closing(self, section: Closing) -> None:
        self.body += [_rich(_run(note, italic=True), spacing="Medium") for note in section.notes]
        if section.link:
            self.body.append(_rich(_run("Full report", url=section.link, color="Accent"), spacing="Medium"))
        elif section.hint:
            self.body.append(_rich(_run(section.hint, italic=True), spacing="Medium"))


def render_teams(report: TeamReport) -> dict[str, Any]:
    """The report as a Teams message: one Adaptive Card attachment (fit a digest with `fit.fit_teams`)."""
    writer = _TeamsWriter()
    write(outline(report), writer)
    return card_message(writer.body, full_width=True)


def payload_bytes(payload: dict[str, Any]) -> int:
    """The larger of the payload's two sizes: as Apprise's template file, and as posted (ASCII JSON)."""
    return max(len(template_json(payload).encode("utf-8")), len(json.dumps(payload).encode("utf-8")))


def fits_teams(payload: dict[str, Any]) -> bool:
    """Whether a Teams message is within Teams' and Apprise's size limits."""
    return payload_bytes(payload) <= MAX_BYTES
