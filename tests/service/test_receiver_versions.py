"""A postmortem's version history against replays, clocks and the broker: a receiver, a real Celery worker,
Redis, PostgreSQL, and the GitHub and Jira stand-ins counting every call.

Before: replays with fresh delivery ids were re-fetched every time (30 GitHub replays cost 120 calls), a
delivery signed 290 s ahead pinned the version and dropped the real one after it, two versions signed in
the same second landed in whichever order the workers finished, and a version set on the broker froze
the postmortem. Now each of these ends with the newest real content stored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings, load_settings
from tests.servers import postgres_database
from tests.service.github_sources import GitHubSourcesStandIn
from tests.service.harness import PEOPLE, postmortem_markdown, wait_for
from tests.service.test_sources import FOLDER, GH_SECRET, JIRA_REVIEW, github_settings
from worker.store import Store
from worker.sync.pipeline import postmortem_key
from worker.tasks.names import INGEST_QUEUE, INGEST_TASK
from worker.web.app import create_app
from worker.web.signatures import sign, sign_timestamped

JiraStandIn = pytest.importorskip("tests.standins.jira").JiraStandIn

SECRET = SecretStr("versions-secret")
JIRA_SECRET = SecretStr("versions-jira-secret")
GENERIC = "/hooks/postmortem-approved"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database("ft_versions") as url:
        yield url


@pytest.fixture
def github() -> Iterator[Any]:
    with GitHubSourcesStandIn(repo="acme/ops", collaborators={"ann", "bob"}) as standin:
        yield standin


@pytest.fixture
def jira() -> Iterator[Any]:
    with JiraStandIn(projects=("OPS", "PIR")) as standin:
        yield standin


@contextmanager
def running(settings: Settings) -> Iterator[tuple[TestClient, Any]]:
    """The receiver (TestClient) and a solo Celery worker on the settings' Redis."""
    from celery.contrib.testing.worker import start_worker

    import worker.tasks.pipeline  # noqa: F401  (registers the shared tasks)

    app = make_celery(settings)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
            TestClient(create_app(settings, celery=app)) as client:
        yield client, app


def generic_settings(redis_url: str, database_url: str) -> Settings:
    return load_settings(redis_url=redis_url, celery_broker_url=None, database_url=database_url,
                         webhook_secret=SECRET, github_token=None, jira_url=None,
                         teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}}}, default_team="ops",
                         sources={"github": {"repo": "acme/postmortems", "path": "docs/postmortems",
                                             "branch": "main"}})


def post_generic(client: TestClient, document_id: str, content: str, *, at: float) -> Any:
    body = json.dumps({"id": document_id, "title": "Versions", "content": content}).encode()
    headers = {"X-Followthrough-Signature": sign_timestamped(SECRET, body, timestamp=int(at))}
    return client.post(GENERIC, content=body, headers=headers)


def stored_content(database_url: str, document_id: str) -> bytes | None:
    with Store(database_url) as store:
        return store.load_content(postmortem_key(document_id))


def drained(redis_client: Redis) -> bool:
    return redis_client.llen(INGEST_QUEUE) == 0


def test_ten_github_replays_cost_the_calls_of_one(github: Any, redis_url: str, redis_client: Redis,
                                                  database_url: str) -> None:
    path = f"{FOLDER}2030-02-replay.md"
    sha = github.commit("main", {path: postmortem_markdown("Replay", 2).encode()})
    github.pulls[11] = {"merged": True, "merge_commit_sha": sha, "base": "main", "files": [(path, "added")]}
    settings = github_settings(github, redis_url=redis_url, database_url=database_url)
    body = json.dumps({"action": "closed", "number": 11,
                       "pull_request": {"number": 11, "merged": True, "base": {"ref": "main"}},
                       "repository": {"full_name": "acme/ops", "default_branch": "main"}}).encode()
    label = f"ftpm-{postmortem_key(f'github:acme/ops:{path}')}"

    def deliver(delivery_id: str) -> Any:
        return client.post("/hooks/github", content=body, headers={
            "X-Hub-Signature-256": sign(GH_SECRET, body), "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": delivery_id})

    with running(settings) as (client, _app):
        assert deliver("first").status_code == 202
        wait_for(lambda: len(github.issues_labelled(label)) == 2, timeout=40, what="two issues")
        time.sleep(1.0)  # the sync's last calls
        calls = len(github.calls)
        answers = [deliver(f"replay-{n}").json() for n in range(10)]  # fresh, unsigned delivery ids
        time.sleep(2.0)
    assert answers == [{"status": "duplicate"}] * 10
    assert len(github.calls) == calls  # the replays cost nothing on GitHub
    assert len(github.issues_labelled(label)) == 2


