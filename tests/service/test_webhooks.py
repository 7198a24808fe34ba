"""The webhook receiver through HTTP (Starlette TestClient), publishing to a private Redis."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis
from starlette.testclient import TestClient

from config.celery_app import INGEST_PULL_TASK, INGEST_QUEUE, INGEST_TASK, make_celery
from config.settings import Settings, load_settings
from worker.web.app import create_app
from worker.web.signatures import sign

SECRET = SecretStr("generic-secret")
GH_SECRET = SecretStr("github-secret")
JIRA_SECRET = SecretStr("jira-secret")


def make_settings(redis_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "celery_broker_url": None,
        "database_url": "sqlite://",
        "webhook_secret": SECRET,
        "github_webhook_secret": GH_SECRET,
        "jira_webhook_secret": JIRA_SECRET,
        "max_document_bytes": 2000,
        "sources": {
            "github": {"repo": "acme/postmortems", "path": "docs/postmortems"},
            "jira": {"projects": ["PIR"], "approved_status": "Approved", "team": "payments"},
        },
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(redis_url: str, redis_client: Redis) -> Settings:
    return make_settings(redis_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, celery=make_celery(settings))) as test_client:
        yield test_client


def queued(redis_client: Redis, queue: str = INGEST_QUEUE) -> list[tuple[str, list[Any]]]:
    """(task name, args) of every message waiting in a queue, oldest first."""
    messages = []
    for raw in reversed(redis_client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"]["task"], args))
    return messages


def post(client: TestClient, path: str, body: bytes, *, header: str | None, secret: SecretStr | None,
         extra: dict[str, str] | None = None) -> Any:
    headers = {"Content-Type": "application/json", **(extra or {})}
    if header and secret is not None:
        headers[header] = sign(secret, body)
    return client.post(path, content=body, headers=headers)


GENERIC = "/hooks/postmortem-approved"
SIG = "X-Followthrough-Signature"


def generic_body(**fields: Any) -> bytes:
    payload = {"id": "PM-1", "title": "DB outage", "team": None, "content": "# PM\n- [ ] fix it (@ann)"}
    payload.update(fields)
    return json.dumps(payload).encode()


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_signed_generic_delivery_is_queued_once_and_fast(client: TestClient, redis_client: Redis) -> None:
    body = generic_body()
    started = time.monotonic()
    first = post(client, GENERIC, body, header=SIG, secret=SECRET)
    elapsed = time.monotonic() - started
    assert first.status_code == 202, first.text
    assert elapsed < 1.0
    again = post(client, GENERIC, body, header=SIG, secret=SECRET)
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    messages = queued(redis_client)
    assert len(messages) == 1
    name, args = messages[0]
    assert name == INGEST_TASK
    assert args[0]["id"] == "PM-1"
    assert args[0]["content"].startswith("# PM")


def test_same_id_with_new_content_is_a_new_delivery(client: TestClient, redis_client: Redis) -> None:
    assert post(client, GENERIC, generic_body(), header=SIG, secret=SECRET).status_code == 202
    changed = generic_body(content="# PM\n- [ ] fix it better (@ann)")
    assert post(client, GENERIC, changed, header=SIG, secret=SECRET).status_code == 202
    assert len(queued(redis_client)) == 2


def test_delivery_header_dedupes_even_if_the_body_differs(client: TestClient, redis_client: Redis) -> None:
    extra = {"X-Followthrough-Delivery": "d-1"}
    assert post(client, GENERIC, generic_body(), header=SIG, secret=SECRET, extra=extra).status_code == 202
    second = post(client, GENERIC, generic_body(title="other"), header=SIG, secret=SECRET, extra=extra)
    assert second.json() == {"status": "duplicate"}
    assert len(queued(redis_client)) == 1


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha1=abc", "sha256=" + "0" * 64, sign(SecretStr("wrong"), generic_body())],
)
def test_unsigned_or_badly_signed_is_401_and_nothing_queued(
    client: TestClient, redis_client: Redis, signature: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIG] = signature
    response = client.post(GENERIC, content=generic_body(), headers=headers)
    assert response.status_code == 401
    assert queued(redis_client) == []
    assert redis_client.keys("followthrough:webhook:*") == []


def test_signature_of_a_different_body_is_401(client: TestClient, redis_client: Redis) -> None:
    headers = {SIG: sign(SECRET, generic_body(title="signed")), "Content-Type": "application/json"}
    assert client.post(GENERIC, content=generic_body(title="sent"), headers=headers).status_code == 401
    assert queued(redis_client) == []


def test_oversized_body_is_413_by_content_length(client: TestClient, redis_client: Redis) -> None:
    body = b"x" * (2 * 2000 + 64 * 1024 + 1)
    assert post(client, GENERIC, body, header=SIG, secret=SECRET).status_code == 413
    assert queued(redis_client) == []


def test_oversized_body_is_413_while_streaming(client: TestClient, redis_client: Redis) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"y" * 1024

    # A generator body goes out chunked, without Content-Length: the limit must hold while reading.
    response = client.post(GENERIC, content=chunks(), headers={SIG: "sha256=00"})
    assert response.status_code == 413
    assert queued(redis_client) == []


def test_content_over_the_document_limit_is_413(client: TestClient, redis_client: Redis) -> None:
    body = generic_body(content="z" * 2001)
    assert post(client, GENERIC, body, header=SIG, secret=SECRET).status_code == 413
    assert queued(redis_client) == []


@pytest.mark.parametrize(("path", "header", "secret"), [
    (GENERIC, SIG, SECRET), ("/hooks/github", "X-Hub-Signature-256", GH_SECRET),
    ("/hooks/jira", "X-Hub-Signature", JIRA_SECRET), ("/hooks/status/jira", "X-Hub-Signature", JIRA_SECRET),
])
def test_deeply_nested_json_is_400_not_a_traceback(
        client: TestClient, redis_client: Redis, path: str, header: str, secret: SecretStr) -> None:
    body = b"[" * 60_000  # json.loads raises RecursionError, not a JSONDecodeError
    response = post(client, path, body, header=header, secret=secret,
                    extra={"X-GitHub-Event": "pull_request"})
    assert response.status_code == 400
    assert queued(redis_client) == []


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b""])
def test_malformed_json_is_400(client: TestClient, redis_client: Redis, body: bytes) -> None:
    assert post(client, GENERIC, body, header=SIG, secret=SECRET).status_code == 400
    assert queued(redis_client) == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"id": "PM-1"}, "exactly one of"),
        ({"id": "PM-1", "content": "x", "source": "jira:PIR-1"}, "exactly one of"),
        ({"content": "x"}, "'id' is required"),
        ({"id": "PM-1", "source": "file:/etc/passwd"}, "file: sources"),
        ({"id": "PM-1", "source": "http://169.254.169.254/"}, "unknown"),
        ([1, 2], "invalid ingest request"),
    ],
)
def test_invalid_payload_is_422(
    client: TestClient, redis_client: Redis, payload: Any, reason: str
) -> None:
    response = post(client, GENERIC, json.dumps(payload).encode(), header=SIG, secret=SECRET)
    assert response.status_code == 422
    assert reason in response.json()["reason"]
    assert queued(redis_client) == []


def test_unknown_team_is_422(redis_url: str, redis_client: Redis) -> None:
    settings = make_settings(
        redis_url, teams={"payments": {"tracker": "jira", "jira": {"project": "PAY"}}},
        default_team="payments",
    )
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        response = post(client, GENERIC, generic_body(team="nobody"), header=SIG, secret=SECRET)
    assert response.status_code == 422
    assert queued(redis_client) == []


def test_source_to_fetch_is_queued(client: TestClient, redis_client: Redis) -> None:
    body = json.dumps({"id": "PM-7", "source": "github:acme/postmortems@main:docs/postmortems/a.md"}).encode()
    assert post(client, GENERIC, body, header=SIG, secret=SECRET).status_code == 202
    [(name, args)] = queued(redis_client)
    assert name == INGEST_TASK
    assert args[0]["source"] == "github:acme/postmortems@main:docs/postmortems/a.md"


def test_no_secret_configured_is_503(redis_url: str, redis_client: Redis) -> None:
    settings = make_settings(redis_url, webhook_secret=None)
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        response = client.post(GENERIC, content=generic_body(), headers={SIG: "sha256=00"})
    assert response.status_code == 503
    assert queued(redis_client) == []


def test_broker_down_is_503_quickly(redis_client: Redis) -> None:
    from tests.servers import free_port

    settings = make_settings(f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        started = time.monotonic()
        response = post(client, GENERIC, generic_body(), header=SIG, secret=SECRET)
    assert response.status_code == 503
    assert time.monotonic() - started < 3.0


# --- GitHub ------------------------------------------------------------------------------------

GH_SIG = "X-Hub-Signature-256"


def pull_event(*, merged: bool = True, action: str = "closed", base: str = "main",
               repo: str = "acme/postmortems", number: int = 42) -> bytes:
    return json.dumps({
        "action": action,
        "number": number,
        "pull_request": {"number": number, "merged": merged, "base": {"ref": base}},
        "repository": {"full_name": repo, "default_branch": "main"},
    }).encode()


def gh_headers(delivery: str = "gh-1", event: str = "pull_request") -> dict[str, str]:
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery}


def test_github_merged_pull_is_queued_once(client: TestClient, redis_client: Redis) -> None:
    body = pull_event()
    first = post(client, "/hooks/github", body, header=GH_SIG, secret=GH_SECRET, extra=gh_headers())
    assert first.status_code == 202
    again = post(client, "/hooks/github", body, header=GH_SIG, secret=GH_SECRET, extra=gh_headers())
    assert again.json() == {"status": "duplicate"}
    assert queued(redis_client) == [(INGEST_PULL_TASK, ["acme/postmortems", 42])]


@pytest.mark.parametrize(
    "body",
    [pull_event(merged=False), pull_event(action="opened"), pull_event(base="feature"),
     pull_event(repo="acme/other")],
)
def test_github_other_pull_events_are_ignored(client: TestClient, redis_client: Redis, body: bytes) -> None:
    response = post(client, "/hooks/github", body, header=GH_SIG, secret=GH_SECRET, extra=gh_headers())
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    assert queued(redis_client) == []


def test_github_ping_and_bad_signature(client: TestClient, redis_client: Redis) -> None:
    ping = post(client, "/hooks/github", b"{}", header=GH_SIG, secret=GH_SECRET,
                extra=gh_headers(event="ping"))
    assert ping.json() == {"status": "pong"}
    # Signed with the generic secret instead of GitHub's: refused.
    bad = post(client, "/hooks/github", pull_event(), header=GH_SIG, secret=SECRET, extra=gh_headers())
    assert bad.status_code == 401
    # Signed, but in Jira's header: refused.
    wrong_header = post(client, "/hooks/github", pull_event(), header="X-Hub-Signature", secret=GH_SECRET,
                        extra=gh_headers())
    assert wrong_header.status_code == 401
    assert queued(redis_client) == []


# --- Jira --------------------------------------------------------------------------------------

JIRA_SIG = "X-Hub-Signature"


def jira_event(*, to: str = "Approved", project: str = "PIR", key: str = "PIR-12",
               event: str = "jira:issue_updated") -> bytes:
    return json.dumps({
        "webhookEvent": event,
        "issue": {"key": key, "fields": {"project": {"key": project}}},
        "changelog": {"items": [{"field": "assignee", "toString": "x"},
                                {"field": "status", "fromString": "In Review", "toString": to}]},
    }).encode()


def test_jira_approval_is_queued_once(client: TestClient, redis_client: Redis) -> None:
    extra = {"X-Atlassian-Webhook-Identifier": "jira-1"}
    assert post(client, "/hooks/jira", jira_event(), header=JIRA_SIG, secret=JIRA_SECRET,
                extra=extra).status_code == 202
    assert post(client, "/hooks/jira", jira_event(), header=JIRA_SIG, secret=JIRA_SECRET,
                extra=extra).json() == {"status": "duplicate"}
    [(name, args)] = queued(redis_client)
    assert name == INGEST_TASK
    assert args[0] == {"source": "jira:PIR-12", "team": "payments"}


@pytest.mark.parametrize(
    "body",
    [jira_event(to="In Review"), jira_event(project="OPS", key="OPS-1"),
     jira_event(event="jira:issue_created")],
)
def test_jira_other_events_are_ignored(client: TestClient, redis_client: Redis, body: bytes) -> None:
    response = post(client, "/hooks/jira", body, header=JIRA_SIG, secret=JIRA_SECRET)
    assert response.json() == {"status": "ignored"}
    assert queued(redis_client) == []


@pytest.mark.parametrize("key", ["pir-12", "PIR-12 OR x", "PIR-"])
def test_jira_event_with_a_malformed_issue_key_is_422_not_a_traceback(
        client: TestClient, redis_client: Redis, key: str) -> None:
    response = post(client, "/hooks/jira", jira_event(key=key), header=JIRA_SIG, secret=JIRA_SECRET)
    assert response.status_code == 422
    assert response.json()["status"] == "error"
    assert queued(redis_client) == []


def test_jira_unsigned_is_401(client: TestClient, redis_client: Redis) -> None:
    assert client.post("/hooks/jira", content=jira_event()).status_code == 401
    assert queued(redis_client) == []
