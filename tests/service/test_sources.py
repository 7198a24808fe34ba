"""Postmortem sources: GitHub files and merged pull requests, Jira reviews; the sweep and resync."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic import SecretStr
from redis import Redis
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings, load_settings
from connectors.sources import GitHubFile, JiraIssue
from connectors.sources.github import GitHubReader
from connectors.sources.jira import JiraReader
from tests.servers import postgres_database
from tests.service.harness import PEOPLE, ROOT, postmortem_markdown, service_env, wait_for, write_config
from worker.tasks.names import RECONCILE_TASK

pytest.importorskip("worker.parse")
from tests.service.github_sources import GitHubSourcesStandIn

JiraStandIn = pytest.importorskip("tests.standins.jira").JiraStandIn
postmortem_key = pytest.importorskip("worker.sync.pipeline").postmortem_key
from worker.web.signatures import sign  # noqa: E402

GH_SECRET = SecretStr("gh-hook-secret")
FOLDER = "docs/postmortems/"
JIRA_REVIEW = """h1. Postmortem: Queue backlog

h2. Action items
||Action||Owner||Due||Priority||
|Add queue depth alert|ann@example.com|2030-01-05|P1|
|Write runbook for backlog|bob@example.com|2030-01-06|P2|
"""


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database("ft_sources") as url:
        yield url


@pytest.fixture
def github() -> Iterator[Any]:
    with GitHubSourcesStandIn(repo="acme/ops", collaborators={"ann", "bob"}) as standin:
        yield standin


@pytest.fixture
def jira() -> Iterator[Any]:
    with JiraStandIn(projects=("OPS", "PIR")) as standin:
        yield standin


def github_settings(github: Any, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "github_token": SecretStr("test-token"), "github_api_url": github.url, "jira_url": None,
        "github_webhook_secret": GH_SECRET, "celery_broker_url": None,
        "sources": {"github": {"repo": "acme/ops", "path": FOLDER}},
        "teams": {"ops": {"tracker": "github", "github": {"repo": "acme/ops"}}}, "default_team": "ops",
        "people": PEOPLE,
    }
    values.update(extra)
    return load_settings(**values)


def test_github_reader_lists_fetches_and_reads_pulls(github: Any) -> None:
    sha = github.commit("main", {f"{FOLDER}a.md": b"# A", f"{FOLDER}img.png": b"\x89PNG",
                                 "README.md": b"# readme", f"{FOLDER}sub/b.txt": b"B"})
    github.pulls[5] = {"merged": True, "merge_commit_sha": sha, "base": "main",
                       "merged_at": "2030-01-02T03:04:05Z",
                       "files": [(f"{FOLDER}a.md", "added"), (f"{FOLDER}old.md", "removed")]}
    reader = GitHubReader(github_settings(github))
    settings = github_settings(github)
    assert settings.sources.github is not None
    found = reader.list_postmortems(settings.sources.github)
    assert found == [GitHubFile("acme/ops", sha, f"{FOLDER}a.md"),
                     GitHubFile("acme/ops", sha, f"{FOLDER}sub/b.txt")]
    document = reader.fetch(found[0])
    assert document.content == b"# A"
    assert document.filename == "a.md"
    pull = reader.merged_pull("acme/ops", 5)
    assert pull.merged and pull.merge_sha == sha and pull.base_ref == "main"
    assert pull.paths == (f"{FOLDER}a.md",)
    # The merge time is the version of the documents the pull request brought.
    assert pull.merged_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_github_reader_refuses_an_oversized_file(github: Any) -> None:
    from connectors.errors import Invalid

    sha = github.commit("main", {f"{FOLDER}big.md": b"x" * 5000})
    with pytest.raises(Invalid, match="max_document_bytes"):
        GitHubReader(github_settings(github, max_document_bytes=1000)).fetch(
            GitHubFile("acme/ops", sha, f"{FOLDER}big.md"))


def test_jira_reader_fetches_and_searches(jira: Any) -> None:
    settings = load_settings(jira_url=jira.url, jira_email=jira.email,
                             jira_api_token=SecretStr(jira.api_token),
                             sources={"jira": {"projects": ["PIR"], "jql": "project = PIR"}})
    reader = JiraReader(settings)
    client = reader._jira()
    issue = client.create_issue(fields={"project": {"key": "PIR"}, "summary": "Queue backlog review",
                                        "description": JIRA_REVIEW, "issuetype": {"name": "Task"}},
                                prefetch=False)
    key = issue.key
    document = reader.fetch(JiraIssue(key))
    assert document.content.decode() == JIRA_REVIEW
    assert document.title == "Queue backlog review"
    # Jira's `updated` orders the versions of the postmortem.
    assert document.version is not None and document.version.tzinfo is not None
    assert abs((datetime.now(UTC) - document.version).total_seconds()) < 60
    assert settings.sources.jira is not None
    assert reader.approved(settings.sources.jira) == [JiraIssue(key)]


@pytest.fixture
def worker_app(redis_url: str, redis_client: Redis) -> Any:
    import worker.tasks.pipeline  # noqa: F401  (registers the shared tasks)

    return redis_url


def test_merged_pull_request_webhook_ingests_each_changed_postmortem(
    github: Any, worker_app: str, database_url: str
) -> None:
    from celery.contrib.testing.worker import start_worker

    from worker.web.app import create_app

    first, second = f"{FOLDER}2030-01-db.md", f"{FOLDER}2030-01-cache.md"
    sha = github.commit("main", {first: postmortem_markdown("DB", 2).encode(),
                                 second: postmortem_markdown("Cache", 1).encode(),
                                 "src/app.py": b"print()"})
    github.pulls[9] = {"merged": True, "merge_commit_sha": sha, "base": "main",
                       "files": [(first, "added"), (second, "modified"), ("src/app.py", "modified")]}
    settings = github_settings(github, redis_url=worker_app, database_url=database_url)
    app = make_celery(settings)
    body = json.dumps({"action": "closed", "number": 9,
                       "pull_request": {"number": 9, "merged": True, "base": {"ref": "main"}},
                       "repository": {"full_name": "acme/ops", "default_branch": "main"}}).encode()
    headers = {"X-Hub-Signature-256": sign(GH_SECRET, body), "X-GitHub-Event": "pull_request",
               "X-GitHub-Delivery": "pr-9"}
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
            TestClient(create_app(settings, celery=app)) as client:
        assert client.post("/hooks/github", content=body, headers=headers).status_code == 202
        labels = {path: f"ftpm-{postmortem_key(f'github:acme/ops:{path}')}" for path in (first, second)}
        wait_for(lambda: len(github.issues_labelled(labels[first])) == 2
                 and len(github.issues_labelled(labels[second])) == 1, timeout=40, what="3 GitHub issues")
    titles = sorted(issue.title for issue in github.issues.values())
    assert titles == ["Follow-up action number 1 for Cache", "Follow-up action number 1 for DB",
                      "Follow-up action number 2 for DB"]


def test_reconcile_sweep_ingests_missed_jira_reviews_once(
    jira: Any, worker_app: str, database_url: str
) -> None:
    from celery.contrib.testing.worker import start_worker

    people = [dict(p, jira_account_id=jira.add_user(p["name"], email=p["email"])) for p in PEOPLE]
    settings = load_settings(
        redis_url=worker_app, celery_broker_url=None, database_url=database_url, github_token=None,
        jira_url=jira.url, jira_email=jira.email, jira_api_token=SecretStr(jira.api_token),
        # The default JQL: project in (PIR) AND status = "Done" (the stand-in's approved status).
        sources={"jira": {"projects": ["PIR"], "approved_status": "Done"}},
        teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}}}, default_team="ops", people=people,
    )
    review = JiraReader(settings)._jira().create_issue(
        fields={"project": {"key": "PIR"}, "summary": "sweep review", "description": JIRA_REVIEW,
                "issuetype": {"name": "Task"}}, prefetch=False)
    JiraReader(settings)._jira().create_issue(
        fields={"project": {"key": "PIR"}, "summary": "still in review", "description": JIRA_REVIEW,
                "issuetype": {"name": "Task"}}, prefetch=False)
    jira.close_issue(review.key)
    label = f"ftpm-{postmortem_key(f'jira:{review.key}')}"
    app = make_celery(settings)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        app.send_task(RECONCILE_TASK)
        wait_for(lambda: len(jira.issues_with_label(label)) == 2, timeout=30, what="the review's tickets")
        from worker.service.sweep import find_unseen

        assert find_unseen(settings) == []
        from worker.service.sweep import unsynced

        assert postmortem_key(f"jira:{review.key}") not in unsynced(settings, settle=timedelta(0))
    assert len(jira.issues_with_label(label)) == 2
    # Only the approved review was ingested: the one still in review made no tickets.
    assert len([k for k, f in jira.issues.items() if k.startswith("OPS-")]) == 2


def test_resync_command_rereads_the_branch_and_adds_the_new_item(
    github: Any, tmp_path: Path, redis_url: str, database_url: str
) -> None:
    from worker.service.requests import IngestRequest
    from worker.service.resync import reingest

    path = f"{FOLDER}resync.md"
    github.commit("main", {path: postmortem_markdown("Resync", 1).encode()})
    settings = github_settings(github, database_url=database_url, redis_url=redis_url)
    # First ingest as the sweep would (pinned to the commit), then the document changes on main.
    from worker.sync import pipeline

    sha = github.branches["main"]
    request = IngestRequest(source=f"github:acme/ops@{sha}:{path}")
    result = pipeline.ingest(settings, content=postmortem_markdown("Resync", 1).encode(),
                             source=str(request.source), postmortem_id=f"github:acme/ops:{path}")
    github.commit("main", {path: postmortem_markdown("Resync", 2).encode()})
    assert reingest(settings, result.postmortem_key).item_count == 2

    config = write_config(tmp_path, teams={"ops": {"tracker": "github", "github": {"repo": "acme/ops"}}},
                          default_team="ops", people=PEOPLE)
    env = service_env(config, REDIS_URL=redis_url, FOLLOWTHROUGH_DATABASE_URL=database_url,
                      GITHUB_TOKEN="test-token", GITHUB_API_URL=github.url,
                      FOLLOWTHROUGH_SOURCES=json.dumps({"github": {"repo": "acme/ops", "path": FOLDER}}))
    done = subprocess.run([sys.executable, "-m", "worker", "resync", result.postmortem_key], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "resynced 1 of 1 postmortem(s): 2 created" in done.stdout
    assert len(github.issues_labelled(f"ftpm-{result.postmortem_key}")) == 2
    unknown = subprocess.run([sys.executable, "-m", "worker", "resync", "nope"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "followthrough: error: no stored postmortem has key or id 'nope'"


def test_sweep_requeues_a_sync_lost_to_a_crash(github: Any, database_url: str) -> None:
    from worker.service.sweep import unsynced
    from worker.sync import pipeline

    settings = github_settings(github, database_url=database_url)
    # Ingested, then the worker died before the sync ran: nothing marks it synced.
    result = pipeline.ingest(settings, content=postmortem_markdown("Lost", 1).encode(),
                             source="inline:lost-1", postmortem_id="lost-1")
    assert result.postmortem_key not in unsynced(settings)  # still settling: its sync may be queued
    assert result.postmortem_key in unsynced(settings, settle=timedelta(0))
    pipeline.sync(settings, result.postmortem_key)
    assert result.postmortem_key not in unsynced(settings, settle=timedelta(0))


def test_sweep_stops_requeueing_a_document_the_parser_refused(jira: Any, tmp_path: Path) -> None:
    from worker.errors import UserError
    from worker.service.fetch import fetch_document
    from worker.service.sweep import find_unseen
    from worker.sync import pipeline

    settings = load_settings(
        redis_url=None, celery_broker_url=None, database_url=f"sqlite:///{tmp_path / 'ft.db'}",
        github_token=None, jira_url=jira.url, jira_email=jira.email, jira_api_token=SecretStr(jira.api_token),
        sources={"jira": {"projects": ["PIR"], "approved_status": "Done"}},
        teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}}}, default_team="ops",
    )
    hostile = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>'
    review = JiraReader(settings)._jira().create_issue(
        fields={"project": {"key": "PIR"}, "summary": "hostile review", "description": hostile,
                "issuetype": {"name": "Task"}}, prefetch=False)
    jira.close_issue(review.key)
    [request] = find_unseen(settings)
    assert request.source == f"jira:{review.key}"
    document = fetch_document(settings, JiraIssue(review.key))
    with pytest.raises(UserError, match="declares XML entities"):
        pipeline.ingest(settings, content=document.content, source=str(document.source),
                        filename=document.filename)
    [failure] = pipeline.parse_failures(settings)
    assert failure.source == f"jira:{review.key}" and "entities" in failure.reason
    assert len(failure.content_hash) == 64 and failure.attempts == 1
    assert find_unseen(settings) == []  # recorded: the sweep no longer re-queues it
    with pytest.raises(UserError):
        pipeline.ingest(settings, content=document.content, source=str(document.source))
    assert pipeline.parse_failures(settings)[0].attempts == 2
    # Once the document parses, the failure is forgotten.
    pipeline.ingest(settings, content=JIRA_REVIEW.encode(), source=str(document.source), filename="r.wiki")
    assert pipeline.parse_failures(settings) == []


def test_an_older_merge_delivered_late_never_rolls_the_file_back(
    github: Any, worker_app: str, database_url: str
) -> None:
    from celery.contrib.testing.worker import start_worker
    from sqlalchemy import func, select

    from worker.store import Store
    from worker.store.models import OutboxRow
    from worker.web.app import create_app

    path = f"{FOLDER}2030-02-order.md"
    old_sha = github.commit("main", {path: postmortem_markdown("Order", 2).encode()})
    new_sha = github.commit("main", {path: postmortem_markdown("Order", 3).encode()})
    github.pulls[20] = {"merged": True, "merge_commit_sha": old_sha, "base": "main",
                        "merged_at": "2030-02-01T10:00:00Z", "files": [(path, "added")]}
    github.pulls[21] = {"merged": True, "merge_commit_sha": new_sha, "base": "main",
                        "merged_at": "2030-02-01T11:00:00Z", "files": [(path, "modified")]}
    settings = github_settings(github, redis_url=worker_app, database_url=database_url)
    app = make_celery(settings)
    label = f"ftpm-{postmortem_key(f'github:acme/ops:{path}')}"

    def deliver(client: TestClient, number: int) -> None:
        body = json.dumps({"action": "closed", "number": number,
                           "pull_request": {"number": number, "merged": True, "base": {"ref": "main"}},
                           "repository": {"full_name": "acme/ops", "default_branch": "main"}}).encode()
        headers = {"X-Hub-Signature-256": sign(GH_SECRET, body), "X-GitHub-Event": "pull_request",
                   "X-GitHub-Delivery": f"order-{number}"}
        assert client.post("/hooks/github", content=body, headers=headers).status_code == 202

    def done() -> int:
        with Store(database_url) as store, store.session() as s:
            count = s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "done"))
            return int(cast(int, count))

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
            TestClient(create_app(settings, celery=app)) as client:
        deliver(client, 21)
        wait_for(lambda: len(github.issues_labelled(label)) == 3, timeout=40, what="3 GitHub issues")
        before = done()
        deliver(client, 20)  # the earlier merge's event, arriving last
        wait_for(lambda: done() > before, timeout=30, what="the late pull request's task")
        # The ingest that task queued runs before a sweep queued after it (one solo worker, FIFO queue).
        app.send_task(RECONCILE_TASK).get(timeout=60)
        time.sleep(1.0)  # a sync it had queued (it must not) would run now
    issues = github.issues_labelled(label)
    assert len(issues) == 3
    assert not any("ft-removed-from-postmortem" in issue.labels for issue in issues)
    with Store(database_url) as store:
        record = store.get_postmortem(postmortem_key(f"github:acme/ops:{path}"))
    assert record is not None and new_sha in record.source
