"""Slack Block Kit rendering of a report (the message payload posted to an incoming webhook)."""

from __future__ import annotations

from typing import Any

from connectors.notify import template_json
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

# Slack's documented limits: 50 blocks per message, 3000 characters per section text, 150 per header,
# and message text past 40,000 characters is truncated.
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 40_000
#: Apprise's Slack plugin refuses a template file over 35,000 bytes; stay under it with a margin.
MAX_TEMPLATE_BYTES = 34_000

Block = dict[str, Any]


def _mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _line(line: ReportLine) -> str:
    # The owner is the section's heading, so the line does not repeat it.
    item = line.item
    title = escape.slack(escape.oneline(item.title, limit=200))
    if item.ticket_url:
        ticket = escape.slack_link(item.ticket_url, escape.oneline(item.ticket_key or "ticket"))
    else:
        ticket = escape.slack(escape.oneline(item.ticket_key or "no ticket"))
    flag = " :rotating_light: escalated" if line.escalate else ""
    return f"• {title} — {ticket} — due {due_text(line)} — *{timing(line)}*{flag}"


def _chunks(lines: list[str]) -> list[str]:
    """Join lines into section texts of at most MAX_SECTION characters."""
    chunks: list[str] = []
    current = ""
    for text in lines:
        text = text[:MAX_SECTION]
        if current and len(current) + 1 + len(text) > MAX_SECTION:
            chunks.append(current)
            current = text
        else:
            current = f"{current}\n{text}" if current else text
    if current:
        chunks.append(current)
    return chunks


def _fallback(report: TeamReport) -> str:
    s = report.summary
    return (f"{report.title}: {s.open} open, {s.overdue} overdue, {s.due_soon} due soon, "
            f"{s.done_this_period} done this period")


class _SlackWriter(OutlineWriter):
    def __init__(self) -> None:
        self.blocks: list[Block] = []

    def title(self, section: Title) -> None:
        text = escape.oneline(section.text, limit=MAX_HEADER)
        self.blocks.append({"type": "header", "text": {"type": "plain_text", "text": text}})

    def period(self, section: Period) -> None:
        self.blocks.append(_context(escape.slack(section.text)))

    def summary(self, section: SummaryTable) -> None:
        fields = [{"type": "mrkdwn", "text": f"*{label}*\n{escape.slack(value)}"}
                  for label, value in section.pairs]
        self.blocks.append({"type": "section", "fields": fields})

    def escalation(self, section: Escalation) -> None:
        names = ", ".join(escape.slack(escape.oneline(name)) for name in section.names)
        to = f", escalated to {names}" if names else ""
        self.blocks.append(_mrkdwn(f":rotating_light: *{section.count} escalated* "
                                   f"(overdue past the threshold){to}"))

    def history(self, section: History) -> None:
        pass  # no chart in Slack

    def owner(self, section: Owner) -> None:
        lines = [f"*{escape.slack(escape.oneline(section.name))}*"]
        for group in section.postmortems:
            heading = escape.oneline(group.title, limit=150)
            lines.append(f"_{escape.slack_link(group.url, heading) if group.url else escape.slack(heading)}_")
            lines += [_line(line) for line in group.lines]
        if section.more:
            lines.append(f"_{section.more}_")
        self.blocks += [_mrkdwn(chunk) for chunk in _chunks(lines)]

    def all_clear(self, section: AllClear) -> None:
        self.blocks.append(_mrkdwn(f":white_check_mark: {section.text}"))

    def dropped(self, section: Dropped) -> None:
        lines = ["*Dropped this period*"] + [
            f"• {escape.slack(escape.oneline(line.item.title, limit=200))} — "
            + (escape.slack_link(line.item.ticket_url, line.item.ticket_key or "ticket")
               if line.item.ticket_url else escape.slack(line.item.ticket_key or "no ticket"))
            for line in section.lines
        ]
        self.blocks += [_mrkdwn(chunk) for chunk in _chunks(lines)]

    def closing(self, section: Closing) -> None:
        notes = [escape.slack(note) for note in section.notes]
        if section.link:
            notes.append(escape.slack_link(section.link, "Full report"))
        elif section.hint:
            notes.append(escape.slack(section.hint))
        if notes:
            self.blocks.append(_context("\n".join(notes)))


def render_slack(report: TeamReport) -> dict[str, Any]:
    """The report as a Slack message payload: `text` (notification fallback) and Block Kit `blocks`.

    Whether it fits Slack's limits depends on the report's size: send a digest fitted with `fit.fit_slack`.
    """
    writer = _SlackWriter()
    write(outline(report), writer)
    return {"text": escape.slack(_fallback(report)), "blocks": writer.blocks}


def fits_slack(payload: dict[str, Any]) -> bool:
    """Whether a payload is within Slack's block, section and text limits."""
    blocks = payload["blocks"]
    sections_ok = all(len(block["text"]["text"]) <= MAX_SECTION for block in blocks
                      if block["type"] == "section" and "text" in block)
    return (len(blocks) <= MAX_BLOCKS and sections_ok and len(payload["text"]) <= MAX_TEXT
            and len(template_json(payload).encode("utf-8")) <= MAX_TEMPLATE_BYTES)
