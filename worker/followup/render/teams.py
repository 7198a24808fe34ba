"""Microsoft Teams rendering: an Adaptive Card in a message attachment (Workflows / Power Automate webhook).

Document text goes into `TextRun`s of `RichTextBlock`s, which Teams shows literally (no Markdown), so a
title like `[click](http://evil)` or `<at>everyone</at>` stays text.
"""

from __future__ import annotations

from typing import Any

from worker.followup.items import ItemState
from worker.followup.render import escape
from worker.followup.render.common import assignee_text, due_text, period_text, summary_pairs, timing
from worker.followup.report import ReportLine, TeamReport

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"
#: Teams rejects cards over ~28 KB; long reports are cut with a note.
MAX_LINES = 120

Element = dict[str, Any]


def _run(text: str, *, url: str | None = None, bold: bool = False, color: str | None = None) -> Element:
    run: Element = {"type": "TextRun", "text": text}
    if bold:
        run["weight"] = "Bolder"
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
    item = line.item
    color = {ItemState.OVERDUE: "Attention", ItemState.DUE_SOON: "Warning"}.get(line.state)
    runs = [_run("• " + escape.oneline(item.title)), _run(" — ")]
    runs.append(_run(escape.oneline(item.ticket_key or "no ticket"), url=item.ticket_url))
    runs.append(_run(f" — {escape.oneline(assignee_text(line))} — due {due_text(line)} — "))
    runs.append(_run(timing(line) + (" (escalated)" if line.escalate else ""), bold=True, color=color))
    return _rich(*runs, spacing="Small")


def render_teams(report: TeamReport) -> dict[str, Any]:
    """The report as a Teams message: one Adaptive Card attachment."""
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
    shown = 0
    total = sum(len(owner.lines) for owner in report.owners)
    for owner in report.owners:
        if shown >= MAX_LINES:
            break
        body.append(_rich(_run(escape.oneline(owner.owner), bold=True), spacing="Large"))
        for group in owner.postmortems:
            if shown >= MAX_LINES:
                break
            heading = _run(escape.oneline(group.title), url=group.url, color="Accent")
            body.append(_rich(heading, spacing="Small"))
            for line in group.lines[: MAX_LINES - shown]:
                body.append(_line(line))
                shown += 1
    if shown < total:
        body.append(_rich(_run(f"…{total - shown} more actions not shown; run `followthrough report` "
                               "for the full list")))
    if not report.owners:
        body.append(_rich(_run("Nothing open. All clear.", color="Good")))
    if report.dropped:
        body.append(_rich(_run("Dropped this period", bold=True), spacing="Large"))
        body += [_rich(_run("• " + escape.oneline(line.item.title) + " — "),
                       _run(escape.oneline(line.item.ticket_key or "no ticket"), url=line.item.ticket_url))
                 for line in report.dropped]
    card = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": CARD_VERSION, "body": body,
            "msteams": {"width": "Full"}}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
