"""The `send_reports` Celery task when a worker died mid-send: the channel is retried, never lost."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

pytest.importorskip("worker.store")

from pydantic import SecretStr

import worker.tasks.followup  # noqa: F401  (registers the follow-up tasks)
from config.celery_app import make_celery
from config.settings import load_settings
from connectors.jira import JiraTracker
from tests.followup.receivers import HttpReceiver
from tests.followup.storeflow import seed
from tests.standins.jira import JiraStandIn
from worker.followup import rules
from worker.store import Store
from worker.store.sends import SENT, Ledger, channel_id
from worker.store.tracked import open_followup_store
from worker.tasks.followup import DeliveryFailed
from worker.tasks.names import SEND_TASK

# Monday 2026-03-30, 09:01 in Berlin: just after the team's weekly report time.
AT = datetime(2026, 3, 30, 7, 1, tzinfo=UTC)


def test_channel_left_claimed_by_a_killed_worker_is_sent_after_the_lease(
        tmp_path: Path, webhook: HttpReceiver, jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    url = f"sqlite:///{tmp_path / 'ft.db'}"
    store = Store(url)
    seed(store, jira_tracker, key="pm1", team="sre", approved_at=datetime(2026, 2, 2, 9, tzinfo=UTC),
         items=[("Add replication alert", date(2026, 3, 20), "detect")])
    store.close()
    hook = f"json://127.0.0.1:{webhook.port}/sre"
    settings = load_settings(
        database_url=url, redis_url=None, celery_broker_url=None, jira_url=jira_standin.url,
        jira_email=jira_standin.email, jira_api_token=SecretStr(jira_standin.api_token), default_team="sre",
        teams={"sre": {"tracker": "jira", "jira": {"project": "OPS"}, "timezone": "Europe/Berlin",
                       "followup": {"notify": [hook]}}})
    task = make_celery(settings).tasks[SEND_TASK]
    policy = settings.followup_policy(settings.teams["sre"])
    period = rules.report_period(policy.schedule, AT, rules.zone(policy))
    channel = channel_id("report", hook)
    with time_machine.travel(AT, tick=False) as clock, open_followup_store(settings) as followup:
        # A worker claimed the channel, then was killed (SIGKILL) before it could deliver or record.
        ledger = Ledger(followup.engine)
        ledger.ensure("sre", period.start, channel, target="json://127.0.0.1/…", now=AT)
        assert ledger.claim("sre", period.start, channel, now=AT)

        # Its message comes back at once: the claim is still fresh, so the task must not call it done.
        redelivered = task.apply(kwargs={"team": "sre"})
        assert redelivered.state == "FAILURE" and isinstance(redelivered.result, DeliveryFailed)
        assert "1 busy" in str(redelivered.result)
        assert webhook.recorder.requests == []

        # The scheduled retry runs after the lease, still for the period it started (`at`).
        clock.move_to(AT + timedelta(minutes=12))
        retried = task.apply(kwargs={"team": "sre", "at": AT.isoformat()})
        assert retried.state == "SUCCESS", retried.result
        assert [entry["decision"] for entry in retried.result] == ["sent"]
        assert len(webhook.recorder.requests) == 1
        assert "Add replication alert" in webhook.recorder.requests[0].json()["message"]
        [row] = Ledger(followup.engine).rows(team="sre")
        assert (row.state, row.attempts) == (SENT, 2)
