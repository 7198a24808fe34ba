"""Each documented failure is one line on stderr with its documented exit code, never a traceback."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import files, one_error_line, run, write_config
from tests.sync.support import document, settings_for
from worker.sync import pipeline
from worker.sync.pipeline import ingest


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("serve", "--port", "99999"), "'--port': 99999 is not in the range"),
        (("worker", "-l", "bogus"), "'bogus' is not one of"),
        (("worker", "--loglevel", "bogus"), "'bogus' is not one of"),
        (("beat", "--log-level", "nope"), "'nope' is not one of"),
        (("sync",), "Missing argument 'PATH'"),
        (("nosuch",), "No such command 'nosuch'"),
        (("--config", "missing.yaml", "list"), "'missing.yaml' does not exist"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    proc = run(tmp_path, *args)
    assert proc.returncode == 2
    assert needle in one_error_line(proc)
    assert files(tmp_path) == []


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_serve_on_a_taken_port_exits_3(tmp_path: Path, taken_port: int) -> None:
    proc = run(tmp_path, "serve", "--port", str(taken_port))
    assert proc.returncode == 3
    assert f"cannot listen on 127.0.0.1:{taken_port}" in one_error_line(proc)


def _stored(tmp_path: Path) -> str:
    """A store in tmp_path holding one postmortem; returns its database URL."""
    url = f"sqlite:///{tmp_path / 'ft.db'}"
    teams = {"ops": {"tracker": "jira", "jira": {"project": "OPS"}}}
    settings = settings_for(url, teams=teams, default_team="ops")
    ingest(settings, content=document(2), source="inline:test")
    pipeline.close_stores()
    return url


def test_enqueue_with_the_broker_down_exits_3_at_once(tmp_path: Path) -> None:
    url = _stored(tmp_path)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    env = {"FOLLOWTHROUGH_CONFIG": str(write_config(tmp_path)), "FOLLOWTHROUGH_DATABASE_URL": url,
           "REDIS_URL": f"redis://:s3cret@127.0.0.1:{dead}/0"}
    started = time.monotonic()
    proc = run(tmp_path, "resync", "--all", "--enqueue", env=env)
    assert proc.returncode == 3
    line = one_error_line(proc)
    assert "cannot reach the broker" in line and "s3cret" not in line
    # One attempt, not kombu's default retries (21 s before): a generous bound for a loaded machine.
    assert time.monotonic() - started < 15


def test_store_from_a_newer_release_exits_2(tmp_path: Path) -> None:
    database = tmp_path / "ft.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999_future')")
    proc = run(tmp_path, "list", env={"FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{database}"})
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "schema revision this release does not know" in line and "9999_future" in line


def test_version_and_help(tmp_path: Path) -> None:
    from importlib.metadata import version

    proc = run(tmp_path, "--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"followthrough {version('followthrough')}"
    helped = run(tmp_path, "--help")
    assert helped.returncode == 0
    for name in ("parse", "sync", "resync", "list", "show", "report", "serve", "worker", "beat", "demo"):
        assert f"  {name} " in helped.stdout
    assert "Exit codes" in helped.stdout
    assert files(tmp_path) == []
