"""`followthrough sync` as a subprocess: dry run, no tracker, JSON output, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from config.settings import Settings
from config.teams import JiraDestination, Team
from connectors.throttle import NoThrottle
from tests.standins.jira import JiraStandIn
from tests.sync.support import document, settings_for
from worker.service import sweep
from worker.sync import pipeline

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(hang=2.0) as standin:
        yield standin


def write_config(tmp_path: Path, **extra: object) -> Path:
    config = {
        "default_team": "ops",
        "teams": {"ops": {"tracker": "jira", "jira": {"project": "OPS"}}},
        "people": [{"name": "Ana Lima", "jira_account_id": "5b10a2844c20165700ede0aa"}],
        **extra,
    }
    path = tmp_path / "followthrough.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_cli(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": "/usr/bin:/bin",
        "FOLLOWTHROUGH_CONFIG": str(write_config(tmp_path)),
        "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'ft.db'}",
        "FOLLOWTHROUGH_TRACKER_TIMEOUT": "2",
    }
    return subprocess.run(
        [sys.executable, "-m", "worker", "sync", *args],
        cwd=REPO,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def pm_file(tmp_path: Path, n: int = 3) -> str:
    path = tmp_path / "pm.md"
    path.write_bytes(document(n, owners=("Ana Lima", "Zed Unknown", "")))
    return str(path)


def test_no_tracker_configured_plans_says_so_writes_nothing_and_exits_4(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, pm_file(tmp_path), env={"COLUMNS": "300"})
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "followthrough: no jira credentials configured for team ops: dry run, nothing written"
    ]
    assert proc.stdout.count("planned-create") == 3 + 1  # three rows and the summary line
    assert "owner Ana Lima -> 5b10a2844c20165700ede0aa via directory" in proc.stdout
    assert "owner Zed Unknown -> unassigned via needs-owner" in proc.stdout
    assert "(dry run): 3 planned-create; 1 needs an owner (needs-owner)" in proc.stdout
    # A plan creates no store: no database file, no lock folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["followthrough.yaml", "pm.md"]


def jira_env(jira: JiraStandIn) -> dict[str, str]:
    return {"JIRA_URL": jira.url, "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.api_token}


def test_dry_run_with_tracker_reads_but_never_writes(tmp_path: Path, jira: JiraStandIn) -> None:
    proc = run_cli(tmp_path, pm_file(tmp_path), "--dry-run", "--format", "json", env=jira_env(jira))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = json.loads(proc.stdout)
    assert out["dry_run"] is True and out["dry_run_reason"] is None
    assert out["counts"] == {"planned-create": 3}
    assert jira.issues == {}
    assert all(m == "GET" or p.endswith("/search/jql") for m, p in jira.calls), jira.calls


def test_json_output_of_a_real_sync_and_rerun(tmp_path: Path, jira: JiraStandIn) -> None:
    path = pm_file(tmp_path)
    proc = run_cli(tmp_path, path, "--format", "json", env=jira_env(jira))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["team"] == "ops" and out["dry_run"] is False and out["retry_error"] is None
    assert out["counts"] == {"created": 3} and len(jira.issues) == 3
    first = out["items"][0]
    assert set(first) == {
        "fingerprint",
        "title",
        "tracker",
        "ticket",
        "ticket_url",
        "assignee",
        "owner_resolution",
        "result",
        "reason",
    }
    assert first["ticket"] in jira.issues and first["ticket_url"].endswith(f"/browse/{first['ticket']}")
    again = json.loads(run_cli(tmp_path, path, "--format", "json", env=jira_env(jira)).stdout)
    assert again["counts"] == {"unchanged": 3} and len(jira.issues) == 3


def test_items_left_for_retry_exit_1(tmp_path: Path, jira: JiraStandIn) -> None:
    jira.faults.add("POST", r"/issue/bulk$", "429", retry_after="300")
    proc = run_cli(tmp_path, pm_file(tmp_path), env=jira_env(jira))
    assert proc.returncode == 1
    assert "pending" in proc.stdout and "retry needed: RateLimited" in proc.stdout


def test_lost_create_answer_is_unconfirmed_pending_exit_1(tmp_path: Path, jira: JiraStandIn) -> None:
    # The searches of both runs below cannot see the new issues yet: 30 s, not 5, so that a busy machine
    # (two test processes, the CLI's start-up twice) never lets the index catch up before the second run.
    jira.index.set_lag(30.0)
    jira.faults.add("POST", r"/issue/bulk$", "lost_response")
    # Wide enough that the table shows each reason whole (piped output is 140 columns by default).
    proc = run_cli(tmp_path, pm_file(tmp_path), env={**jira_env(jira), "COLUMNS": "400"})
    assert proc.returncode == 1
    assert "create answer lost" in proc.stdout and "unconfirmed, not repeated" in proc.stdout
    assert "retry needed: Settling" in proc.stdout
    again = run_cli(tmp_path, pm_file(tmp_path), env=jira_env(jira))  # within the 60 s window
    assert again.returncode == 1 and jira.count("POST", r"/issue/bulk$") == 1


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--team", "nope"), {}, "unknown team 'nope'"),
        ((), {"FOLLOWTHROUGH_DATABASE_URL": "mysql://x/y"}, "FOLLOWTHROUGH_DATABASE_URL"),
        ((), {"JIRA_URL": "ftp://jira"}, "invalid setting JIRA_URL"),
        ((), {"JIRA_URL": "http://127.0.0.1:9", "JIRA_API_TOKEN": "t"}, "JIRA_EMAIL is not set"),
    ],
)
def test_bad_input_or_config_is_one_line_exit_2(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    proc = run_cli(tmp_path, pm_file(tmp_path), *args, env=env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr


def test_bad_team_config_and_missing_file_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"teams": {"ops": {"tracker": "github"}}, "default_team": "ops"}))
    proc = run_cli(tmp_path, pm_file(tmp_path), env={"FOLLOWTHROUGH_CONFIG": str(bad)})
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "teams.ops" in proc.stderr
    missing = run_cli(tmp_path, str(tmp_path / "nope.md"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def in_process_settings(tmp_path: Path, jira: JiraStandIn) -> Settings:
    """The settings a worker sharing this store and tracker would run with."""
    return settings_for(
        f"sqlite:///{tmp_path / 'ft.db'}",
        jira_url=jira.url,
        jira_email=jira.email,
        jira_api_token=SecretStr(jira.api_token),
        teams={"ops": Team(jira=JiraDestination(project="OPS"))},
        default_team="ops",
    )


def test_dry_run_of_a_draft_leaves_nothing_a_later_sync_acts_on(tmp_path: Path, jira: JiraStandIn) -> None:
    path = pm_file(tmp_path)
    first = json.loads(run_cli(tmp_path, path, "--format", "json", env=jira_env(jira)).stdout)
    assert first["counts"] == {"created": 3}
    draft = tmp_path / "draft.md"
    draft.write_bytes(document(3, owners=("Ana Lima", "Zed Unknown", ""), drop={0}))
    proc = run_cli(tmp_path, str(draft), "--dry-run", "--format", "json", env=jira_env(jira))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["counts"] == {"planned-comment": 1, "unchanged": 2}
    # The worker's next sync of this postmortem (reconcile sweep, status refresh) works from the store:
    # the draft that was only previewed must not have become what it syncs.
    settings = in_process_settings(tmp_path, jira)
    assert sweep.unsynced(settings, settle=timedelta(0)) == []
    calls = len(jira.calls)
    again = pipeline.sync(settings, first["postmortem"], throttle=NoThrottle())
    assert again.counts() == {"unchanged": 3}
    assert all(m == "GET" or p.endswith("/search/jql") for m, p in jira.calls[calls:]), jira.calls[calls:]


def test_dry_run_of_a_new_document_queues_no_real_sync(tmp_path: Path, jira: JiraStandIn) -> None:
    proc = run_cli(tmp_path, pm_file(tmp_path), "--dry-run", "--team", "ops", env=jira_env(jira))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("planned-create") == 3 + 1
    settings = in_process_settings(tmp_path, jira)
    assert sweep.unsynced(settings, settle=timedelta(0)) == []
    assert jira.issues == {}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg//ft:s3cr3t-pw@db.internal/ft",  # missing colon: unparseable
        "postgresql://ft:s3cr3t-pw@db.internal:54x2/ft",  # port is not a number
    ],
)
def test_bad_database_url_is_one_line_without_its_password(tmp_path: Path, url: str) -> None:
    proc = run_cli(tmp_path, pm_file(tmp_path), env={"FOLLOWTHROUGH_DATABASE_URL": url})
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "FOLLOWTHROUGH_DATABASE_URL" in lines[0], proc.stderr
    assert "s3cr3t-pw" not in proc.stderr + proc.stdout
