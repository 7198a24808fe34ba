"""Business-day arithmetic over weekends and a country's public holidays (the `holidays` package)."""

from __future__ import annotations

from collections.abc import Container
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _calendar(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


def holiday_calendar(country: str | None, subdivision: str | None = None) -> Container[date]:
    """The public holidays of a country (an empty calendar when no country is given)."""
    if country is None:
        return frozenset()
    # HolidayBase fills in years lazily on membership tests, so one object serves every year.
    return _calendar(country.upper(), subdivision)


def is_business_day(day: date, calendar: Container[date]) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in calendar


def next_business_day(day: date, calendar: Container[date]) -> date:
    """`day` itself when it is a business day, else the first business day after it."""
    while not is_business_day(day, calendar):
        day += timedelta(days=1)
    return day


def add_business_days(start: date, days: int, calendar: Container[date]) -> date:
    """The date `days` business days after `start` (start itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, calendar):
            remaining -= 1
    return day
