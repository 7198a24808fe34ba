"""The hooks that keep a review's preview current: which deliveries queue a preview, and which do not.

The receiver over HTTP (Starlette TestClient), publishing to a private Redis; nothing else runs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings, load_settings
from tests.servers import RedisServer
from worker.tasks.names import (
    INGEST_PULL_TASK,
    INGEST_QUEUE,
    INGEST_TASK,
    PREVIEW_JIRA_TASK,
    PREVIEW_PULL_TASK,
)
from worker.web.app import create_app
from worker.web.signatures import sign

GH_SECRET = SecretStr("github-secret")
JIRA_SECRET = SecretStr("jira-secret")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        yield server.url
    finally:
        server.stop()


def hook_settings(redis_url: str, tmp_path: Path, *, preview: bool) -> Settings:
    contract = {"preview": preview, "review_status": "In Review"}
    return load_settings(
        redis_url=redis_url, celery_broker_url=None, database_url=f"sqlite:///{tmp_path / 's.db'}",
        github_webhook_secret=GH_SECRET, jira_webhook_secret=JIRA_SECRET,
        sources={"github": {"repo": "acme/postmortems", "path": "docs/postmortems", "contract": contract},
                 "jira": {"projects": ["PIR"], "approved_status": "Approved", "contract": contract}},
    )


def queued(client: Redis) -> list[tuple[str, list[Any]]]:
    out = []
    for raw in reversed(client.lrange(INGEST_QUEUE, 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], args))
    return out


def pull_body(action: str, *, merged: bool = False) -> bytes:
    return json.dumps({"action": action, "number": 7,
                       "pull_request": {"number": 7, "state": "closed" if merged else "open",
                                        "merged": merged, "base": {"ref": "main"}},
                       "repository": {"full_name": "acme/postmortems", "default_branch": "main"}}).encode()


def issue_body(status: str, *, key: str = "PIR-3", changed: bool = False) -> bytes:
    changelog = {"items": [{"field": "status", "toString": status}]} if changed else {"items": []}
    return json.dumps({"webhookEvent": "jira:issue_updated", "changelog": changelog,
                       "issue": {"key": key, "fields": {"project": {"key": key.split("-")[0]},
                                                        "status": {"name": status}}}}).encode()


def deliver(client: TestClient, path: str, body: bytes, n: int) -> int:
    if path == "/hooks/github":
        headers = {"X-Hub-Signature-256": sign(GH_SECRET, body), "X-GitHub-Event": "pull_request",
                   "X-GitHub-Delivery": f"d-{n}"}
    else:
        headers = {"X-Hub-Signature": sign(JIRA_SECRET, body), "X-Atlassian-Webhook-Identifier": f"j-{n}"}
    return int(client.post(path, content=body, headers=headers).status_code)


def test_review_versions_queue_previews_and_approval_still_ingests(redis_url: str, tmp_path: Path) -> None:
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    settings = hook_settings(redis_url, tmp_path, preview=True)
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        assert deliver(client, "/hooks/github", pull_body("opened"), 1) == 202
        assert deliver(client, "/hooks/github", pull_body("synchronize"), 2) == 202
        assert deliver(client, "/hooks/github", pull_body("labeled"), 3) == 200  # no new version
        assert deliver(client, "/hooks/github", pull_body("closed", merged=True), 4) == 202
        assert deliver(client, "/hooks/jira", issue_body("In Review"), 5) == 202
        assert deliver(client, "/hooks/jira", issue_body("In Review", key="SEC-1"), 6) == 200
        assert deliver(client, "/hooks/jira", issue_body("Approved", changed=True), 7) == 202
    assert queued(redis) == [
        (PREVIEW_PULL_TASK, ["acme/postmortems", 7]), (PREVIEW_PULL_TASK, ["acme/postmortems", 7]),
        (INGEST_PULL_TASK, ["acme/postmortems", 7]), (PREVIEW_JIRA_TASK, ["PIR-3"]),
        (INGEST_TASK, [{"source": "jira:PIR-3"}]),
    ]


def test_previews_off_by_default_queue_nothing(redis_url: str, tmp_path: Path) -> None:
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    settings = hook_settings(redis_url, tmp_path, preview=False)
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        assert deliver(client, "/hooks/github", pull_body("opened"), 1) == 200
        assert deliver(client, "/hooks/jira", issue_body("In Review"), 2) == 200
    assert queued(redis) == []


def test_gitlab_merge_request_versions_queue_previews_only_when_on(redis_url: str, tmp_path: Path) -> None:
    from tests.standins.gitlab import GitLabStandIn
    from worker.tasks.names import INGEST_GITLAB_TASK, PREVIEW_GITLAB_TASK

    redis = Redis.from_url(redis_url)
    gitlab = GitLabStandIn()  # only its signed deliveries are used (no server is started)

    def event(action: str, state: str = "opened", target: str = "main") -> dict[str, Any]:
        return {"object_kind": "merge_request",
                "project": {"path_with_namespace": gitlab.project, "default_branch": "main"},
                "object_attributes": {"iid": 4, "action": action, "state": state, "target_branch": target}}

    for preview in (True, False):
        redis.flushdb()
        settings = load_settings(
            redis_url=redis_url, celery_broker_url=None,
            database_url=f"sqlite:///{tmp_path / f'g{preview}.db'}",
            gitlab_webhook_secret=SecretStr(gitlab.hook_token),
            sources={"gitlab": {"project": gitlab.project, "contract": {"preview": preview}}})
        with TestClient(create_app(settings, celery=make_celery(settings))) as client:
            codes = []
            for payload in (event("open"), event("update"), event("update", target="topic"),
                            event("close", state="closed"), event("merge", state="merged")):
                body, headers = gitlab.hook("Merge Request Hook", payload)
                codes.append(client.post("/hooks/gitlab", content=body, headers=headers).status_code)
        if preview:
            assert codes == [202, 202, 200, 200, 202]
            assert queued(redis) == [(PREVIEW_GITLAB_TASK, [gitlab.project, 4]),
                                     (PREVIEW_GITLAB_TASK, [gitlab.project, 4]),
                                     (INGEST_GITLAB_TASK, [{"project": gitlab.project, "mr": 4}])]
        else:
            assert codes == [200, 200, 200, 200, 202]
            assert queued(redis) == [(INGEST_GITLAB_TASK, [{"project": gitlab.project, "mr": 4}])]
