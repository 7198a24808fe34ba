"""Helpers for the issue-17 tests: the CLI as a subprocess against the stand-ins, and seeding tickets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.standins.jira import JiraStandIn

REPO = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, teams: dict[str, Any], **extra: object) -> Path:
    config = {
        "default_team": next(iter(teams)),
        "teams": teams,
        "people": [
            {"name": "Ana Lima", "jira_account_id": "5b10a2844c20165700ede0aa", "github_login": "ana"}
        ],
        **extra,
    }
    path = tmp_path / "followthrough.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


JIRA_TEAMS: dict[str, Any] = {"ops": {"tracker": "jira", "jira": {"project": "OPS"}}}
GITHUB_TEAMS: dict[str, Any] = {"web": {"tracker": "github", "github": {"repo": "acme/ops"}}}


def cli(tmp_path: Path, *args: str, env: dict[str, str], teams: dict[str, Any] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`followthrough ARGS` in a fresh process, with the config and store under `tmp_path`."""
    config = tmp_path / "followthrough.yaml"
    if teams is not None or not config.exists():
        write_config(tmp_path, teams or JIRA_TEAMS)
    base = {
        "PATH": "/usr/bin:/bin",
        "FOLLOWTHROUGH_CONFIG": str(config),
        "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'ft.db'}",
        "FOLLOWTHROUGH_TRACKER_TIMEOUT": "3",
        "COLUMNS": "400",
    }
    return subprocess.run(
        [sys.executable, "-m", "worker", *args], cwd=REPO, env={**base, **env}, input=stdin,
        capture_output=True, text=True, timeout=180,
    )


def jira_env(jira: JiraStandIn) -> dict[str, str]:
    return {"JIRA_URL": jira.url, "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.api_token}


def seed_jira_issue(jira: JiraStandIn, summary: str, *, project: str = "OPS") -> str:
    """Create an issue as a person would, through Jira's REST API; returns its key."""
    reply = requests.post(
        f"{jira.url}/rest/api/2/issue",
        json={"fields": {"project": {"key": project}, "summary": summary, "issuetype": {"name": "Task"}}},
        auth=(jira.email, jira.api_token),
        timeout=10,
    )
    reply.raise_for_status()
    key = reply.json()["key"]
    assert isinstance(key, str)
    return key


def write_doc(tmp_path: Path, rows: list[tuple[str, str]], *, name: str = "pm.md",
              title: str = "Checkout outage", extra: str = "") -> Path:
    """A postmortem whose action table has one row per (action, ticket ref)."""
    lines = [f"# Postmortem: {title}", "", "Date: 2026-11-20", extra, "", "## Action items", "",
             "| Action | Owner | Due | Ticket |", "|---|---|---|---|"]
    lines += [f"| {action} | Ana Lima | 2027-01-20 | {ref} |" for action, ref in rows]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
