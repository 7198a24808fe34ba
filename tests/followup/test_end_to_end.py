"""End to end: tickets created by the pipeline, some closed, the clock moves on, and a real Celery worker
and beat on a private Redis deliver exactly one correct report per team."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

pytest.importorskip("worker.sync.pipeline")
pytest.importorskip("config.celery_app")

from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from pydantic import SecretStr

import worker.tasks.followup  # noqa: F401  (registers the follow-up tasks)
from config.celery_app import beat_entries, make_celery
from config.settings import load_settings
from tests.followup import receivers
from tests.servers import RedisServer
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn
from worker.sync import pipeline

APPROVED = datetime(2026, 9, 28, 9, tzinfo=UTC)
# Monday 2026-11-23: 09:00 in Berlin is 08:00 UTC, 09:00 in New York is 14:00 UTC.
BERLIN_NINE = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NEW_YORK_NINE = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def postmortem(title: str, rows: list[tuple[str, str, str]]) -> bytes:
    table = "\n".join(f"| {action} | {due} | P2 | {kind} |" for action, due, kind in rows)
    return (f"# {title}\n\n## Action items\n\n| Action | Due | Priority | Type |\n|---|---|---|---|\n"
            f"{table}\n").encode()


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server.url
    finally:
        server.stop()


def test_one_correct_report_per_team(tmp_path: Path, redis_url: str) -> None:
    sre_hook_it = receivers.serve()
    web_hook_it = receivers.serve()
    sre_hook, web_hook = next(sre_hook_it), next(web_hook_it)
    with JiraStandIn() as jira, GitHubStandIn(repo="acme/web") as github, \
            time_machine.travel(APPROVED, tick=True) as clock:
        settings = load_settings(
            redis_url=redis_url, celery_broker_url=None, database_url=f"sqlite:///{tmp_path / 'ft.db'}",
            jira_url=jira.url, jira_email=jira.email, jira_api_token=SecretStr(jira.api_token),
            github_token=SecretStr("test-token"), github_api_url=github.url,
            beat_schedule_file=str(tmp_path / "beat-schedule"),
            teams={
                "sre": {"tracker": "jira", "jira": {"project": "OPS"}, "timezone": "Europe/Berlin",
                        "followup": {"notify": [f"json://127.0.0.1:{sre_hook.port}/sre"]}},
                "web": {"tracker": "github", "github": {"repo": "acme/web"},
                        "timezone": "America/New_York",
                        "followup": {"notify": [f"json://127.0.0.1:{web_hook.port}/web"]}},
            },
            default_team="sre",
        )
        # 1. tickets are created by the pipeline
        for team, rows in {
            "sre": [("Alert on replication lag", "2026-11-01", "Detect"),
                    ("Runbook for failover", "2026-11-10", "Process"),
                    ("Disable auto-vacuum", "2026-11-05", "Prevent"),
                    ("Buy more disks", "2027-03-01", "Prevent")],
            "web": [("Rate-limit the login form", "2026-11-02", "Prevent"),
                    ("Canary for CDN config", "2026-11-20", "Prevent")],
        }.items():
            result = pipeline.ingest(settings, content=postmortem(f"{team} outage", rows),
                                     source=f"inline:{team}", postmortem_id=f"PM-{team}", team=team,
                                     approved_at=APPROVED, filename="pm.md")
            synced = pipeline.sync(settings, result.postmortem_key)
            assert synced.counts().get("created") == len(rows), synced
        # 2. some are closed in the stand-ins (done, won't do / not planned)
        clock.move_to(datetime(2026, 11, 18, 12, tzinfo=UTC))
        by_summary = {fields["summary"]: key for key, fields in jira.issues.items()}
        jira.close_issue(by_summary["Runbook for failover"])
        jira.close_issue(by_summary["Disable auto-vacuum"], resolution="Won't Do")
        web_issues = {issue.title: number for number, issue in github.issues.items()}
        github.close_issue(web_issues["Canary for CDN config"])

        # 3. the clock moves on to just before Monday 09:00 in Berlin; worker and beat start
        clock.move_to(BERLIN_NINE - timedelta(seconds=3))
        app = make_celery(settings)
        app.conf.beat_schedule = beat_entries(settings)
        app.conf.beat_max_loop_interval = 1
        beat = EmbeddedService(app, thread=True, schedule_filename=str(tmp_path / "beat-schedule"),
                               max_interval=1)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            beat.start()
            try:
                wait_for(lambda: len(sre_hook.recorder.requests) >= 1, timeout=60, what="the sre report")
                time.sleep(2)  # further beats within the period must not send again
                assert not web_hook.recorder.requests  # 09:00 in New York is still hours away
                clock.move_to(NEW_YORK_NINE - timedelta(seconds=2))
                wait_for(lambda: len(web_hook.recorder.requests) >= 1, timeout=60, what="the web report")
                clock.move_to(NEW_YORK_NINE + timedelta(days=2))  # later the same week: same period
                time.sleep(3)
            finally:
                beat.stop()
                beat.join(10)

    # 4. exactly one correct report per team
    assert len(sre_hook.recorder.requests) == 1 and len(web_hook.recorder.requests) == 1
    sre: dict[str, Any] = sre_hook.recorder.requests[0].json()
    assert sre["title"] == "Follow-up report for sre"
    text = sre["message"].replace("\\", "")
    assert "Alert on replication lag" in text and "22 days overdue" in text
    # Due in more than the due-soon window: counted, not listed (the full report lists it).
    assert "Buy more disks" not in text and "1 open action due later" in text
    assert "Runbook for failover" not in text.split("Dropped")[0]
    assert "| Done this period | 1 |" in text and "| Dropped | 1 |" in text
    assert "Disable auto-vacuum" in text.split("Dropped this period")[1]
    web = web_hook.recorder.requests[0].json()["message"].replace("\\", "")
    assert "Rate-limit the login form" in web and "21 days overdue" in web
    assert "Canary for CDN config" not in web
    for generator in (sre_hook_it, web_hook_it):
        generator.close()
