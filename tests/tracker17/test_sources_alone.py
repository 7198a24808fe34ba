"""Sources fail alone: a GitHub source with a wrong branch leaves the Jira source reconciled (real worker)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis

from config.celery_app import make_celery
from config.settings import load_settings
from connectors.sources.jira import JiraReader
from tests.servers import postgres_database
from tests.service.github_sources import GitHubSourcesStandIn
from tests.service.harness import PEOPLE, wait_for
from tests.standins.jira import JiraStandIn
from worker.sync.pipeline import postmortem_key
from worker.tasks.names import RECONCILE_TASK

REVIEW = """h1. Postmortem: Queue backlog

h2. Action items
||Action||Owner||Due||Priority||
|Add queue depth alert|ann@example.com|2030-01-05|P1|
"""


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_database("ft_i17_src") as url:
        yield url


def test_broken_github_source_leaves_jira_reconciled(redis_url: str, redis_client: Redis,
                                                     database_url: str) -> None:
    from celery.contrib.testing.worker import start_worker

    import worker.tasks.pipeline  # noqa: F401  (registers the shared tasks)

    with JiraStandIn(projects=("OPS", "PIR")) as jira, GitHubSourcesStandIn(repo="acme/ops") as github:
        github.commit("main", {"docs/postmortems/a.md": b"# A"})
        people: list[dict[str, Any]] = [
            dict(p, jira_account_id=jira.add_user(p["name"], email=p["email"])) for p in PEOPLE
        ]
        settings = load_settings(
            redis_url=redis_url, celery_broker_url=None, database_url=database_url,
            github_token=SecretStr("test-token"), github_api_url=github.url,
            jira_url=jira.url, jira_email=jira.email, jira_api_token=SecretStr(jira.api_token),
            sources={"github": {"repo": "acme/ops", "path": "docs/postmortems/", "branch": "no-such-branch"},
                     "jira": {"projects": ["PIR"], "approved_status": "Done"}},
            teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}}}, default_team="ops", people=people,
            since=datetime(2000, 1, 1, tzinfo=UTC),  # no cutoff: this review is new
        )
        review = JiraReader(settings)._jira().create_issue(
            fields={"project": {"key": "PIR"}, "summary": "review", "description": REVIEW,
                    "issuetype": {"name": "Task"}}, prefetch=False)
        jira.close_issue(review.key)
        label = f"ftpm-{postmortem_key(f'jira:{review.key}')}"
        app = make_celery(settings)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            result = app.send_task(RECONCILE_TASK).get(timeout=30)
            wait_for(lambda: len(jira.issues_with_label(label)) == 1, timeout=30, what="the review's ticket")
    assert result["queued"] == 1 and len(result["failed"]) == 1
    [failure] = result["failed"]
    assert failure.startswith("source github:acme/ops failed: NotFound")
    assert "branches ('no-such-branch')" in failure
