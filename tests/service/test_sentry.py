"""Optional Sentry: only with SENTRY_DSN; a receiver error reaches a (stand-in) Sentry, without the body.

The SDK patches Starlette and Celery process-wide, so the receiver runs in a child process; the stand-in
Sentry is a local HTTP server that keeps every envelope it is sent.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from config.sentry import init_sentry
from config.settings import ConfigError, load_settings
from tests.service.harness import ROOT

CHILD = """
import json, os, sys
from pydantic import SecretStr
from starlette.testclient import TestClient
from config.celery_app import make_celery
from config.settings import load_settings
from worker.web.app import create_app
from worker.web.signatures import sign

dsn, body_marker = sys.argv[1], os.environ["BODY_MARKER"]
settings = load_settings(sentry_dsn=dsn, jira_webhook_secret="jira-hook-secret",
                         database_url="postgresql://ft:db-password@127.0.0.1:1/ft",
                         embedded_broker_url="sqla+sqlite:///" + sys.argv[2])
event = {"webhookEvent": "jira:issue_updated",
         "issue": {"key": "OPS-7", "fields": {"summary": body_marker, "labels": ["followthrough"],
                   "status": {"name": "Done", "statusCategory": {"key": "done"}},
                   "updated": "2026-03-28T10:00:00.000+0000"}},
         "changelog": {"items": [{"field": "status", "fromString": "Open", "toString": "Done"}]}}
body = json.dumps(event).encode()
client = TestClient(create_app(settings, celery=make_celery(settings)), raise_server_exceptions=False)
response = client.post("/hooks/status/jira?%74oken=tok-in-query-9", content=body,
                       headers={"X-Hub-Signature": sign(SecretStr("jira-hook-secret"), body)})
import sentry_sdk
sentry_sdk.flush(10)
print(response.status_code)
"""


class _Collector(BaseHTTPRequestHandler):
    envelopes: list[bytes]
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every kept-alive reply.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        self.envelopes.append(data)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def sentry_standin() -> Iterator[tuple[str, list[bytes]]]:
    envelopes: list[bytes] = []
    handler = type("Collector", (_Collector,), {"envelopes": envelopes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://public-key@127.0.0.1:{server.server_address[1]}/42", envelopes
    server.shutdown()
    server.server_close()


def test_an_unhandled_receiver_error_reaches_sentry_without_body_or_secrets(
        sentry_standin: tuple[str, list[bytes]], tmp_path: Path) -> None:
    dsn, envelopes = sentry_standin
    marker = "BODY-MARKER-7f3a"
    result = subprocess.run([sys.executable, "-c", CHILD, dsn, str(tmp_path / "broker.db")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "BODY_MARKER": marker})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "500"  # the store is unreachable: a server error
    events = [json.loads(line) for envelope in envelopes for line in envelope.splitlines()
              if line.startswith(b"{") and b'"exception"' in line]
    assert events, f"no error event among {len(envelopes)} envelope(s)"
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "Unavailable"  # an unreachable store: exit 3
    assert event["request"]["url"].endswith("/hooks/status/jira")
    sent = b"".join(envelopes)
    for secret in (marker.encode(), b"jira-hook-secret", b"db-password", b"X-Hub-Signature: sha256",
                   b"tok-in-query-9"):  # a dashboard token in the query, in any spelling of its key
        assert secret not in sent


def test_no_dsn_means_no_sdk() -> None:
    code = ("import sys; from config.settings import load_settings; from config.sentry import init_sentry;"
            "assert init_sentry(load_settings()) is False; assert 'sentry_sdk' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_malformed_dsn_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="SENTRY_DSN"):
        init_sentry(load_settings(sentry_dsn="not a dsn"))
