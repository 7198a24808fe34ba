"""The contract through the running service: the pull-request hook refreshes the one preview, and a sync
by the Celery worker queues the write-back that puts the links into the postmortem on main.

Real receiver (Starlette test client), Redis broker, Celery worker, PostgreSQL store, GitHub stand-in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings, load_settings
from connectors.sources import GitHubFile, stable_id
from tests.contract.support import DOCUMENT, PATH
from tests.servers import RedisServer, postgres_database
from tests.standins.github import GitHubStandIn
from worker.sync import pipeline
from worker.tasks.names import SYNC_TASK, TRACKER_QUEUE
from worker.web.signatures import sign

SECRET = SecretStr("gh-hook-secret")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database("ft_contract") as url:
        yield url


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana", "bob"}) as standin:
        yield standin


def service_settings(gh: GitHubStandIn, redis_url: str, database_url: str) -> Settings:
    on = {"preview": True, "write_back": True}
    return load_settings(
        github_token=SecretStr("test-token"), github_api_url=gh.url, jira_url=None, redis_url=redis_url,
        celery_broker_url=None, database_url=database_url, github_webhook_secret=SECRET,
        sources={"github": {"repo": "acme/ops", "path": "postmortems/", "contract": on}},
        teams={"web": {"tracker": "github", "github": {"repo": "acme/ops"}, "contract": on}},
        default_team="web", people=[{"name": "Ana Lima", "github_login": "ana"}],
    )


def wait_for(check: Callable[[], bool], what: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def pull_event(action: str, number: int, delivery: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"action": action, "number": number,
                       "pull_request": {"number": number, "state": "open", "merged": False,
                                        "base": {"ref": "main"}},
                       "repository": {"full_name": "acme/ops", "default_branch": "main"}}).encode()
    return body, {"X-Hub-Signature-256": sign(SECRET, body), "X-GitHub-Event": "pull_request",
                  "X-GitHub-Delivery": delivery}


def comments(gh: GitHubStandIn, number: int) -> list[str]:
    with gh.lock:
        return list(gh.issues[number].comments)


def test_hook_previews_then_sync_writes_links_back(gh: GitHubStandIn, redis_url: str,
                                                   database_url: str) -> None:
    from celery.contrib.testing.worker import start_worker

    import worker.tasks.contract  # registers the shared tasks
    import worker.tasks.pipeline  # noqa: F401  (registers the pipeline tasks)
    from worker.web.app import create_app

    settings = service_settings(gh, redis_url, database_url)
    app: Any = make_celery(settings)
    gh.put_file("main", "README.md", b"# ops\n")
    gh.put_file("pm-db", PATH, DOCUMENT.encode())
    pull = gh.add_pull(head_ref="pm-db", files=[(PATH, "added")])
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
            TestClient(create_app(settings, celery=app)) as client:
        body, headers = pull_event("opened", pull.number, "d-1")
        assert client.post("/hooks/github", content=body, headers=headers).status_code == 202
        wait_for(lambda: len(comments(gh, pull.number)) == 1, "the preview comment")
        gh.put_file("pm-db", PATH, DOCUMENT.replace("Zed Unknown", "Ana Lima").encode())
        body, headers = pull_event("synchronize", pull.number, "d-2")
        assert client.post("/hooks/github", content=body, headers=headers).status_code == 202
        wait_for(lambda: "Zed Unknown" not in comments(gh, pull.number)[0], "the edited preview")
        assert len(comments(gh, pull.number)) == 1
        assert gh.count("POST", r"/issues$") == 0  # no ticket before approval
        # Approval: the file is on main, ingested; the worker's sync queues the write-back.
        sha = gh.put_file("main", PATH, DOCUMENT.encode())
        ref = GitHubFile("acme/ops", sha, PATH)
        key = pipeline.ingest(settings, content=DOCUMENT.encode(), source=str(ref),
                              postmortem_id=stable_id(ref)).postmortem_key
        app.send_task(SYNC_TASK, args=[key], queue=TRACKER_QUEUE)
        wait_for(lambda: gh.file("main", PATH).count(b"/issues/") == 4, "the links on main")
    assert gh.count("PUT", r"/contents/") == 1
    assert gh.count("POST", r"/issues$") == 4


