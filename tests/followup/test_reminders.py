"""Owner reminders: the pure trigger rules, delivery to the owner's channel or a mentioning ticket comment,
once per item and trigger, and the Celery task on a real worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from celery.contrib.testing.worker import start_worker
from pydantic import SecretStr

import worker.tasks.followup  # noqa: F401  (registers the follow-up tasks)
from config.celery_app import make_celery
from config.settings import Settings, load_settings
from config.teams import FollowupPolicy
from connectors.jira import JiraTracker
from tests.connectors.github_support import make_tracker
from tests.followup.receivers import HttpReceiver
from tests.followup.storeflow import seed
from tests.servers import RedisServer
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn
from worker.followup import jobs
from worker.followup.reminder_rules import Trigger, trigger
from worker.followup.reminder_send import ReminderOutcome
from worker.store import Store
from worker.store.tracked import FollowupStore
from worker.tasks.names import REMIND_TASK

BERLIN = ZoneInfo("Europe/Berlin")
APPROVED = datetime(2026, 3, 2, 9, tzinfo=UTC)
DUE = date(2026, 4, 2)  # a Thursday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in April 2026 (March for day > 20), Berlin time."""
    month = 3 if day > 20 else 4
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(("due", "now", "changes", "expected"), [
    (DUE, at(30, 10), {}, None),  # Monday: three days before
    (DUE, at(31, 10), {}, Trigger.BEFORE),  # Tuesday: two days before
    (DUE, at(2, 16, 59), {}, Trigger.BEFORE),  # the due day itself
    (DUE, at(3, 10), {}, Trigger.OVERDUE),  # the day it becomes overdue
    (DUE, at(3, 8, 59), {}, None),  # quiet hours before 09:00
    (DUE, at(3, 17), {}, None),  # and from 17:00
    (DUE, at(6, 10), {}, None),  # its overdue day has passed: the report takes over
    (date(2026, 4, 3), at(4, 10), {}, None),  # due Friday: Saturday is no reminder day
    (date(2026, 4, 3), at(6, 10), {}, Trigger.OVERDUE),  # so the overdue reminder goes on Monday
    (date(2026, 4, 3), at(4, 10), {"remind_on_weekends": True}, Trigger.OVERDUE),
    (date(2026, 4, 6), at(3, 10), {}, Trigger.BEFORE),  # due Monday: the window opens the Friday before
    (DUE, at(31, 10), {"remind_days_before": None}, None),
    (DUE, at(1, 10), {"remind_days_before": 0}, None),
    (DUE, at(3, 10), {"remind_when_overdue": False}, None),
    (DUE, at(31, 7, 30), {"remind_from": time(7)}, Trigger.BEFORE),
    (None, at(31, 10), {}, None),
])
def test_which_reminder_is_due(due: date | None, now: datetime, changes: dict[str, Any],
                               expected: Trigger | None) -> None:
    policy = FollowupPolicy(timezone="Europe/Berlin", **changes)
    assert trigger(due, now.astimezone(UTC), BERLIN, policy) is expected


def test_reminder_hours_must_be_a_window() -> None:
    with pytest.raises(ValueError, match="remind_from must be earlier"):
        FollowupPolicy(remind_from=time(18), remind_until=time(9))


@pytest.fixture
def team_setup(tmp_path: Path, webhook: HttpReceiver, jira_standin: JiraStandIn,
               jira_tracker: JiraTracker) -> tuple[Settings, FollowupStore, dict[str, str]]:
    """Alice has her own channel (a webhook); Bob has none, so he is reminded on his tickets."""
    alice = jira_standin.add_user("Alice Example")
    bob = jira_standin.add_user("Bob Builder")
    db = f"sqlite:///{tmp_path / 'ft.db'}"
    store = Store(db)
    seed(store, jira_tracker, key="pm1", team="sre", approved_at=APPROVED, assignee=alice,
         items=[("Alert on lag", DUE, "Detection"), ("Tidy dashboards", DUE, "repair")])
    seed(store, jira_tracker, key="pm2", team="sre", approved_at=APPROVED, assignee=bob,
         items=[("Failover runbook", DUE, "process")])
    settings = load_settings(
        database_url=db, redis_url=None, celery_broker_url=None, jira_url=jira_standin.url,
        jira_email=jira_standin.email, jira_api_token=SecretStr(jira_standin.api_token), default_team="sre",
        teams={"sre": {"tracker": "jira", "jira": {"project": "OPS"}, "timezone": "Europe/Berlin"}},
        people=[{"name": "Alice Example", "jira_account_id": alice, "timezone": "Europe/Lisbon",
                 "notify": f"json://127.0.0.1:{webhook.port}/alice"},
                {"name": "Bob Builder", "jira_account_id": bob}])
    keys = {fields["summary"]: key for key, fields in jira_standin.issues.items()}
    return settings, FollowupStore(store), {"alice": alice, "bob": bob, **keys}


