"""Per-team beat entries: due once per period of the team's cron in the team's zone."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

from config.celery_app import beat_entries
from config.settings import Settings
from worker.followup.schedule import PeriodSchedule
from worker.tasks.names import SEND_TASK


def at(moment: datetime) -> PeriodSchedule:
    return PeriodSchedule("0 9 * * MON", "Europe/Berlin", nowfun=lambda: moment)


def test_due_once_when_a_period_starts() -> None:
    monday_9 = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    last_week = datetime(2026, 3, 23, 8, 0, 5, tzinfo=UTC)
    before = at(monday_9 - timedelta(seconds=1)).is_due(last_week)
    assert not before.is_due and before.next == 1.0
    fired = at(monday_9 + timedelta(seconds=2)).is_due(last_week)
    assert fired.is_due
    after = at(monday_9 + timedelta(seconds=30)).is_due(monday_9 + timedelta(seconds=2))
    assert not after.is_due and after.next == 300.0


def test_beat_that_was_down_catches_up() -> None:
    wednesday = datetime(2026, 4, 1, 12, tzinfo=UTC)
    assert at(wednesday).is_due(datetime(2026, 3, 20, tzinfo=UTC)).is_due
    assert at(wednesday).remaining_estimate(datetime(2026, 3, 20, tzinfo=UTC)) == timedelta(0)


def test_naive_last_run_is_utc_and_schedule_pickles() -> None:
    schedule = at(datetime(2026, 3, 30, 7, 1, tzinfo=UTC))
    assert not schedule.is_due(datetime(2026, 3, 30, 7, 0, 30)).is_due
    copy = pickle.loads(pickle.dumps(schedule))
    assert copy == schedule and copy.nowfun is None


def test_beat_entries_per_team() -> None:
    settings = Settings(teams={  # type: ignore[arg-type]
        "sre": {"jira": {"project": "OPS"}, "timezone": "Europe/Berlin"},  # type: ignore[dict-item]
        "web": {"tracker": "github", "github": {"repo": "a/b"},  # type: ignore[dict-item]
                "followup": {"schedule": "30 8 * * *", "timezone": "America/New_York"}},
        "off": {"jira": {"project": "X"}, "followup": {"enabled": False}},  # type: ignore[dict-item]
    }, default_team="sre", _env_file=None)  # type: ignore[call-arg]
    entries = beat_entries(settings)
    assert set(entries) == {"followup-refresh", "followup-reminders", "followup-report-sre",
                            "followup-report-web"}
    web = entries["followup-report-web"]
    assert web["task"] == SEND_TASK and web["kwargs"] == {"team": "web"}
    assert web["schedule"] == PeriodSchedule("30 8 * * *", "America/New_York")
    assert entries["followup-report-sre"]["schedule"] == PeriodSchedule("0 9 * * MON", "Europe/Berlin")
