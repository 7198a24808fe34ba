"""Slack Block Kit rendering of a report (the message payload posted to an incoming webhook)."""

from __future__ import annotations

from typing import Any

from connectors.notify import template_json
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


def render_slack(report: TeamReport) -> dict[str, Any]:
    """The report as a Slack message payload: `text` (notification fallback) and Block Kit `blocks`.

    Whether it fits Slack's limits depends on the report's size: send a digest fitted with `fit.fit_slack`.
    """
    blocks: list[Block] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": escape.oneline(report.title, limit=MAX_HEADER)}},
        _context(escape.slack(period_text(report))),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{escape.slack(value)}"}
                                       for label, value in summary_pairs(report.summary)]},
    ]
    if report.escalations and not report.escalation:
        names = ", ".join(escape.slack(escape.oneline(name)) for name in report.escalate_to_names)
        blocks.append(_mrkdwn(f":rotating_light: *{len(report.escalations)} escalated* "
                              f"(overdue past the threshold)" + (f", escalated to {names}" if names else "")))
    for owner in report.owners:
        lines = [f"*{escape.slack(escape.oneline(owner.owner))}*"]
        for group in owner.postmortems:
            heading = escape.oneline(group.title, limit=150)
            lines.append(f"_{escape.slack_link(group.url, heading) if group.url else escape.slack(heading)}_")
            lines += [_line(line) for line in group.lines]
        if more := more_text(owner):
            lines.append(f"_{more}_")
        blocks += [_mrkdwn(chunk) for chunk in _chunks(lines)]
    if not report.owners and not report.hidden_owners:
        blocks.append(_mrkdwn(f":white_check_mark: {nothing_text(report)}"))
    if report.dropped:
        lines = ["*Dropped this period*"] + [
            f"• {escape.slack(escape.oneline(line.item.title, limit=200))} — "
            + (escape.slack_link(line.item.ticket_url, line.item.ticket_key or "ticket")
               if line.item.ticket_url else escape.slack(line.item.ticket_key or "no ticket"))
            for line in report.dropped
        ]
        blocks += [_mrkdwn(chunk) for chunk in _chunks(lines)]
    notes = [escape.slack(note) for note in digest_notes(report)]
    if report.full_report_url:
        notes.append(escape.slack_link(report.full_report_url, "Full report"))
    elif report.digest:
        notes.append(escape.slack(full_report_hint(report)))
    if notes:
        blocks.append(_context("\n".join(notes)))
    return {"text": escape.slack(_fallback(report)), "blocks": blocks}


def fits_slack(payload: dict[str, Any]) -> bool:
    """Whether a payload is within Slack's block, section and text limits."""
    blocks = payload["blocks"]
    sections_ok = all(len(block["text"]["text"]) <= MAX_SECTION for block in blocks
                      if block["type"] == "section" and "text" in block)
    return (len(blocks) <= MAX_BLOCKS and sections_ok and len(payload["text"]) <= MAX_TEXT
            and len(template_json(payload).encode("utf-8")) <= MAX_TEMPLATE_BYTES)
