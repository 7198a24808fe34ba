"""The webhook receiver through HTTP (Starlette TestClient), publishing to a private Redis."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis
from starlette.testclient import TestClient
from starlette.types import Message

from config.celery_app import make_celery
from config.settings import Settings, load_settings
from worker.store import Store
from worker.tasks.names import INGEST_PULL_TASK, INGEST_QUEUE, INGEST_TASK
from worker.web.app import create_app
from worker.web.signatures import sign, sign_timestamped

SECRET = SecretStr("generic-secret")
GH_SECRET = SecretStr("github-secret")
JIRA_SECRET = SecretStr("jira-secret")


def make_settings(redis_url: str, database_url: str = "sqlite://", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "celery_broker_url": None,
        # A file, not sqlite:// in memory: the receiver writes its outbox from worker threads.
        "database_url": database_url,
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
def database_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def settings(redis_url: str, redis_client: Redis, database_url: str) -> Settings:
    return make_settings(redis_url, database_url)


def outbox_rows(database_url: str) -> list[tuple[str, str, str]]:
    """(kind, task, state) of every outbox row."""
    from sqlalchemy import select

    from worker.store.models import OutboxRow

    with Store(database_url) as store, store.session() as s:
        return [(r.kind, r.task, r.state) for r in s.scalars(select(OutboxRow).order_by(OutboxRow.id))]


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


GENERIC = "/hooks/postmortem-approved"
SIG = "X-Followthrough-Signature"


def post(client: TestClient, path: str, body: bytes, *, header: str | None, secret: SecretStr | None,
         extra: dict[str, str] | None = None, at: float | None = None) -> Any:
    """POST signed as each hook signs: `t=…,v1=…` for the generic hook, `sha256=` for GitHub and Jira."""
    headers = {"Content-Type": "application/json", **(extra or {})}
    if header and secret is not None:
        if header == SIG:
            stamp = int(at if at is not None else time.time())
            headers[header] = sign_timestamped(secret, body, timestamp=stamp)
        else:
            headers[header] = sign(secret, body)
    return client.post(path, content=body, headers=headers)


def fresh_bogus_signature() -> str:
    """A well-formed, current `t=…,v1=…` that matches no body."""
    return f"t={int(time.time())},v1={'0' * 64}"


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
    signed_at = time.time()  # the sender's retry repeats the same signed delivery, in whichever second
    started = time.monotonic()
    first = post(client, GENERIC, body, header=SIG, secret=SECRET, at=signed_at)
    elapsed = time.monotonic() - started
    assert first.status_code == 202, first.text
    assert elapsed < 1.0
    again = post(client, GENERIC, body, header=SIG, secret=SECRET, at=signed_at)
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


def test_dedupe_is_on_signed_content_not_on_the_unsigned_delivery_header(
        client: TestClient, redis_client: Redis) -> None:
    now = time.time()
    body = generic_body()
    assert post(client, GENERIC, body, header=SIG, secret=SECRET, at=now,
                extra={"X-Followthrough-Delivery": "d-1"}).status_code == 202
    # The same signed bytes under another delivery id: still the same delivery.
    again = post(client, GENERIC, body, header=SIG, secret=SECRET, at=now,
                 extra={"X-Followthrough-Delivery": "d-2"})
    assert again.json() == {"status": "duplicate"}
    # Another body under the first delivery id: a new delivery (the header is not signed).
    other = post(client, GENERIC, generic_body(title="other"), header=SIG, secret=SECRET, at=now,
                 extra={"X-Followthrough-Delivery": "d-1"})
    assert other.status_code == 202
    assert len(queued(redis_client)) == 2


def test_the_signed_time_is_the_version_the_task_carries(client: TestClient, redis_client: Redis) -> None:
    at = int(time.time()) - 30
    assert post(client, GENERIC, generic_body(), header=SIG, secret=SECRET, at=at).status_code == 202
    [(_name, args)] = queued(redis_client)
    assert args[0]["version"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)))


@pytest.mark.parametrize(("age", "reason"), [(301, "from now"), (-301, "from now"), (0, None)])
def test_signed_time_must_be_within_five_minutes(
        client: TestClient, redis_client: Redis, age: int, reason: str | None) -> None:
    response = post(client, GENERIC, generic_body(), header=SIG, secret=SECRET, at=time.time() - age)
    if reason is None:
        assert response.status_code == 202
    else:
        assert response.status_code == 401
        assert reason in response.json()["reason"]
        assert queued(redis_client) == []


def test_the_old_sha256_form_is_refused_on_the_generic_hook(client: TestClient, redis_client: Redis) -> None:
    body = generic_body()
    response = client.post(GENERIC, content=body, headers={SIG: sign(SECRET, body)})
    assert response.status_code == 401
    assert "sha256= form is no longer accepted" in response.json()["reason"]
    assert queued(redis_client) == []


def test_a_rolled_secret_may_sign_twice(client: TestClient, redis_client: Redis) -> None:
    body = generic_body()
    now = int(time.time())
    old = sign_timestamped(SecretStr("old-secret"), body, timestamp=now).split(",")[1]
    stamp, current = sign_timestamped(SECRET, body, timestamp=now).split(",")
    response = client.post(GENERIC, content=body, headers={SIG: f"{stamp},{old},{current}"})
    assert response.status_code == 202


@pytest.mark.parametrize("header", ["t=abc,v1=00", "v1=" + "0" * 64, "t=1700000000", "t=,v1="])
def test_malformed_timestamped_signature_is_401(client: TestClient, redis_client: Redis, header: str) -> None:
    response = client.post(GENERIC, content=generic_body(), headers={SIG: header})
    assert response.status_code == 401
    assert queued(redis_client) == []


def test_signature_of_a_different_body_is_401(client: TestClient, redis_client: Redis) -> None:
    signature = sign_timestamped(SECRET, generic_body(title="signed"), timestamp=int(time.time()))
    headers = {SIG: signature, "Content-Type": "application/json"}
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
    # A fresh, well-formed (but wrong) signature: only then is the body read at all.
    response = client.post(GENERIC, content=chunks(), headers={SIG: fresh_bogus_signature()})
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


def test_unknown_team_is_422(redis_url: str, redis_client: Redis, database_url: str) -> None:
    settings = make_settings(
        redis_url, database_url, teams={"payments": {"tracker": "jira", "jira": {"project": "PAY"}}},
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


def test_no_secret_configured_is_503(redis_url: str, redis_client: Redis, database_url: str) -> None:
    settings = make_settings(redis_url, database_url, webhook_secret=None)
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        response = client.post(GENERIC, content=generic_body(), headers={SIG: "sha256=00"})
    assert response.status_code == 503
    assert queued(redis_client) == []


def test_broker_down_is_still_accepted_durably_and_quickly(
        redis_url: str, redis_client: Redis, database_url: str) -> None:
    from tests.servers import free_port
    from worker.service.sweep import redrive_outbox

    down = make_settings(f"redis://127.0.0.1:{free_port()}/0", database_url)
    with TestClient(create_app(down, celery=make_celery(down))) as client:
        started = time.monotonic()
        response = post(client, GENERIC, generic_body(), header=SIG, secret=SECRET)
        assert time.monotonic() - started < 3.0
        # The outbox row is the claim: the sender's retry is a duplicate, not a second delivery.
        assert post(client, GENERIC, generic_body(), header=SIG, secret=SECRET,
                    at=None).json()["status"] in ("duplicate", "accepted")
    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}
    assert outbox_rows(database_url)[0] == ("generic", INGEST_TASK, "pending")
    # Once the broker is back, the sweep publishes it again (after the grace period), with its row id.
    up = make_settings(redis_url, database_url)
    assert redrive_outbox(up, make_celery(up)) == 0  # still within the grace period
    later = datetime.now(UTC) + timedelta(minutes=up.sweep_grace_minutes + 1)
    assert redrive_outbox(up, make_celery(up), now=later) >= 1
    messages = queued(redis_client)
    assert messages and all(name == INGEST_TASK and args[0]["id"] == "PM-1" for name, args in messages)


def test_store_down_is_503_and_nothing_is_queued(redis_url: str, redis_client: Redis) -> None:
    from tests.servers import free_port

    settings = make_settings(redis_url, f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        response = post(client, GENERIC, generic_body(), header=SIG, secret=SECRET)
    assert response.status_code == 503
    assert queued(redis_client) == []


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
    ("body", "reason"),
    [(jira_event(to="In Review"),
      "the change does not move the status to 'Approved' (sources.jira.approved_status)"),
     (jira_event(project="OPS", key="OPS-1"),
      "the issue's project is not one of sources.jira.projects (PIR)"),
     (jira_event(event="jira:issue_created"), "not a jira:issue_updated event")],
)
def test_jira_other_events_are_ignored_with_the_reason(client: TestClient, redis_client: Redis, body: bytes,
                                                       reason: str) -> None:
    response = post(client, "/hooks/jira", body, header=JIRA_SIG, secret=JIRA_SECRET)
    assert response.json() == {"status": "ignored", "reason": reason}
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


def test_jira_issue_key_must_be_in_the_payloads_project(client: TestClient, redis_client: Redis) -> None:
    # The project field says PIR (configured), the key names SEC-1: we would fetch SEC-1.
    response = post(client, "/hooks/jira", jira_event(project="PIR", key="SEC-1"), header=JIRA_SIG,
                    secret=JIRA_SECRET)
    assert response.json() == {"status": "ignored", "reason": "the issue key is not in the issue's project"}
    assert queued(redis_client) == []


# --- trust boundaries --------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "reason"), [
    ("github:acme/hr-private@main:salaries/notes.md", "not a configured postmortem source"),
    ("github:acme/postmortems@main:docs/postmortems/../../secrets.md", "is not a postmortem under"),
    ("github:acme/postmortems@main:docs/postmortems/./a.md", "is not a postmortem under"),
    ("github:acme/postmortems@main:src/app.md", "is not a postmortem under"),
    ("jira:SEC-1", "not in a configured Jira project"),
    ("inline:PM-1", "live in the store"),
    ("file:/etc/passwd", "read only by the command line"),
])
def test_generic_hook_reads_only_configured_sources(
        client: TestClient, redis_client: Redis, database_url: str, source: str, reason: str) -> None:
    response = post(client, GENERIC, json.dumps({"id": "PM-9", "source": source}).encode(), header=SIG,
                    secret=SECRET)
    assert response.status_code == 422
    assert reason in response.json()["reason"]
    assert queued(redis_client) == []
    assert outbox_rows(database_url) == []


def test_configured_jira_issue_is_accepted(client: TestClient, redis_client: Redis) -> None:
    body = json.dumps({"id": "PM-8", "source": "jira:PIR-3"}).encode()
    assert post(client, GENERIC, body, header=SIG, secret=SECRET).status_code == 202


@pytest.mark.parametrize("pm_id", ["github:acme/postmortems:docs/postmortems/a.md", "jira:PIR-3",
                                   "GitHub:x", "inline:x", "file:/x"])
def test_generic_ids_keep_out_of_the_source_namespaces(client: TestClient, redis_client: Redis,
                                                       pm_id: str) -> None:
    response = post(client, GENERIC, generic_body(id=pm_id), header=SIG, secret=SECRET)
    assert response.status_code == 422
    assert "must not start with a source kind" in response.json()["reason"]


# --- receiver limits ---------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "header", "secret"), [
    ("/hooks/github", GH_SIG, GH_SECRET), ("/hooks/jira", JIRA_SIG, JIRA_SECRET)])
def test_tracker_hooks_are_capped_at_one_mib(client: TestClient, redis_client: Redis, path: str,
                                             header: str, secret: SecretStr) -> None:
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = post(client, path, body, header=header, secret=secret, extra=gh_headers())
    assert response.status_code == 413
    # The generic hook takes a document of max_document_bytes, so its cap is higher than that one's.
    assert len(body) < 2 * 1024 * 1024


@contextmanager
def served(settings: Settings) -> Iterator[int]:
    """The receiver under a real uvicorn server on a free port (TestClient buffers bodies whole)."""
    import threading

    import uvicorn

    from tests.servers import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, celery=make_celery(settings)),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < wait_until, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def open_slow_post(port: int, *, declared: int = 1000) -> socket.socket:
    """A POST to the generic hook whose body never finishes arriving."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(f"POST {GENERIC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"X-Followthrough-Signature: {fresh_bogus_signature()}\r\n"
                 f"Content-Length: {declared}\r\n\r\n{{".encode())
    return conn


