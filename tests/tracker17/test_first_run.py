"""A safe first run: history in the sources makes no tickets until `backfill` imports it on purpose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis

from config.celery_app import make_celery
from config.settings import load_settings
from tests.servers import postgres_database
from tests.service.github_sources import GitHubSourcesStandIn
from tests.service.harness import postmortem_markdown
from tests.standins.jira import JiraStandIn
from tests.tracker17.support import JIRA_TEAMS, cli, jira_env, write_config
from worker.tasks.names import RECONCILE_TASK

FOLDER = "docs/postmortems/"


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_database("ft_i17_first") as url:
        yield url


def history(github: Any) -> None:
    """Three postmortems from 2024, committed one after the other, with due dates long past."""
    files: dict[str, bytes] = {}
    for n, month in enumerate((3, 6, 9), start=1):
        text = postmortem_markdown(f"Old outage {n}", 2).replace("2030-01", "2024-10")
        files[f"{FOLDER}2024-{month:02d}.md"] = text.encode()
        github.commit("main", dict(files), at=datetime(2024, month, 1, tzinfo=UTC))


def test_history_waits_for_backfill(tmp_path: Path, redis_url: str, redis_client: Redis,
                                    database_url: str) -> None:
    from celery.contrib.testing.worker import start_worker

    import worker.tasks.pipeline  # noqa: F401  (registers the shared tasks)

    with JiraStandIn(projects=("OPS",)) as jira, GitHubSourcesStandIn(repo="acme/ops") as github:
        history(github)
        sources = {"github": {"repo": "acme/ops", "path": FOLDER}}
        settings = load_settings(
            redis_url=redis_url, celery_broker_url=None, database_url=database_url,
            github_token=SecretStr("test-token"), github_api_url=github.url,
            jira_url=jira.url, jira_email=jira.email, jira_api_token=SecretStr(jira.api_token),
            sources=sources, teams=JIRA_TEAMS, default_team="ops",
        )
        app = make_celery(settings)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            first = app.send_task(RECONCILE_TASK).get(timeout=60)
            again = app.send_task(RECONCILE_TASK).get(timeout=60)
        assert first["queued"] == 0 and again["queued"] == 0 and first["failed"] == []
        assert jira.issues == {}  # the first deploy tickets nothing of the past

        write_config(tmp_path, JIRA_TEAMS, sources=sources)
        env = {**jira_env(jira), "GITHUB_TOKEN": "test-token", "GITHUB_API_URL": github.url,
               "FOLLOWTHROUGH_DATABASE_URL": database_url}
        plan = cli(tmp_path, "backfill", "--since", "2024-05-01", "--dry-run", "--format", "json", env=env)
        assert plan.returncode == 0, plan.stderr
        planned = json.loads(plan.stdout)["documents"]
        assert sorted(d["outcome"] for d in planned) == ["planned", "planned"]  # March is before --since
        assert jira.issues == {}
        done = cli(tmp_path, "backfill", "--since", "2024-05-01", "--format", "json", env=env)
        assert done.returncode == 0, done.stderr
        imported = json.loads(done.stdout)["documents"]
        assert [d["outcome"] for d in imported] == ["imported", "imported"]
        assert len(jira.issues) == 4
        # Their due dates are the real ones (long past), but nothing is escalated on the import day.
        report = cli(tmp_path, "report", "--format", "json", env=env)
        assert report.returncode == 0, report.stderr
        body = json.loads(report.stdout)
        teams = body["teams"] if isinstance(body, dict) and "teams" in body else body
        text = json.dumps(teams)
        assert '"escalations": []' in text and "2024-10" in text
