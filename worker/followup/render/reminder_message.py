"""A reminder to one owner about one action: as ticket comment text and as a notification for any channel."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from config.teams import FollowupPolicy
from connectors import notify
from worker.followup import rules
from worker.followup.reminder_rules import Trigger
from worker.followup.render import escape
from worker.followup.render.teams import card_message
from worker.store.records import TrackedItem

_ASK = "Please finish it, move its due date, or close it as won't do if it is no longer needed."


def _when(trigger: Trigger, due: str, now: datetime, policy: FollowupPolicy) -> str:
    if trigger is Trigger.OVERDUE:
        return f"is overdue since today (it was due on {due})"
    left = rules.days_left(date.fromisoformat(due), now, policy)
    if left <= 0:
        return f"is due today, {due}"
    return f"is due on {due}, in {left} day{'s' if left != 1 else ''}"


def subject(item: TrackedItem, trigger: Trigger) -> str:
    state = "overdue" if trigger is Trigger.OVERDUE else "due soon"
    action = f"postmortem action {item.ticket_key}" if item.ticket_key else "a postmortem action"
    return escape.oneline(f"Reminder: {action} is {state}")


def reminder_text(trigger: Trigger, due: str, now: datetime, policy: FollowupPolicy) -> str:
    """Plain text for a ticket comment (the connector neutralises it and puts the mention in front)."""
    return f"Reminder: this postmortem action {_when(trigger, due, now, policy)}. {_ASK}"


def reminder_notification(item: TrackedItem, trigger: Trigger, due: str, now: datetime,
                          policy: FollowupPolicy) -> notify.Notification:
    """The reminder for the owner's own channel (email, Slack or Teams DM, or any Apprise service)."""
    title = escape.oneline(item.title, limit=200)
    when = _when(trigger, due, now, policy)
    key = escape.oneline(item.ticket_key or "no ticket")
    url = item.ticket_url
    source = escape.oneline(item.postmortem_title or item.postmortem_key, limit=150)
    md_ticket = f"[{escape.markdown(key)}](<{escape.safe_url(url)}>)" if url else escape.markdown(key)
    markdown = f"**{escape.markdown(title)}** ({md_ticket}, from {escape.markdown(source)}) {when}.\n\n{_ASK}"
    slack_ticket = escape.slack_link(url, key) if url else escape.slack(key)
    slack: dict[str, Any] = {
        "text": escape.slack(f"{title} {when}"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*{escape.slack(title)}* ({slack_ticket}, from {escape.slack(source)}) {when}.\n{_ASK}")}}],
    }
    runs: list[dict[str, Any]] = [{"type": "TextRun", "text": title, "weight": "Bolder"},
                                  {"type": "TextRun", "text": f" ({key}, from {source}) {when}. {_ASK}"}]
    if url:
        runs[0]["selectAction"] = {"type": "Action.OpenUrl", "url": escape.safe_url(url)}
    teams = card_message([{"type": "RichTextBlock", "inlines": runs}])
    link = (f'<a href="{escape.html_text(escape.safe_url(url))}">{escape.html_text(key)}</a>'
            if url else escape.html_text(key))
    html = ('<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
            '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#333">'
            f"<p><strong>{escape.html_text(title)}</strong> ({link}, from {escape.html_text(source)}) "
            f"{escape.html_text(when)}.</p><p>{escape.html_text(_ASK)}</p></body></html>")
    heading = subject(item, trigger)
    return notify.Notification(title=heading, markdown=markdown, slack=slack, teams=teams,
                               email_subject=heading, email_html=html)
