"""Pure time rules of follow-up: due dates, states, escalation and report periods, all functions of `now`.

Every `now` is an aware datetime. Dates (due, overdue, days left) are counted in the team's zone: an item
due on the 10th is overdue from 00:00 on the 11th, local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from config.kinds import normalise_kind
from config.teams import FollowupPolicy
from connectors.tracker import TicketStatus
from worker.followup.items import ItemState
from worker.followup.workdays import add_business_days, holiday_calendar, next_business_day
from worker.store.records import TrackedItem

#: Largest distance between a local wall-clock time and the instant it names, as DST shifts go (Lord Howe's
#: 30 minutes to the historic 2-hour double summer time); used to bound the cron search in `report_period`.
_DST_MARGIN = timedelta(hours=3)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def zone(policy: FollowupPolicy) -> ZoneInfo:
    """The policy's timezone (UTC when it names none)."""
    return ZoneInfo(policy.timezone or "UTC")


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an aware moment in `tz`."""
    _require_aware(moment)
    return moment.astimezone(tz).date()


def is_followed(item: TrackedItem, policy: FollowupPolicy) -> bool:
    """Whether the policy follows this item up (by its normalised kind)."""
    if not policy.enabled:
        return False
    kind = normalise_kind(item.kind)
    if kind is None:
        return policy.include_unkinded
    return kind in policy.kinds


def default_due_days(priority: str | None, policy: FollowupPolicy) -> int:
    """Days from approval to the default due date for this priority."""
    if priority is not None:
        days = policy.due_days_by_priority.get(priority.strip().lower())
        if days is not None:
            return days
    return policy.due_days_default


def effective_due(item: TrackedItem, policy: FollowupPolicy, approved_at: datetime | None) -> date | None:
    """The item's own due date, else the policy default counted from approval (None if neither is known)."""
    if item.due is not None:
        return item.due
    if approved_at is None:
        return None
    return default_due(local_date(approved_at, zone(policy)), default_due_days(item.priority, policy), policy)


def default_due(start: date, days: int, policy: FollowupPolicy) -> date:
    """The default due date `days` after an approval on `start` (local), in the policy's unit and calendar."""
    calendar = holiday_calendar(policy.holidays_country, policy.holidays_subdivision)
    if policy.due_days_unit == "business":
        return add_business_days(start, days, calendar)
    due = start + timedelta(days=days)
    return next_business_day(due, calendar) if policy.holidays_country else due


def state(item: TrackedItem, due: date | None, now: datetime, policy: FollowupPolicy) -> ItemState:
    """Where the item stands at `now`: done, dropped, overdue, due soon or open."""
    if item.status is TicketStatus.DONE:
        return ItemState.DONE
    if item.status is TicketStatus.DROPPED:
        return ItemState.DROPPED
    if due is None:
        return ItemState.OPEN
    today = local_date(now, zone(policy))
    if today > due:
        return ItemState.OVERDUE
    if (due - today).days <= policy.due_soon_days:
        return ItemState.DUE_SOON
    return ItemState.OPEN


def overdue_due(item: TrackedItem, now: datetime, policy: FollowupPolicy) -> date | None:
    """The effective due date of a followed item that is overdue at `now`, else None.

    This is what "overdue" means everywhere (report, dashboard, `list`, `show`, `/metrics`, reminders):
    followed kind, the ticket's (else the document's) status open, and the team's today (in its zone)
    after the item's own due date or, without one, the policy's default from approval."""
    if not is_followed(item, policy):
        return None
    due = effective_due(item, policy, item.approved_at)
    return due if due is not None and state(item, due, now, policy) is ItemState.OVERDUE else None


def days_overdue(due: date, now: datetime, policy: FollowupPolicy) -> int:
    """Whole days past the due date in the team's zone (0 on the due date itself, negative before it)."""
    return (local_date(now, zone(policy)) - due).days


def days_left(due: date, now: datetime, policy: FollowupPolicy) -> int:
    """Whole days until the due date in the team's zone (0 on the due date, negative once overdue)."""
    return -days_overdue(due, now, policy)


def escalation_due(item: TrackedItem, due: date | None, now: datetime, policy: FollowupPolicy) -> bool:
    """Whether an open item is overdue by at least the policy's escalation threshold."""
    if policy.escalate_after_days is None or due is None:
        return False
    if state(item, due, now, policy) is not ItemState.OVERDUE:
        return False
    # Counted from the approval when that came later (a backfilled postmortem: its import day), so history
    # imported today is not escalated at once.
    start = max(due, local_date(item.approved_at, zone(policy))) if item.approved_at is not None else due
    return days_overdue(start, now, policy) >= max(policy.escalate_after_days, 1)


def done_on_time(item: TrackedItem, due: date | None, policy: FollowupPolicy) -> bool:
    """A done item finished on or before its due date (unknown finish time or no due date: on time)."""
    if item.status is not TicketStatus.DONE:
        return False
    if due is None or item.resolved_at is None:
        return True
    return local_date(item.resolved_at, zone(policy)) <= due


@dataclass(frozen=True, slots=True)
class Period:
    """One scheduled report period: from one cron firing (inclusive) to the next (exclusive), in UTC."""

    start: datetime
    end: datetime
    previous_start: datetime  # start of the period before, so "done since the last report" can be counted

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _instant(naive_local: datetime, tz: ZoneInfo) -> datetime:
    # fold=0: an ambiguous wall time (autumn) is its first occurrence; a skipped one (spring) keeps the
    # offset from before the jump, so 02:30 on a Europe/Berlin spring-forward day fires at 03:30 CEST.
    return naive_local.replace(tzinfo=tz, fold=0).astimezone(ZoneInfo("UTC"))


def report_period(schedule: str, now: datetime, tz: ZoneInfo) -> Period:
    """The report period of a cron schedule (in local wall-clock time of `tz`) that contains `now`."""
    _require_aware(now)
    naive_now = now.astimezone(tz).replace(tzinfo=None)
    # Cron runs on wall-clock time, and DST makes wall-clock-to-instant non-monotonic around the change;
    # so collect every firing within a margin of `now`, plus one beyond each side, and sort by instant.
    low, high = naive_now - _DST_MARGIN, naive_now + _DST_MARGIN
    cron = croniter(schedule, low)
    firings: list[datetime] = [cron.get_prev(datetime), cron.get_prev(datetime)]
    cron = croniter(schedule, low - timedelta(seconds=1))
    while True:
        fire = cron.get_next(datetime)
        firings.append(fire)
        if fire > high:
            firings.append(cron.get_next(datetime))
            break
    instants = sorted({_instant(fire, tz) for fire in firings})
    past = [moment for moment in instants if moment <= now]
    future = [moment for moment in instants if moment > now]
    # Cannot happen with the margins above; guards against a change in the cron library.
    if len(past) < 2 or not future:
        raise ValueError(f"cannot place {now.isoformat()} in the schedule {schedule!r}")
    return Period(start=past[-1], end=future[0], previous_start=past[-2])
