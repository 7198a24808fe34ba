"""Start-up stays fast because commands import their dependencies only when they run (counts, not clocks;
`bench/bench_cli.py` prints the times)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.support import REPO

HEAVY = ("sqlalchemy", "alembic", "celery", "kombu", "redis", "pydantic_settings", "jira", "github",
         "uvicorn", "starlette", "dateparser", "apprise")


def imported(tmp_path: Path, *args: str, env: dict[str, str] | None = None, top: bool = True) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "worker", *args], cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **(env or {})},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = (m.group(1) for m in re.finditer(r"^import time:.*\|\s*(\S+)$", proc.stderr, re.M))
    return {name.split(".")[0] if top else name for name in names}


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


@pytest.mark.parametrize("env", [{}, {"FOLLOWTHROUGH_DATABASE_URL": "sqlite:///elsewhere.db",
                                      "FOLLOWTHROUGH_MAX_DOCUMENT_BYTES": "100000"}])
def test_parse_reads_its_limits_without_building_the_settings(tmp_path: Path, env: dict[str, str]) -> None:
    doc = tmp_path / "small.md"
    doc.write_text("# Outage\n\n## Action items\n\n- [ ] Add an alert (owner: Ana Lima, due 2024-04-01)\n")
    loaded = imported(tmp_path, "parse", str(doc), env=env, top=False)
    assert "config.limits" in loaded
    assert {"config.settings", "pydantic_settings", "pydantic"} & loaded == set()


def test_parse_builds_the_settings_when_a_file_could_set_them(tmp_path: Path) -> None:
    doc = tmp_path / "small.md"
    doc.write_text("# Outage\n\n## Action items\n\n- [ ] Add an alert\n")
    (tmp_path / ".env").write_text("FOLLOWTHROUGH_MAX_DOCUMENT_BYTES=10\n")
    proc = subprocess.run([sys.executable, "-m", "worker", "parse", str(doc)], cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "over the 10-byte limit" in proc.stderr


def test_the_process_entry_exits_with_the_commands_code_and_whole_output(tmp_path: Path) -> None:
    # Both ways in (the console script pip installs, and `python -m worker`) go through `run`, which leaves
    # the interpreter's last full collection out; the exit code and everything written must be unchanged.
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"followthrough": "worker.cli.main:run"}
    doc = tmp_path / "small.md"
    doc.write_text("# Outage\n\n## Action items\n\n"
                   + "".join(f"- [ ] Add alert {n} (owner: Ana Lima, due 2024-04-01)\n" for n in range(300)))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    ok = subprocess.run([sys.executable, "-m", "worker", "parse", str(doc), "--format", "json"], cwd=tmp_path,
                        env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(ok.stdout)["action_items"]) == 300
    missing = subprocess.run([sys.executable, "-m", "worker", "parse", str(tmp_path / "none.md")],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr.count("\n") == 1 and "none.md" in missing.stderr