def status_of(conn: socket.socket) -> int:
    return int(conn.recv(4096).split(b" ", 2)[1])


def test_a_slow_body_is_refused_after_the_read_timeout(redis_url: str, redis_client: Redis,
                                                       database_url: str) -> None:
    settings = make_settings(redis_url, database_url, webhook_read_timeout_seconds=0.5)
    with served(settings) as port:
        started = time.monotonic()
        with open_slow_post(port) as conn:
            assert status_of(conn) == 408
        assert 0.4 < time.monotonic() - started < 3.0
    assert queued(redis_client) == []


def test_big_bodies_past_the_concurrency_limit_get_503_at_once_and_small_ones_are_served(
        redis_url: str, redis_client: Redis, database_url: str) -> None:
    import httpx

    settings = make_settings(redis_url, database_url, webhook_max_concurrency=2,
                             webhook_read_timeout_seconds=3)
    big = 66_000  # over the 64 KiB read without a slot, under this hook's body limit
    with served(settings) as port:
        base = f"http://127.0.0.1:{port}"
        # Forged but well-formed signatures with slow big bodies hold both slots.
        held = [open_slow_post(port, declared=big), open_slow_post(port, declared=big)]
        try:
            time.sleep(0.3)
            padded = generic_body().ljust(big)  # JSON may end in blanks
            headers = {SIG: sign_timestamped(SECRET, padded, timestamp=int(time.time()))}
            started = time.monotonic()
            refused = httpx.post(base + GENERIC, content=padded, headers=headers, timeout=5)
            assert refused.status_code == 503
            assert time.monotonic() - started < 1.0
            assert httpx.get(base + "/healthz", timeout=5).status_code == 200  # only the hooks are capped
            # A small signed delivery takes no slot: served while the forgers hold them all.
            body = generic_body()
            headers = {SIG: sign_timestamped(SECRET, body, timestamp=int(time.time()))}
            assert httpx.post(base + GENERIC, content=body, headers=headers, timeout=5).status_code == 202
        finally:
            for conn in held:
                conn.close()
        # With the slots free again (the held clients went away), the big delivery is served.
        time.sleep(0.3)
        headers = {SIG: sign_timestamped(SECRET, padded, timestamp=int(time.time()))}
        answer = httpx.post(base + GENERIC, content=padded, headers=headers, timeout=5)
        assert answer.status_code in (200, 202)  # the same body again: a duplicate of the small one


