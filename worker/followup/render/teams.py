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


def render_teams(report: TeamReport) -> dict[str, Any]:
    """The report as a Teams message: one Adaptive Card attachment (fit a digest with `fit.fit_teams`)."""
    body: list[Element] = [
        {"type": "TextBlock", "text": escape.oneline(report.title), "size": "Large", "weight": "Bolder",
         "wrap": True},
        _rich(_run(period_text(report), color="Accent")),
        {"type": "FactSet", "facts": [{"title": label, "value": value}
                                      for label, value in summary_pairs(report.summary)]},
    ]
    if report.escalations and not report.escalation:
        names = ", ".join(escape.oneline(name) for name in report.escalate_to_names)
        body.append(_rich(_run(f"{len(report.escalations)} escalated (overdue past the threshold)"
                               + (f", escalated to {names}" if names else ""), bold=True, color="Attention")))
    for owner in report.owners:
        body.append(_rich(_run(escape.oneline(owner.owner), bold=True), spacing="Large"))
        for group in owner.postmortems:
            heading = _run(escape.oneline(group.title, limit=150), url=group.url, color="Accent")
            body.append(_rich(heading, spacing="Small"))
            body += [_line(line) for line in group.lines]
        if more := more_text(owner):
            body.append(_rich(_run(more, italic=True), spacing="Small"))
    if not report.owners and not report.hidden_owners:
        body.append(_rich(_run(nothing_text(report), color="Good")))
    if report.dropped:
        body.append(_rich(_run("Dropped this period", bold=True), spacing="Large"))
        body += [_rich(_run("• " + escape.oneline(line.item.title, limit=200) + " — "),
                       _run(escape.oneline(line.item.ticket_key or "no ticket"), url=line.item.ticket_url))
                 for line in report.dropped]
    body += [_rich(_run(note, italic=True), spacing="Medium") for note in digest_notes(report)]
    if report.full_report_url:
        body.append(_rich(_run("Full report", url=report.full_report_url, color="Accent"), spacing="Medium"))
    elif report.digest:
        body.append(_rich(_run(full_report_hint(report), italic=True), spacing="Medium"))
    card = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": CARD_VERSION, "body": body,
            "msteams": {"width": "Full"}}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def payload_bytes(payload: dict[str, Any]) -> int:
    """The larger of the payload's two sizes: as Apprise's template file, and as posted (ASCII JSON)."""
    return max(len(template_json(payload).encode("utf-8")), len(json.dumps(payload).encode("utf-8")))


def fits_teams(payload: dict[str, Any]) -> bool:
    """Whether a Teams message is within Teams' and Apprise's size limits."""
    return payload_bytes(payload) <= MAX_BYTES
