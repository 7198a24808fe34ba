"""The real processes, watched as an operator would: the receiver, a prefork worker and beat.

- `followthrough serve` listens on HOST and PORT and writes JSON log lines carrying the delivery id;
- a worker with FOLLOWTHROUGH_METRICS_PORT serves the counters of its pool processes (multiprocess mode)
  and logs JSON with the task id and postmortem id;
- beat logs JSON too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.service.harness import ROOT, service_env, wait_for, write_config
from tests.service.observe_support import count, free_port, sample
from worker.models import postmortem_key
from worker.web.signatures import sign_timestamped

SECRET = "observed-secret"
DOCUMENT = "# Postmortem: disk full\n\n## Action items\n\n- [ ] Alert on disk usage (@ann) due 2031-01-05\n"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def _json_lines(path: Path) -> list[dict[str, Any]]:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    assert lines, "no log lines"
    return [json.loads(line) for line in lines]  # every line is one JSON object


class Process:
    def __init__(self, args: list[str], env: dict[str, str], folder: Path, name: str) -> None:
        self.stdout = folder / f"{name}.out"
        self.stderr = folder / f"{name}.err"
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(args, cwd=folder, env=env, stdout=out, stderr=err,
                                            start_new_session=True)

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode

    def diagnostics(self) -> str:
        return self.stderr.read_text(errors="replace")[-3000:]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def config(folder: Path) -> Path:
    return write_config(folder, teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}}},
                        default_team="ops")


def _cli() -> list[str]:
    return [sys.executable, "-m", "worker"]


def test_serve_honours_host_and_port_and_logs_json_with_the_delivery_id(folder: Path, config: Path) -> None:
    port = free_port()
    env = service_env(config, HOST="127.0.0.1", PORT=port, FOLLOWTHROUGH_LOG_FORMAT="json",
                      FOLLOWTHROUGH_WEBHOOK_SECRET=SECRET,
                      FOLLOWTHROUGH_DATABASE_URL=f"sqlite:///{folder / 'store.db'}",
                      FOLLOWTHROUGH_EMBEDDED_BROKER_URL=f"sqla+sqlite:///{folder / 'broker.db'}")
    server = Process([*_cli(), "serve"], env, folder, "serve")
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 200, timeout=30,
                 what=f"the receiver on PORT={port}")
        body = json.dumps({"id": "PM-json", "title": "Disk full", "content": DOCUMENT}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/hooks/postmortem-approved", data=body, method="POST",
            headers={"Content-Type": "application/json", "X-Followthrough-Delivery": "delivery-42",
                     "X-Followthrough-Signature": sign_timestamped(SecretStr(SECRET), body,
                                                                   timestamp=int(time.time()))})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202
        status, scrape = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert count(scrape, "followthrough_webhook_deliveries_total", route="/hooks/postmortem-approved",
                     result="queued") == 1
    finally:
        server.stop()
    entries = _json_lines(server.stderr)
    hook = [e for e in entries if e.get("delivery_id") == "delivery-42"]
    assert hook, server.diagnostics()
    # The store key (what `list` prints), as the worker's ingest and sync lines carry it: on the access line,
    # the one line a delivery that is simply queued writes at INFO.
    key = postmortem_key("PM-json")
    assert [e["message"].split('"', 1)[1] for e in hook if e["logger"] == "uvicorn.access"
            and e.get("postmortem_id") == key] == ['POST /hooks/postmortem-approved HTTP/1.1" 202']
    assert not any("queued" in e["message"] for e in hook)
    logged = server.stderr.read_text()
    assert "Alert on disk usage" not in logged and SECRET not in logged  # no bodies, no secrets


def test_serve_refuses_a_bad_port_in_one_line(config: Path, folder: Path) -> None:
    env = service_env(config, PORT="eighty")
    result = subprocess.run([*_cli(), "serve"], cwd=folder, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--port" in result.stderr


def _ingest_payload(postmortem_id: str) -> dict[str, Any]:
    return {"id": postmortem_id, "title": "Disk full", "content": DOCUMENT, "team": "ops"}


@pytest.fixture
def worker_env(folder: Path, config: Path, redis_url: str, redis_client: Any) -> Iterator[dict[str, str]]:
    metrics_dir = folder / "prometheus"
    metrics_dir.mkdir()
    # The suite may run as root, which Celery warns about on stderr before logging is set up; a deployed
    # worker runs as the image's own user and never prints it.
    yield service_env(config, REDIS_URL=redis_url, FOLLOWTHROUGH_LOG_FORMAT="json",
                      PYTHONWARNINGS="ignore:You're running the worker with superuser",
                      FOLLOWTHROUGH_DATABASE_URL=f"sqlite:///{folder / 'store.db'}",
                      PROMETHEUS_MULTIPROC_DIR=metrics_dir, FOLLOWTHROUGH_METRICS_PORT=free_port(),
                      FOLLOWTHROUGH_BEAT_SCHEDULE_FILE=folder / "beat-schedule")


def test_prefork_worker_serves_its_pool_metrics_and_logs_json(folder: Path, worker_env: dict[str, str]
                                                               ) -> None:
    from config.celery_app import make_celery
    from config.settings import load_settings
    from worker.service.enqueue import DELIVERY_HEADER
    from worker.tasks.names import INGEST_QUEUE, INGEST_TASK

    port = worker_env["FOLLOWTHROUGH_METRICS_PORT"]
    args = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "-Q", "ingest,tracker",
            "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO", "--without-gossip",
            "--without-mingle", "--hostname", "observed@%h"]
    worker = Process(args, {**worker_env, "PYTHONPATH": str(ROOT)}, folder, "worker")
    celery = make_celery(load_settings(redis_url=worker_env["REDIS_URL"], celery_broker_url=None))
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/metrics")[0] == 200, timeout=60,
                 what="the worker's metrics port")
        # As the receiver publishes a delivery: its id in the message header.
        celery.send_task(INGEST_TASK, args=[_ingest_payload("PM-worker")], queue=INGEST_QUEUE,
                         headers={DELIVERY_HEADER: "delivery-7"})

        def counted() -> bool:
            scrape = _get(f"http://127.0.0.1:{port}/metrics")[1]
            # The ingest runs in the pool's child process; its sync (no credentials: a dry run) follows.
            return (count(scrape, "followthrough_ingests_total", result="changed") == 1
                    and count(scrape, "followthrough_syncs_total", result="dry-run") == 1)

        wait_for(counted, timeout=60, interval=0.3, what="the task counters on the worker's port")
        scrape = _get(f"http://127.0.0.1:{port}/metrics")[1]
        assert sample(scrape, "followthrough_ingests_total", result="failed") is None
    finally:
        worker.stop()
        celery.close()
    entries = _json_lines(worker.stderr)
    in_task = [e for e in entries if e.get("task_id")]
    assert all(e["task_id"] for e in in_task)
    # One id per postmortem from delivery to ticket: the ingest task and the sync it queued both carry
    # the store key and the webhook's delivery id.
    key = postmortem_key("PM-worker")
    tasks = {e["task_id"] for e in in_task
             if e.get("postmortem_id") == key and e.get("delivery_id") == "delivery-7"}
    assert len(tasks) == 2, worker.diagnostics()
    assert not [e for e in in_task if e.get("postmortem_id") not in (None, key)]
    assert "Alert on disk usage" not in worker.stderr.read_text()


def test_beat_logs_json(folder: Path, worker_env: dict[str, str]) -> None:
    args = [sys.executable, "-m", "celery", "-A", "config.celery_app", "beat", "--loglevel", "INFO"]
    beat = Process(args, {**worker_env, "PYTHONPATH": str(ROOT)}, folder, "beat")
    try:
        wait_for(lambda: beat.stderr.stat().st_size > 0 and len(beat.stderr.read_text().splitlines()) >= 2,
                 timeout=30, what="beat's first log lines")
        time.sleep(0.5)
    finally:
        beat.stop()
    entries = _json_lines(beat.stderr)
    assert any(e["logger"].startswith("celery.beat") for e in entries), beat.diagnostics()