def test_a_client_that_disconnects_mid_body_is_one_log_line(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    app = create_app(settings, celery=make_celery(settings))
    messages: list[Message] = [{"type": "http.request", "body": b'{"id": ', "more_body": True},
                               {"type": "http.disconnect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": GENERIC, "raw_path": GENERIC.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"x-followthrough-signature", fresh_bogus_signature().encode())],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    with caplog.at_level("INFO"):
        asyncio.run(app(scope, receive, send))
    lines = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert len(lines) == 1
    assert all(r.exc_info is None for r in caplog.records)
    assert sent[0]["status"] == 400


@pytest.mark.parametrize(("path", "header", "value"), [
    (GENERIC, SIG, None), (GENERIC, SIG, "t=1,v1=" + "0" * 64), (GENERIC, SIG, "sha256=" + "0" * 64),
    ("/hooks/github", GH_SIG, None), ("/hooks/github", GH_SIG, "sha256=xyz"),
    ("/hooks/jira", JIRA_SIG, "t=1,v1=00"),
])
def test_unsigned_or_stale_requests_are_refused_before_the_body_is_read(
        redis_url: str, redis_client: Redis, database_url: str, path: str, header: str,
        value: str | None) -> None:
    settings = make_settings(redis_url, database_url, webhook_read_timeout_seconds=30)
    with served(settings) as port, socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        signature = f"{header}: {value}\r\n" if value is not None else ""
        # Declares a body under every limit and sends none of it: an answer at once means nothing was
        # waited for or buffered.
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\n{signature}X-GitHub-Event: pull_request\r\n"
                     "Content-Length: 60000\r\n\r\n".encode())
        started = time.monotonic()
        assert status_of(conn) == 401
        assert time.monotonic() - started < 2
