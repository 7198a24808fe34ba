"""Slack Block Kit rendering of a report (the message payload posted to an incoming webhook)."""

from __future__ import annotations

from typing import Any

from worker.followup.render import escape
from worker.followup.render.common import assignee_text, due_text, period_text, summary_pairs, timing
from worker.followup.report import ReportLine, TeamReport

# Slack's documented limits: 50 blocks per message, 3000 characters per section text, 150 per header.
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150

Block = dict[str, Any]


def _mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _line(line: ReportLine) -> str:
    item = line.item
    title = escape.slack(escape.oneline(item.title))
    if item.ticket_url:
        ticket = escape.slack_link(item.ticket_url, escape.oneline(item.ticket_key or "ticket"))
    else:
        ticket = escape.slack(escape.oneline(item.ticket_key or "no ticket"))
    flag = " :rotating_light: escalated" if line.escalate else ""
    return (f"• {title} — {ticket} — {escape.slack(escape.oneline(assignee_text(line)))} — "
            f"due {due_text(line)} — *{timing(line)}*{flag}")


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
    """The report as a Slack message payload: `text` (notification fallback) and Block Kit `blocks`."""
    blocks: list[Block] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": escape.oneline(report.title, limit=MAX_HEADER)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape.slack(period_text(report))}]},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{escape.slack(value)}"}
                                       for label, value in summary_pairs(report.summary)]},
    ]
    if report.escalations and not report.escalation:
        names = ", ".join(escape.slack(escape.oneline(name)) for name in report.escalate_to_names)
        blocks.append(_mrkdwn(f":rotating_light: *{len(report.escalations)} escalated* "
                              f"(overdue past the threshold)" + (f", escalated to {names}" if names else "")))
    body: list[Block] = []
    for owner in report.owners:
        body.append({"type": "divider"})
        lines = [f"*{escape.slack(escape.oneline(owner.owner))}*"]
        for group in owner.postmortems:
            heading = escape.oneline(group.title)
            lines.append(f"_{escape.slack_link(group.url, heading) if group.url else escape.slack(heading)}_")
            lines += [_line(line) for line in group.lines]
        body += [_mrkdwn(chunk) for chunk in _chunks(lines)]
    if not report.owners:
        body.append(_mrkdwn(":white_check_mark: Nothing open. All clear."))
    if report.dropped:
        body.append({"type": "divider"})
        lines = ["*Dropped this period*"] + [
            f"• {escape.slack(escape.oneline(line.item.title))} — "
            + (escape.slack_link(line.item.ticket_url, line.item.ticket_key or "ticket")
               if line.item.ticket_url else escape.slack(line.item.ticket_key or "no ticket"))
            for line in report.dropped
        ]
        body += [_mrkdwn(chunk) for chunk in _chunks(lines)]
    room = MAX_BLOCKS - len(blocks)
    if len(body) > room:
        hidden = len(body) - (room - 1)
        body = [*body[: room - 1], {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"…{hidden} more blocks not shown; run `followthrough report --team` for the full list")}]}]
    return {"text": escape.slack(_fallback(report)), "blocks": blocks + body}