def test_ten_jira_replays_cost_the_calls_of_one(jira: Any, redis_url: str, redis_client: Redis,
                                                database_url: str) -> None:
    people = [dict(p, jira_account_id=jira.add_user(p["name"], email=p["email"])) for p in PEOPLE]
    settings = load_settings(
        redis_url=redis_url, celery_broker_url=None, database_url=database_url, github_token=None,
        jira_url=jira.url, jira_email=jira.email, jira_api_token=SecretStr(jira.api_token),
        jira_webhook_secret=JIRA_SECRET, people=people, default_team="ops",
        sources={"jira": {"projects": ["PIR"], "approved_status": "Done"}},
        teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}}})
    from connectors.sources.jira import JiraReader

    review = JiraReader(settings)._jira().create_issue(
        fields={"project": {"key": "PIR"}, "summary": "replayed review", "description": JIRA_REVIEW,
                "issuetype": {"name": "Task"}}, prefetch=False)
    jira.close_issue(review.key)
    body = json.dumps({"webhookEvent": "jira:issue_updated",
                       "issue": {"key": review.key, "fields": {"project": {"key": "PIR"}}},
                       "changelog": {"items": [{"field": "status", "toString": "Done"}]}}).encode()
    label = f"ftpm-{postmortem_key(f'jira:{review.key}')}"

    def deliver(delivery_id: str) -> Any:
        return client.post("/hooks/jira", content=body, headers={
            "X-Hub-Signature": sign(JIRA_SECRET, body), "X-Atlassian-Webhook-Identifier": delivery_id})

    with running(settings) as (client, _app):
        assert deliver("first").status_code == 202
        wait_for(lambda: len(jira.issues_with_label(label)) == 2, timeout=40, what="two tickets")
        time.sleep(1.0)
        calls = jira.count()
        answers = [deliver(f"replay-{n}").json() for n in range(10)]
        time.sleep(2.0)
    assert answers == [{"status": "duplicate"}] * 10
    assert jira.count() == calls
    assert len(jira.issues_with_label(label)) == 2


def test_a_future_dated_delivery_does_not_pin_the_version(redis_url: str, redis_client: Redis,
                                                          database_url: str) -> None:
    settings = generic_settings(redis_url, database_url)
    with running(settings) as (client, _app):
        assert post_generic(client, "PM-future", "# PM\nahead", at=time.time() + 290).status_code == 202
        wait_for(lambda: stored_content(database_url, "PM-future") is not None, timeout=20, what="ingest")
        time.sleep(1.1)  # the real delivery is signed a second later than the receipt of the first
        assert post_generic(client, "PM-future", "# PM\nreal", at=time.time()).status_code == 202
        wait_for(lambda: stored_content(database_url, "PM-future") == b"# PM\nreal", timeout=20,
                 what="the real delivery stored")


def stale_ingests() -> float:
    """Ingests dropped as older than the stored version, as /metrics counts them (this process)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("followthrough_ingests_total", {"result": "stale"}) or 0.0


def reverse_queue(redis_client: Redis, queue: str = INGEST_QUEUE) -> None:
    """Hand the broker's messages to the worker in the opposite order (the broker is not trusted)."""
    messages = redis_client.lrange(queue, 0, -1)
    pipe = redis_client.pipeline()
    pipe.delete(queue)
    if messages:
        pipe.rpush(queue, *reversed(messages))
    pipe.execute()


def test_two_versions_signed_in_the_same_second_keep_the_later_arrival(
        redis_url: str, redis_client: Redis, database_url: str) -> None:
    from celery.contrib.testing.worker import start_worker

    settings = generic_settings(redis_url, database_url)
    app = make_celery(settings)
    stamp = time.time()
    first = "# PM\n\n## Action items\n\n" + "".join(f"- [ ] early item {n} (@ann)\n" for n in range(300))
    with TestClient(create_app(settings, celery=app)) as client:
        assert post_generic(client, "PM-tie", first, at=stamp).status_code == 202
        assert post_generic(client, "PM-tie", "# PM\nlater", at=stamp).status_code == 202
    reverse_queue(redis_client)  # the later arrival is applied first
    import worker.tasks.pipeline  # noqa: F401

    dropped = stale_ingests()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        wait_for(lambda: drained(redis_client), timeout=30, what="both ingests")
        wait_for(lambda: stale_ingests() == dropped + 1, timeout=10, what="the drop counted")
    assert stored_content(database_url, "PM-tie") == b"# PM\nlater"  # the earlier one dropped, counted


def test_a_version_set_on_the_broker_is_ignored(redis_url: str, redis_client: Redis,
                                                database_url: str) -> None:
    settings = generic_settings(redis_url, database_url)
    with running(settings) as (client, app):
        assert post_generic(client, "PM-broker", "# PM\nfirst", at=time.time()).status_code == 202
        wait_for(lambda: stored_content(database_url, "PM-broker") == b"# PM\nfirst", timeout=20,
                 what="the first version")
        app.send_task(INGEST_TASK, args=[{"id": "PM-broker", "content": "# PM\nforged",
                                          "version": "9999-01-01T00:00:00Z"}])
        wait_for(lambda: stored_content(database_url, "PM-broker") == b"# PM\nforged", timeout=20,
                 what="the forged message applied")
        time.sleep(1.1)
        assert post_generic(client, "PM-broker", "# PM\nnewest", at=time.time()).status_code == 202
        wait_for(lambda: stored_content(database_url, "PM-broker") == b"# PM\nnewest", timeout=20,
                 what="the newest real version stored")
    with Store(database_url) as store:
        record = store.get_postmortem(postmortem_key("PM-broker"))
    assert record is not None and record.version is not None and record.version.year < 9999


@pytest.mark.parametrize(("ref", "status"), [
    ("refs/pull/7/head", 422), ("0123456789abcdef0123456789abcdef01234567", 422), ("feature", 422),
    ("main", 202), ("refs/tags/v1", 202),
])
def test_a_generic_source_names_only_the_branch_or_a_tag(redis_url: str, redis_client: Redis,
                                                         database_url: str, ref: str, status: int) -> None:
    settings = generic_settings(redis_url, database_url)
    source = f"github:acme/postmortems@{ref}:docs/postmortems/a.md"
    body = json.dumps({"id": f"PM-ref-{ref}", "source": source}).encode()
    headers = {"X-Followthrough-Signature": sign_timestamped(SECRET, body, timestamp=int(time.time()))}
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        answer = client.post(GENERIC, content=body, headers=headers)
    assert answer.status_code == status, answer.text