def _states(results: dict[str, list[ReminderOutcome]]) -> list[tuple[str, str, str]]:
    return sorted((o.trigger, o.via, o.state) for o in results["sre"])


def test_reminders_go_to_the_owner_once_per_trigger(
        team_setup: tuple[Settings, FollowupStore, dict[str, str]], webhook: HttpReceiver,
        jira_standin: JiraStandIn, jira_tracker: JiraTracker) -> None:
    settings, store, ids = team_setup

    def send(now: datetime) -> dict[str, list[ReminderOutcome]]:
        return jobs.send_reminders(settings, store, now.astimezone(UTC),
                                   tracker_for=lambda team: jira_tracker)

    # Tuesday 10:00 in Berlin: two days before. Alice's own channel; Bob's ticket, mentioning only him.
    assert _states(send(at(31, 10))) == [("before", "comment", "sent"), ("before", "notify", "sent")]
    [message] = webhook.recorder.requests
    assert message.path == "/alice"
    assert "Alert on lag" in message.json()["message"] and "in 2 days" in message.json()["message"]
    assert "Tidy dashboards" not in message.json()["message"]  # repair is not a preventative kind
    [comment] = jira_standin.comments[ids["Failover runbook"]]
    # Stored as it renders: a live mention, then our text with nothing escaped that needs no escape.
    assert comment["body"] == (f"[~accountid:{ids['bob']}] Reminder: this postmortem action is due on "
                               "2026-04-02, in 2 days. Please finish it, move its due date, or close it as "
                               "won't do if it is no longer needed.")

    # Later runs the same day, and the next days up to the due date: nothing again.
    assert _states(send(at(31, 15))) == [("before", "comment", "already-sent"),
                                         ("before", "notify", "already-sent")]
    send(at(2, 10))
    assert len(webhook.recorder.requests) == 1 and len(jira_standin.comments[ids["Failover runbook"]]) == 1

    # Friday 08:30 in Lisbon is 09:30 in Berlin: Bob (team zone) gets his, Alice's hours have not begun.
    assert _states(send(datetime(2026, 4, 3, 8, 30, tzinfo=ZoneInfo("Europe/Lisbon")))) == [
        ("overdue", "comment", "sent")]
    assert "is overdue since today (it was due on 2026-04-02)" in (
        jira_standin.comments[ids["Failover runbook"]][-1]["body"])
    assert _states(send(at(3, 11))) == [("overdue", "comment", "already-sent"), ("overdue", "notify", "sent")]
    assert len(webhook.recorder.requests) == 2


def test_a_failed_reminder_is_tried_again_on_the_next_run(
        team_setup: tuple[Settings, FollowupStore, dict[str, str]], webhook: HttpReceiver,
        jira_tracker: JiraTracker) -> None:
    settings, store, _ = team_setup
    webhook.recorder.fail_next = 1
    first = jobs.send_reminders(settings, store, at(31, 10).astimezone(UTC),
                                tracker_for=lambda t: jira_tracker)
    assert ("before", "notify", "failed") in _states(first)
    second = jobs.send_reminders(settings, store, at(31, 10, 30).astimezone(UTC),
                                 tracker_for=lambda t: jira_tracker)
    assert ("before", "notify", "sent") in _states(second)
    assert len(webhook.recorder.requests) == 1


def test_github_comment_mentions_only_the_assignee() -> None:
    with GitHubStandIn() as api:
        tracker = make_tracker(api)
        issue = api.add_issue("Runbook")
        key = f"{api.repo}#{issue.number}"
        tracker.comment(key, "Reminder for @octocat and @acme/everyone: due soon", mention="alice")
        [body] = api.issues[issue.number].comments
        assert body.startswith("@alice Reminder for ")
        assert "@octocat" not in body and "@acme/everyone" not in body  # copied text never pings


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server.url
    finally:
        server.stop()


def test_reminder_task_on_a_real_worker(team_setup: tuple[Settings, FollowupStore, dict[str, str]],
                                        webhook: HttpReceiver, jira_standin: JiraStandIn,
                                        redis_url: str) -> None:
    settings, _, ids = team_setup
    app = make_celery(settings.model_copy(update={"redis_url": redis_url}))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20,
                      queues=["tracker"]):
        result = app.send_task(REMIND_TASK, kwargs={"at": at(31, 10).astimezone(UTC).isoformat()})
        summary = result.get(timeout=60)
    assert sorted((entry["via"], entry["state"]) for entry in summary["sre"]) == [
        ("comment", "sent"), ("notify", "sent")]
    assert len(webhook.recorder.requests) == 1
    assert jira_standin.comments[ids["Failover runbook"]][0]["body"].startswith(f"[~accountid:{ids['bob']}]")
