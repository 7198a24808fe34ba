"""An unknown document team is named on stderr and in the JSON, or refused under strict routing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tracker17.support import cli, write_doc

TEAMS = {"ops": {"tracker": "jira", "jira": {"project": "OPS"}}}


def test_unknown_team_is_named_on_stderr_and_in_json(tmp_path: Path) -> None:
    doc = write_doc(tmp_path, [("Add a circuit breaker", "")], extra="Team: identity")
    proc = cli(tmp_path, "sync", str(doc), "--dry-run", "--format", "json", env={}, teams=TEAMS)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["team_used"] == "ops" and out["team_requested"] == "identity"
    assert "names team 'identity', which is not configured; used team ops" in proc.stderr


def test_known_team_has_no_warning(tmp_path: Path) -> None:
    doc = write_doc(tmp_path, [("Add a circuit breaker", "")], extra="Team: OPS")
    proc = cli(tmp_path, "sync", str(doc), "--dry-run", "--format", "json", env={}, teams=TEAMS)
    out = json.loads(proc.stdout)
    assert out["team_used"] == "ops" and out["team_requested"] is None and proc.stderr == ""


def test_strict_routing_refuses_an_unknown_team(tmp_path: Path) -> None:
    doc = write_doc(tmp_path, [("Add a circuit breaker", "")], extra="Team: identity")
    strict = {"ops": {**TEAMS["ops"], "strict_routing": True}}
    proc = cli(tmp_path, "sync", str(doc), "--dry-run", env={}, teams=strict)
    assert proc.returncode == 2
    assert proc.stderr.startswith("followthrough: error: the document names team 'identity'")
    assert "strict_routing" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "ft.db").exists()
