"""Time rules: tables of (inputs, now) -> expected, with a frozen clock, across DST changes and year ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from config.kinds import KINDS, normalise_kind
from config.teams import FollowupPolicy
from connectors.tracker import TicketStatus
from worker.followup import rules
from worker.followup.items import ItemState
from worker.followup.workdays import add_business_days, holiday_calendar, next_business_day
from worker.store.records import TrackedItem

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def item(**changes: object) -> TrackedItem:
    base = TrackedItem(fingerprint="f1", title="Add alert", team="ops", postmortem_key="pm1")
    return TrackedItem(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})  # type: ignore[arg-type]


def policy(**changes: object) -> FollowupPolicy:
    return FollowupPolicy(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "kinds", "include_unkinded", "followed"),
    [
        ("prevent", ("prevent", "detect", "process"), True, True),
        ("Detect", ("prevent", "detect", "process"), True, True),
        ("mitigate", ("prevent", "detect", "process"), True, False),
        (None, ("prevent",), True, True),
        (None, ("prevent",), False, False),
        ("  ", ("prevent",), False, False),
        # Items stored before the parser normalised kinds carry the raw word.
        ("Prevention", ("prevent", "detect"), True, True),
        ("Detection", ("prevent", "detect"), True, True),
        ("Mitigation", ("prevent", "detect"), True, False),
        # The policy's own list is normalised too.
        ("detect", ("Detection",), True, True),
    ],
)
def test_which_items_are_followed(kind: str | None, kinds: tuple[str, ...], include_unkinded: bool,
                                  followed: bool) -> None:
    p = policy(kinds=kinds, include_unkinded=include_unkinded)
    assert rules.is_followed(item(kind=kind), p) is followed


def test_disabled_policy_follows_nothing() -> None:
    assert not rules.is_followed(item(kind="prevent"), policy(enabled=False))


@pytest.mark.parametrize(
    ("own_due", "priority", "approved", "extra", "expected"),
    [
        # the document's or tracker's own due date always wins
        (date(2026, 5, 1), "P0", datetime(2026, 1, 1, tzinfo=UTC), {}, date(2026, 5, 1)),
        # 4 weeks for the highest priorities, 8 for the rest, counted from approval
        (None, "P0", datetime(2026, 1, 5, 12, tzinfo=UTC), {}, date(2026, 2, 2)),
        (None, "high", datetime(2026, 1, 5, 12, tzinfo=UTC), {}, date(2026, 2, 2)),
        (None, "P3", datetime(2026, 1, 5, 12, tzinfo=UTC), {}, date(2026, 3, 2)),
        (None, None, datetime(2026, 1, 5, 12, tzinfo=UTC), {}, date(2026, 3, 2)),
        (None, "P1", None, {}, None),
        # approval day is taken in the team's zone: 23:30 UTC on Dec 31 is already Jan 1 in Berlin
        (None, "P0", datetime(2025, 12, 31, 23, 30, tzinfo=UTC), {"timezone": "Europe/Berlin"},
         date(2026, 1, 29)),
        (None, "P0", datetime(2025, 12, 31, 23, 30, tzinfo=UTC), {"timezone": "America/New_York"},
         date(2026, 1, 28)),
        # calendar days rolled to the next business day: Jan 3 + 28 days is Saturday Jan 31
        (None, "P0", datetime(2026, 1, 3, 9, tzinfo=UTC), {"holidays_country": "DE"}, date(2026, 2, 2)),
        # business days skip weekends and German holidays (Good Friday Apr 3, Easter Monday Apr 6 2026)
        (None, "P0", datetime(2026, 3, 30, 9, tzinfo=UTC),
         {"due_days_unit": "business", "due_days_by_priority": {"p0": 5}, "holidays_country": "DE"},
         date(2026, 4, 8)),
        # year end: business days across Christmas in Germany (Dec 24 counts, Dec 25 and the weekend don't)
        (None, "P0", datetime(2026, 12, 23, 9, tzinfo=UTC),
         {"due_days_unit": "business", "due_days_by_priority": {"p0": 3}, "holidays_country": "DE"},
         date(2026, 12, 29)),
        (None, "P0", datetime(2026, 12, 30, 9, tzinfo=UTC),
         {"due_days_unit": "business", "due_days_by_priority": {"p0": 2}, "holidays_country": "DE"},
         date(2027, 1, 4)),
    ],
)
def test_effective_due(own_due: date | None, priority: str | None, approved: datetime | None,
                       extra: dict[str, object], expected: date | None) -> None:
    assert rules.effective_due(item(due=own_due, priority=priority), policy(**extra), approved) == expected


@pytest.mark.parametrize(
    ("status", "due", "now", "tz", "expected"),
    [
        (TicketStatus.DONE, date(2026, 1, 1), datetime(2026, 6, 1, tzinfo=UTC), "UTC", ItemState.DONE),
        (TicketStatus.DROPPED, date(2026, 1, 1), datetime(2026, 6, 1, tzinfo=UTC), "UTC", ItemState.DROPPED),
        (TicketStatus.OPEN, None, datetime(2026, 6, 1, tzinfo=UTC), "UTC", ItemState.OPEN),
        (TicketStatus.OPEN, date(2026, 6, 1), _utc(2026, 6, 1, 23, 59), "UTC", ItemState.DUE_SOON),
        (TicketStatus.OPEN, date(2026, 6, 1), _utc(2026, 6, 2, 0, 0), "UTC", ItemState.OVERDUE),
        (TicketStatus.OPEN, date(2026, 6, 8), datetime(2026, 6, 1, tzinfo=UTC), "UTC", ItemState.DUE_SOON),
        (TicketStatus.OPEN, date(2026, 6, 9), datetime(2026, 6, 1, tzinfo=UTC), "UTC", ItemState.OPEN),
        # 22:30 UTC on the due date is already the next day in Berlin (summer, UTC+2): overdue there
        (TicketStatus.OPEN, date(2026, 6, 1), datetime(2026, 6, 1, 22, 30, tzinfo=UTC), "Europe/Berlin",
         ItemState.OVERDUE),
        # ...while in New York it is still the afternoon of the due date
        (TicketStatus.OPEN, date(2026, 6, 1), datetime(2026, 6, 1, 22, 30, tzinfo=UTC), "America/New_York",
         ItemState.DUE_SOON),
        # year end: due Dec 31, New Year's night in Berlin
        (TicketStatus.OPEN, date(2026, 12, 31), datetime(2026, 12, 31, 23, 0, 1, tzinfo=UTC), "Europe/Berlin",
         ItemState.OVERDUE),
        (TicketStatus.OPEN, date(2026, 12, 31), datetime(2026, 12, 31, 22, 59, tzinfo=UTC), "Europe/Berlin",
         ItemState.DUE_SOON),
    ],
)
def test_state(status: TicketStatus, due: date | None, now: datetime, tz: str, expected: ItemState) -> None:
    assert rules.state(item(status=status), due, now, policy(timezone=tz, due_soon_days=7)) is expected


@pytest.mark.parametrize(
    ("due", "now", "tz", "overdue"),
    [
        (date(2026, 3, 28), _utc(2026, 3, 29, 22, 30), "Europe/Berlin", 2),  # 00:30 CEST Mar 30
        (date(2026, 3, 28), _utc(2026, 3, 29, 21, 30), "Europe/Berlin", 1),  # 23:30 CEST Mar 29
        (date(2026, 10, 24), _utc(2026, 10, 25, 22, 30), "Europe/Berlin", 1),  # 23:30 CET Oct 25
        (date(2026, 10, 24), _utc(2026, 10, 25, 23, 0), "Europe/Berlin", 2),  # 00:00 CET Oct 26
        (date(2026, 3, 7), _utc(2026, 3, 9, 3, 59), "America/New_York", 1),  # 23:59 EDT Mar 8
        (date(2026, 3, 7), _utc(2026, 3, 9, 4, 0), "America/New_York", 2),  # 00:00 EDT Mar 9
        (date(2026, 10, 31), _utc(2026, 11, 2, 4, 59), "America/New_York", 1),  # 23:59 EST
        (date(2026, 12, 31), _utc(2027, 1, 1, 5, 0), "America/New_York", 1),
        (date(2027, 1, 2), datetime(2026, 12, 31, 12, 0, tzinfo=UTC), "UTC", -2),
    ],
)
def test_days_overdue_and_left_in_team_zone(due: date, now: datetime, tz: str, overdue: int) -> None:
    p = policy(timezone=tz)
    assert rules.days_overdue(due, now, p) == overdue
    assert rules.days_left(due, now, p) == -overdue


@pytest.mark.parametrize(
    ("after", "due", "now", "expected"),
    [
        (14, date(2026, 1, 1), datetime(2026, 1, 15, tzinfo=UTC), True),
        (14, date(2026, 1, 1), datetime(2026, 1, 14, 23, 59, tzinfo=UTC), False),
        (None, date(2020, 1, 1), datetime(2026, 1, 15, tzinfo=UTC), False),
        (0, date(2026, 1, 1), datetime(2026, 1, 1, 12, tzinfo=UTC), False),  # not overdue yet
        (0, date(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC), True),
    ],
)
def test_escalation(after: int | None, due: date, now: datetime, expected: bool) -> None:
    assert rules.escalation_due(item(), due, now, policy(escalate_after_days=after)) is expected


def test_no_escalation_for_done_items() -> None:
    done = item(status=TicketStatus.DONE)
    assert not rules.escalation_due(done, date(2020, 1, 1), datetime(2026, 1, 1, tzinfo=UTC), policy())


@pytest.mark.parametrize(
    ("resolved", "due", "tz", "on_time"),
    [
        (datetime(2026, 1, 10, 22, 30, tzinfo=UTC), date(2026, 1, 10), "UTC", True),
        (datetime(2026, 1, 10, 23, 30, tzinfo=UTC), date(2026, 1, 10), "Europe/Berlin", False),
        (None, date(2026, 1, 10), "UTC", True),
        (datetime(2026, 1, 11, tzinfo=UTC), None, "UTC", True),
    ],
)
def test_done_on_time(resolved: datetime | None, due: date | None, tz: str, on_time: bool) -> None:
    done = item(status=TicketStatus.DONE, resolved_at=resolved)
    assert rules.done_on_time(done, due, policy(timezone=tz)) is on_time


@pytest.mark.parametrize(
    ("schedule", "tz", "now", "start", "end"),
    [
        # weekly Monday 09:00 Berlin: the week across the spring change (Mar 29 2026)
        ("0 9 * * MON", BERLIN, _utc(2026, 3, 29, 1, 0), _utc(2026, 3, 23, 8), _utc(2026, 3, 30, 7)),
        ("0 9 * * MON", BERLIN, _utc(2026, 3, 30, 7, 0), _utc(2026, 3, 30, 7), _utc(2026, 4, 6, 7)),
        ("0 9 * * MON", BERLIN, _utc(2026, 3, 30, 6, 59), _utc(2026, 3, 23, 8), _utc(2026, 3, 30, 7)),
        # ...and across the autumn change (Oct 25 2026)
        ("0 9 * * MON", BERLIN, _utc(2026, 10, 25, 0, 30), _utc(2026, 10, 19, 7), _utc(2026, 10, 26, 8)),
        # New York changes on other dates (Mar 8 / Nov 1 2026)
        ("0 9 * * MON", NEW_YORK, _utc(2026, 3, 9, 12), _utc(2026, 3, 2, 14), _utc(2026, 3, 9, 13)),
        ("0 9 * * MON", NEW_YORK, _utc(2026, 3, 9, 13, 30), _utc(2026, 3, 9, 13), _utc(2026, 3, 16, 13)),
        ("0 9 * * MON", NEW_YORK, _utc(2026, 11, 2, 13, 30), _utc(2026, 10, 26, 13), _utc(2026, 11, 2, 14)),
        # daily at 02:30, a time Berlin skips in spring: fires at 03:30 CEST (01:30 UTC) that day
        ("30 2 * * *", BERLIN, _utc(2026, 3, 29, 1, 0), _utc(2026, 3, 28, 1, 30), _utc(2026, 3, 29, 1, 30)),
        # ...and a time Berlin has twice in autumn: fires once, at the first 02:30
        ("30 2 * * *", BERLIN, _utc(2026, 10, 25, 1, 45), _utc(2026, 10, 25, 0, 30),
         _utc(2026, 10, 26, 1, 30)),
        # hourly across New York's fall back: the repeated hour does not fire twice
        ("0 * * * *", NEW_YORK, _utc(2026, 11, 1, 6, 10), _utc(2026, 11, 1, 5, 0), _utc(2026, 11, 1, 7, 0)),
        # year end: weekly report on Monday Dec 28 and Jan 4, yearly on Jan 1 in the team's zone
        ("0 9 * * MON", BERLIN, _utc(2026, 12, 31, 23, 30), _utc(2026, 12, 28, 8), _utc(2027, 1, 4, 8)),
        ("0 0 1 1 *", BERLIN, _utc(2026, 12, 31, 22, 59), _utc(2025, 12, 31, 23), _utc(2026, 12, 31, 23)),
        ("0 0 1 1 *", BERLIN, _utc(2026, 12, 31, 23, 0), _utc(2026, 12, 31, 23), _utc(2027, 12, 31, 23)),
        ("0 0 1 1 *", NEW_YORK, _utc(2027, 1, 1, 4, 59), _utc(2026, 1, 1, 5), _utc(2027, 1, 1, 5)),
    ],
)
def test_report_period(schedule: str, tz: ZoneInfo, now: datetime, start: datetime, end: datetime) -> None:
    with time_machine.travel(now, tick=False):
        period = rules.report_period(schedule, datetime.now(UTC), tz)
    assert (period.start, period.end) == (start, end)
    assert period.contains(now)
    assert period.previous_start < period.start


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")])
@pytest.mark.parametrize("schedule", ["*/30 * * * *", "30 2 * * *", "0 1,2,3 * * *", "0 9 * * MON-FRI"])
def test_periods_tile_time_without_gaps_or_overlaps(tz: ZoneInfo, schedule: str) -> None:
    """Period after period across both DST changes: each starts exactly where the previous one ended."""
    starts = {"Europe/Berlin": (_utc(2026, 3, 26), _utc(2026, 10, 22)),
              "America/New_York": (_utc(2026, 3, 5), _utc(2026, 10, 29)),
              "Australia/Lord_Howe": (_utc(2026, 4, 2), _utc(2026, 10, 1)),
              "UTC": (_utc(2026, 12, 29),)}[tz.key]
    for start in starts:
        period = rules.report_period(schedule, start, tz)
        moment = start
        while moment < start + timedelta(days=8):
            assert period.contains(moment)
            # jump straight to the period's end: the next period must start exactly there
            following = rules.report_period(schedule, period.end, tz)
            assert following.start == period.end
            assert following.previous_start == period.start
            period, moment = following, period.end


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.report_period("0 9 * * MON", datetime(2026, 1, 1), BERLIN)


@pytest.mark.parametrize(
    ("start", "days", "country", "expected"),
    [
        (date(2026, 12, 31), 1, None, date(2027, 1, 1)),
        (date(2026, 12, 31), 1, "DE", date(2027, 1, 4)),  # New Year's Day, then a weekend
        (date(2026, 1, 2), 0, "DE", date(2026, 1, 2)),
        (date(2026, 11, 25), 1, "US", date(2026, 11, 27)),  # Thanksgiving
    ],
)
def test_add_business_days(start: date, days: int, country: str | None, expected: date) -> None:
    assert add_business_days(start, days, holiday_calendar(country)) == expected


def test_next_business_day_and_negative_days() -> None:
    assert next_business_day(date(2026, 12, 25), holiday_calendar("DE")) == date(2026, 12, 28)
    with pytest.raises(ValueError, match="negative"):
        add_business_days(date(2026, 1, 1), -1, holiday_calendar(None))


def test_default_preventative_kinds() -> None:
    followed = {kind for kind in KINDS if rules.is_followed(item(kind=kind), policy())}
    assert followed == {"prevent", "detect", "mitigate", "process"}
    assert not rules.is_followed(item(kind="Investigation"), policy())


@pytest.mark.parametrize(("raw", "kind"), [
    ("Prevention", "prevent"), ("preventative", "prevent"), ("DETECTION", "detect"),
    ("Monitoring", "detect"), ("mitigation", "mitigate"), ("Process", "process"), ("Repair", "repair"),
    ("investigation", "investigate"),
    (None, None), ("", None), ("Paperwork", "paperwork"),
])
def test_legacy_kind_words_are_normalised(raw: str | None, kind: str | None) -> None:
    assert normalise_kind(raw) == kind
