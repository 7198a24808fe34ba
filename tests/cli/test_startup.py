"""Start-up stays fast because commands import their dependencies only when they run (counts, not clocks;
`bench/bench_cli.py` prints the times)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.support import REPO

HEAVY = ("sqlalchemy", "alembic", "celery", "kombu", "redis", "pydantic_settings", "jira", "github",
         "uvicorn", "starlette", "dateparser", "apprise")


def imported(tmp_path: Path, *args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "worker", *args], cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {m.group(1).split(".")[0] for m in re.finditer(r"^import time:.*\|\s*(\S+)$", proc.stderr, re.M)}


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("sync", "--help"), ("resync", "--help")])
def test_help_and_version_import_no_heavy_module(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert imported(tmp_path, *args) & set(HEAVY) == set()


def test_parse_of_a_small_document_imports_no_store_queue_or_tracker(tmp_path: Path) -> None:
    doc = tmp_path / "small.md"
    doc.write_text("# Outage\n\n## Action items\n\n- [ ] Add an alert (owner: Ana Lima, due 2024-04-01)\n")
    loaded = imported(tmp_path, "parse", str(doc))
    unwanted = {"sqlalchemy", "alembic", "celery", "kombu", "redis", "jira", "github", "uvicorn"}
    assert loaded & unwanted == set()


def test_every_listed_command_loads_under_its_own_name() -> None:
    import click

    from worker.cli.main import cli, command_names

    ctx = click.Context(cli)
    for name in command_names():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
