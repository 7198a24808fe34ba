"""The receiver under connection floods, as a real `followthrough serve` process with real sockets.

Before: 63 idle TCP connections made every answer a 503 (uvicorn's `limit_concurrency` counts them), and
32 forged but well-formed signatures with a slow 100 kB body held every hook slot. Now idle and slow
connections are bounded apart from requests in flight (worker/web/connections.py), small bodies are read
without a slot (worker/web/concurrency.py), and /healthz and a signed sender are served through it.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.service.harness import service_env, wait_for, write_config
from tests.service.observe_support import free_port
from tests.service.test_observed_processes import Process, _cli, _get
from worker.web.signatures import sign_timestamped

SECRET = "flood-secret"
GENERIC = "/hooks/postmortem-approved"
DOCUMENT = "# Postmortem: flood\n\n## Action items\n\n- [ ] Cap connections (@ann) due 2031-01-05\n"


@contextmanager
def receiver(folder: Path, redis_url: str, database_url: str | None = None,
             **env: str | int | float) -> Iterator[int]:
    """`followthrough serve` on a free port, publishing to `redis_url`, its store in `database_url` (a
    SQLite file in `folder` by default); yields the port (and checks it printed the dashboard's link with
    its generated token)."""
    config = write_config(folder, teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}}},
                          default_team="ops")
    port = free_port()
    values = service_env(config, HOST="127.0.0.1", PORT=port, REDIS_URL=redis_url,
                         FOLLOWTHROUGH_WEBHOOK_SECRET=SECRET,
                         FOLLOWTHROUGH_DATABASE_URL=database_url or f"sqlite:///{folder / 'store.db'}", **env)
    server = Process([*_cli(), "serve"], values, folder, "serve")
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 200, timeout=30,
                 what=f"the receiver on port {port}")
        printed = server.stderr.read_text()
        assert f"Dashboard: http://127.0.0.1:{port}/?token=" in printed, printed[-2000:]
        yield port
    finally:
        server.stop()  # uvicorn re-raises the SIGTERM it handled: the exit code is -15


def raw_request(port: int, request: bytes, *, timeout: float = 10) -> tuple[int, float]:
    """Send one whole request on a new connection; (status, seconds until the answer's first line)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(request)
        head = conn.recv(4096)
    return int(head.split(b" ", 2)[1]), time.monotonic() - started


def signed_delivery(postmortem_id: str) -> bytes:
    body = json.dumps({"id": postmortem_id, "title": "Flood", "content": DOCUMENT}).encode()
    signature = sign_timestamped(SecretStr(SECRET), body, timestamp=int(time.time()))
    return (f"POST {GENERIC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-Followthrough-Signature: {signature}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


def forged_slow_body(port: int) -> socket.socket:
    """A well-formed, fresh, forged signature with a 100 kB body of which one byte is sent."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall((f"POST {GENERIC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  f"X-Followthrough-Signature: t={int(time.time())},v1={'0' * 64}\r\n"
                  "Content-Length: 100000\r\n\r\n{").encode())
    return conn


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
READYZ = b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def test_a_signed_sender_is_served_through_idle_sockets_and_forged_slow_bodies(
        tmp_path: Path, redis_url: str, redis_client: object) -> None:
    with receiver(tmp_path, redis_url) as port, ExitStack() as held:
        for _ in range(200):
            held.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        for _ in range(40):
            held.enter_context(forged_slow_body(port))
        time.sleep(0.5)  # every flood connection is open and waiting
        status, seconds = raw_request(port, HEALTHZ)
        assert status == 200 and seconds < 2.0
        status, seconds = raw_request(port, READYZ)
        assert status in (200, 503) and seconds < 2.0  # answers, whatever it says
        status, seconds = raw_request(port, signed_delivery("PM-flood"))
        assert status == 202 and seconds < 5.0
        assert redis_client.llen("ingest") == 1  # type: ignore[attr-defined]


def test_idle_and_headless_connections_are_closed_after_the_header_timeout(
        tmp_path: Path, redis_url: str) -> None:
    with ExitStack() as stack:
        port = stack.enter_context(
            receiver(tmp_path, redis_url, FOLLOWTHROUGH_WEBHOOK_HEADER_TIMEOUT_SECONDS=1))
        idle = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        partial = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
        started = time.monotonic()
        assert idle.recv(100) == b"" and partial.recv(100) == b""  # closed by the receiver
        assert 0.5 < time.monotonic() - started < 4.0


def test_a_body_trickled_to_any_route_is_cut_after_the_body_timeout(tmp_path: Path, redis_url: str) -> None:
    with receiver(tmp_path, redis_url, FOLLOWTHROUGH_WEBHOOK_HEADER_TIMEOUT_SECONDS=0.5,
                  FOLLOWTHROUGH_WEBHOOK_READ_TIMEOUT_SECONDS=1) as port, \
            socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nx")
        started = time.monotonic()
        answer = b""
        while chunk := conn.recv(4096):  # the answer, then the close (the body never completes)
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")
        assert time.monotonic() - started < 5.0


@pytest.mark.parametrize("cap", [20])
def test_a_connection_past_the_cap_is_answered_503_and_closed(tmp_path: Path, redis_url: str,
                                                              cap: int) -> None:
    with receiver(tmp_path, redis_url, FOLLOWTHROUGH_WEBHOOK_MAX_CONNECTIONS=cap) as port, \
            ExitStack() as held:
        for _ in range(cap):
            held.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        time.sleep(0.3)
        status, seconds = raw_request(port, HEALTHZ)
        assert status == 503 and seconds < 2.0
        held.close()  # the flood goes away: served again at once
        time.sleep(0.3)
        assert raw_request(port, HEALTHZ)[0] == 200
