"""`followthrough report` as a user runs it: prints by default, sends once per period with --send."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

pytest.importorskip("worker.store")

from connectors.jira import JiraTracker
from tests.followup.receivers import HttpReceiver
from tests.followup.storeflow import seed
from tests.standins.jira import JiraStandIn
from worker.store import Store

ROOT = Path(__file__).resolve().parents[2]
AT = "2026-03-30T09:00:00+02:00"


@pytest.fixture
def configured(tmp_path: Path, webhook: HttpReceiver, jira_tracker: JiraTracker,
               jira_standin: JiraStandIn) -> dict[str, str]:
    db = f"sqlite:///{tmp_path / 'ft.db'}"
    store = Store(db)
    seed(store, jira_tracker, key="pm1", team="sre", approved_at=datetime(2026, 2, 2, 9, tzinfo=UTC),
         items=[("Add <b>replication</b> alert", date(2026, 3, 20), "detect"),
                ("Write runbook", None, "process"), ("Tune GC", date(2026, 3, 1), "investigate")])
    store.close()
    config = tmp_path / "followthrough.yaml"
    config.write_text(yaml.safe_dump({
        "database_url": db,
        "jira_url": jira_standin.url, "jira_email": jira_standin.email,
        "jira_api_token": jira_standin.api_token,
        "default_team": "sre",
        "teams": {"sre": {"tracker": "jira", "jira": {"project": "OPS"}, "timezone": "Europe/Berlin",
                          "followup": {"notify": [f"json://127.0.0.1:{webhook.port}/sre"]}}},
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLLOWTHROUGH_", "JIRA_", "GITHUB_"))}
    return {**env, "FOLLOWTHROUGH_CONFIG": str(config)}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "worker", "report", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_prints_and_sends_nothing_by_default(configured: dict[str, str], webhook: HttpReceiver) -> None:
    done = run(configured, "--at", AT)
    assert done.returncode == 0, done.stderr
    assert "Follow-up report for sre" in done.stdout
    assert "Add <b>replication</b> alert" in done.stdout and "10 days overdue" in done.stdout
    assert "Write runbook" in done.stdout and "Tune GC" not in done.stdout  # mitigations aren't followed
    assert not webhook.recorder.requests


def test_formats(configured: dict[str, str]) -> None:
    data = json.loads(run(configured, "--at", AT, "--format", "json").stdout)
    assert data[0]["team"] == "sre" and data[0]["summary"]["overdue"] == 1
    markdown = run(configured, "--at", AT, "--format", "markdown").stdout
    assert "Add &lt;b&gt;replication&lt;/b&gt; alert" in MarkdownIt("commonmark").render(markdown)
    html = run(configured, "--at", AT, "--format", "html").stdout
    assert html.startswith("<!DOCTYPE html>") and "Add &lt;b&gt;replication&lt;/b&gt; alert" in html


def test_send_once_per_period(configured: dict[str, str], webhook: HttpReceiver) -> None:
    first = run(configured, "--at", AT, "--send")
    assert first.returncode == 0, first.stderr
    assert "send sre: sent (json://127.0.0.1/…: sent)" in first.stderr
    again = run(configured, "--at", "2026-04-02T12:00:00+02:00", "--send")
    assert "send sre: already-done" in again.stderr
    assert len(webhook.recorder.requests) == 1
    message = webhook.recorder.requests[0].json()["message"]
    assert "Add &lt;b&gt;replication&lt;/b&gt; alert" in MarkdownIt("commonmark").render(message)


def test_refresh_reads_the_tracker_first(configured: dict[str, str], jira_standin: JiraStandIn) -> None:
    before = run(configured, "--at", AT)
    assert "Write runbook" in before.stdout
    key = next(k for k, fields in jira_standin.issues.items() if fields["summary"] == "Write runbook")
    jira_standin.close_issue(key)
    stale = run(configured, "--at", AT)
    assert "Write runbook" in stale.stdout  # without --refresh the stored state is shown
    jira_standin.reset_calls()
    fresh = run(configured, "--at", AT, "--refresh")
    assert fresh.returncode == 0, fresh.stderr
    assert "Write runbook" not in fresh.stdout
    assert jira_standin.count(None, r"search/jql") == 1


def test_bad_input_is_one_line(configured: dict[str, str]) -> None:
    unknown = run(configured, "--team", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "followthrough: error: unknown team 'nope' (teams: sre)"
    naive = run(configured, "--at", "2026-03-30T09:00")
    assert naive.returncode == 2 and "has no UTC offset" in naive.stderr
    assert len(naive.stderr.strip().splitlines()) == 1
