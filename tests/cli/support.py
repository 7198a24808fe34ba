"""Running `followthrough` as a user does: a subprocess in a directory of its own, with its own config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "5b10a2844c20165700ede0aa"


def write_config(folder: Path, **extra: Any) -> Path:
    config: dict[str, Any] = {
        "default_team": "ops",
        "teams": {"ops": {"tracker": "jira", "jira": {"project": "OPS"}}},
        "people": [{"name": "Ana Lima", "jira_account_id": ACCOUNT}],
        **extra,
    }
    path = folder / "followthrough.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m worker ARGS` in `cwd` with a clean environment (PYTHONPATH points at the checkout)."""
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "FOLLOWTHROUGH_TRACKER_TIMEOUT": "2"}
    return subprocess.run(
        [sys.executable, "-m", "worker", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (asserting there is exactly one and no traceback)."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("followthrough: error: "), lines[0]
    return lines[0]


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())
