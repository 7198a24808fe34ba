"""The per-team beat schedule: due when the team's cron (in its own zone) starts a new period.

Celery's `crontab` runs in the app's single timezone; a team's schedule runs in the team's. So each team
gets a `PeriodSchedule`, which reuses `rules.report_period` (DST-tested): the entry is due whenever the
current period started after the entry last ran. A beat that was down at the firing time sends on its
first tick after restart, and the send ledger keeps it to one report per period whatever beat does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery.schedules import BaseSchedule, schedstate

from worker.followup import rules

#: How often beat looks for owner reminders to send (each is sent once; hours are checked per owner).
REMIND_EVERY = timedelta(minutes=30)
#: Beat wakes at least this often to look at the schedules (seconds).
MAX_SLEEP = 300.0


class PeriodSchedule(BaseSchedule):  # type: ignore[misc]
    """Due once per period of a cron expression evaluated in a given IANA zone."""

    def __init__(self, cron: str, timezone: str, *, nowfun: Callable[[], datetime] | None = None,
                 app: Any = None) -> None:
        super().__init__(nowfun=nowfun, app=app)
        self.cron = cron
        self.zone = timezone

    def _now(self) -> datetime:
        now = self.nowfun() if self.nowfun else datetime.now(UTC)
        return now if now.tzinfo else now.replace(tzinfo=UTC)

    def remaining_estimate(self, last_run_at: datetime) -> timedelta:
        now = self._now()
        period = rules.report_period(self.cron, now, ZoneInfo(self.zone))
        if self._last(last_run_at) < period.start:
            return timedelta(0)
        return period.end - now

    def is_due(self, last_run_at: datetime) -> schedstate:
        now = self._now()
        period = rules.report_period(self.cron, now, ZoneInfo(self.zone))
        if self._last(last_run_at) < period.start:
            return schedstate(is_due=True, next=min(MAX_SLEEP, (period.end - now).total_seconds()))
        return schedstate(is_due=False, next=max(0.5, min(MAX_SLEEP, (period.end - now).total_seconds())))

    @staticmethod
    def _last(last_run_at: datetime) -> datetime:
        # Celery hands naive datetimes in UTC when enable_utc is on.
        return last_run_at if last_run_at.tzinfo else last_run_at.replace(tzinfo=UTC)

    def __reduce__(self) -> tuple[Any, ...]:
        # Beat keeps entries in a shelve file: pickle by value, never the app or a clock function.
        return (self.__class__, (self.cron, self.zone))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PeriodSchedule) and (other.cron, other.zone) == (self.cron, self.zone)

    def __hash__(self) -> int:
        return hash((self.cron, self.zone))

    def __repr__(self) -> str:
        return f"<PeriodSchedule {self.cron!r} in {self.zone}>"
