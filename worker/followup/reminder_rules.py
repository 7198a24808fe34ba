"""Pure rules of owner reminders: which reminder an item is due for at `now`, and when one may be sent.

Two triggers per item: `before`, from `remind_days_before` days before the due date up to the due date, and
`overdue`, on the day the item becomes overdue. Both count days and hours in the owner's zone (else the
team's). A reminder goes out only between `remind_from` and `remind_until`, and on weekdays unless
`remind_on_weekends`: a `before` window that opens on a weekend opens on the Friday before instead, and an
`overdue` day that falls on a weekend moves to the Monday after. An `overdue` reminder not sent on its day
(the service was down all day) is not sent later: by then the weekly report lists the item.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from config.teams import FollowupPolicy


class Trigger(StrEnum):
    BEFORE = "before"
    OVERDUE = "overdue"


def _weekend(day: date, policy: FollowupPolicy) -> bool:
    return day.weekday() >= 5 and not policy.remind_on_weekends


def may_send(now: datetime, tz: ZoneInfo, policy: FollowupPolicy) -> bool:
    """Whether `now` is inside the reminder hours on a reminder day, in `tz`."""
    local = now.astimezone(tz)
    return not _weekend(local.date(), policy) and policy.remind_from <= local.time() < policy.remind_until


def before_window(due: date, policy: FollowupPolicy) -> tuple[date, date] | None:
    """First and last day of the `before` reminder (None when the policy sends none)."""
    if policy.remind_days_before is None:
        return None
    start = due - timedelta(days=policy.remind_days_before)
    while _weekend(start, policy) and start > due - timedelta(days=policy.remind_days_before + 2):
        start -= timedelta(days=1)
    return start, due


def overdue_day(due: date, policy: FollowupPolicy) -> date:
    """The day the `overdue` reminder is sent: the first reminder day after the due date."""
    day = due + timedelta(days=1)
    while _weekend(day, policy):
        day += timedelta(days=1)
    return day


def trigger(due: date | None, now: datetime, tz: ZoneInfo, policy: FollowupPolicy) -> Trigger | None:
    """The reminder an open item with this due date is due for at `now`, if any (only in reminder hours)."""
    if due is None or not may_send(now, tz, policy):
        return None
    today = now.astimezone(tz).date()
    if policy.remind_when_overdue and today == overdue_day(due, policy):
        return Trigger.OVERDUE
    window = before_window(due, policy)
    if window is not None and window[0] <= today <= window[1]:
        return Trigger.BEFORE
    return None
