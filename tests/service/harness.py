"""Running the service for real in tests and the bench: worker subprocesses, settings, polling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05,
             what: str = "condition") -> None:
    """Poll until `predicate()` is true, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def write_config(folder: Path, *, teams: dict[str, Any], default_team: str,
                 people: list[dict[str, Any]] | None = None) -> Path:
    """The YAML file FOLLOWTHROUGH_CONFIG names: teams and people."""
    path = folder / "followthrough.yaml"
    path.write_text(yaml.safe_dump({"teams": teams, "default_team": default_team, "people": people or []}))
    return path


def service_env(config: Path, **values: str | int | float | Path | None) -> dict[str, str]:
    """Environment for a worker subprocess: the test's settings and nothing from the outer shell's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FOLLOWTHROUGH_", "JIRA_", "GITHUB_", "REDIS_", "CELERY_"))}
    env["FOLLOWTHROUGH_CONFIG"] = str(config)
    env["PYTHONPATH"] = str(ROOT)
    for name, value in values.items():
        if value is not None:
            env[name] = str(value)
    return env


class WorkerProcess:
    """`celery -A config.celery_app worker` as a child process (its own process group)."""

    def __init__(self, env: dict[str, str], log: Path, *, pool: str = "solo", concurrency: int = 1,
                 queues: str = "ingest,tracker", name: str = "w1", loglevel: str = "INFO") -> None:
        self.env = env
        self.log = log
        self.args = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "-Q", queues,
                     "--pool", pool, "--concurrency", str(concurrency), "--loglevel", loglevel,
                     "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle"]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=handle,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children): no chance to ack or restore."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def postmortem_markdown(title: str, items: int, *, team: str | None = None, seed: str = "") -> str:
    """A small Markdown postmortem with `items` action items in a table (owners from the directory)."""
    rows = "\n".join(
        f"| {seed}Follow-up action number {n} for {title} | {'ann' if n % 2 else 'bob'}@example.com"
        f" | 2030-01-{1 + n % 28:02d} | P{1 + n % 3} |"
        for n in range(1, items + 1)
    )
    team_line = f"Team: {team}\n" if team else ""
    return (f"# Postmortem: {title}\n\n{team_line}Owner: Ann Example\n\n"
            "## Summary\n\nThe service was down.\n\n"
            f"## Action items\n\n| Action | Owner | Due | Priority |\n|---|---|---|---|\n{rows}\n")


PEOPLE: list[dict[str, Any]] = [
    {"name": "Ann Example", "email": "ann@example.com", "github_login": "ann", "aliases": ["ann"]},
    {"name": "Bob Example", "email": "bob@example.com", "github_login": "bob", "aliases": ["bob"]},
]
