"""Fill a store for the dashboard benchmark through the product: approvals over HTTP, workers, a refresh.

`fill()` starts the Jira stand-in (one project per team), `followthrough serve` and worker processes on a
PostgreSQL store, posts one signed approval per postmortem (25 action items each, in a table with owners
from the directory, due dates from 120 days ago to 60 days ahead or none, priorities and kinds drawn from
a seeded generator), waits until the stand-in holds every ticket, closes a seeded share of them in the
stand-in as a person would (Done or Won't Do), and runs `followthrough report --refresh` so the store
learns the statuses and resolution times. The store then holds exactly what the product writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from floors import SERVE, Served

from tests.service.harness import WorkerProcess, service_env, write_config

SECRET = "bench-secret"
PER_POSTMORTEM = 25
OWNERS = 12  # per team
KINDS = ("Prevent", "Detect", "Process", "Mitigate", "", "Investigate")
PRIORITIES = ("P1", "P2", "P3", "Critical", "")
ACTIONS = ("Add alert on", "Write runbook for", "Load-test", "Add circuit breaker to", "Automate rollback of",
           "Rate-limit", "Add dashboard for", "Document ownership of", "Rotate credentials of", "Shard")
SYSTEMS = ("replication", "the checkout API", "queue consumers", "the CDN config", "cert renewal",
           "the login service", "batch jobs", "the search index")


def team_name(n: int) -> str:
    return f"team-{n:02d}"


def owner_name(team: int, owner: int) -> str:
    return f"Person {team:02d}-{owner:02d}"


@dataclass
class Filled:
    """What the benchmark needs from a filled store: the environment `serve` runs with, and the teams."""

    env: dict[str, str]
    teams: dict[str, Any]
    today: date


def teams_config(teams: int) -> dict[str, Any]:
    """Jira teams, half in Europe/Berlin, one counting due dates in German business days."""
    config: dict[str, Any] = {}
    for n in range(teams):
        team: dict[str, Any] = {"tracker": "jira", "jira": {"project": f"T{n:02d}"},
                                "timezone": "Europe/Berlin" if n % 2 else "UTC"}
        if n == 3:
            team["followup"] = {"due_days_unit": "business", "holidays_country": "DE", "due_soon_days": 3}
        config[team_name(n)] = team
    return config


def document(rnd: random.Random, team: int, pm: int, count: int, today: date) -> str:
    rows = []
    for n in range(count):
        due = today + timedelta(days=rnd.randint(-120, 60)) if rnd.random() < 0.8 else None
        rows.append(f"| {rnd.choice(ACTIONS)} {rnd.choice(SYSTEMS)} ({pm}.{n}) "
                    f"| {owner_name(team, rnd.randrange(OWNERS))} | {due.isoformat() if due else ''} "
                    f"| {rnd.choice(PRIORITIES)} | {rnd.choice(KINDS)} |")
    return (f"# Incident {pm}: {rnd.choice(SYSTEMS)} degraded\n\nTeam: {team_name(team)}\n\n"
            "## Summary\n\nRequests failed for a while.\n\n## Action items\n\n"
            "| Action | Owner | Due | Priority | Type |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n")


def _approve(client: httpx.Client, pm_id: str, content: str, team: str) -> None:
    body = json.dumps({"id": pm_id, "title": pm_id, "content": content, "team": team}).encode()
    stamp = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    response = client.post("/hooks/postmortem-approved", content=body,
                           headers={"X-Followthrough-Signature": f"t={stamp},v1={mac}",
                                    "Content-Type": "application/json"})
    if response.status_code != 202:
        raise SystemExit(f"approval answered {response.status_code}: {response.text[:200]}")


def _wait_for_tickets(jira: Any, expected: int, timeout: float, workers: list[WorkerProcess]) -> None:
    deadline = time.monotonic() + timeout
    while len(jira.issues) < expected:
        if time.monotonic() > deadline:
            tail = workers[0].tail(20)
            raise SystemExit(f"only {len(jira.issues)} of {expected} tickets after {timeout:.0f} s\n{tail}")
        time.sleep(0.5)


def fill(jira: Any, folder: Path, *, redis_url: str, database_url: str, items: int, teams: int,
         seed: int = 12, workers: int = 2) -> Filled:
    """Fill the store behind `database_url` through the product (see the module's docstring)."""
    rnd = random.Random(seed)
    today = datetime.now(UTC).date()
    people = [{"name": owner_name(t, o), "jira_account_id": jira.add_user(owner_name(t, o))}
              for t in range(teams) for o in range(OWNERS)]
    config = write_config(folder, teams=teams_config(teams), default_team=team_name(0), people=people)
    env = service_env(config, REDIS_URL=redis_url, FOLLOWTHROUGH_DATABASE_URL=database_url,
                      FOLLOWTHROUGH_WEBHOOK_SECRET=SECRET, JIRA_URL=jira.url, JIRA_EMAIL=jira.email,
                      JIRA_API_TOKEN=jira.api_token)
    procs = [WorkerProcess(env, folder / f"fill-worker{n}.log", name=f"fill{n}", loglevel="WARNING").start()
             for n in range(workers)]
    served = Served("fill-serve", [*SERVE, "--log-level", "warning"], env, folder)
    try:
        with httpx.Client(base_url=served.url, timeout=30) as client:
            for pm in range(-(-items // PER_POSTMORTEM)):
                count = min(PER_POSTMORTEM, items - pm * PER_POSTMORTEM)
                team = pm % teams
                _approve(client, f"PM-{pm:04d}", document(rnd, team, pm, count, today), team_name(team))
        _wait_for_tickets(jira, items, 1800, procs)
    finally:
        served.stop()
        for proc in procs:
            proc.stop()
    with jira.lock:
        keys = list(jira.issues)
    for key in keys:
        roll = rnd.random()
        if roll < 0.45:
            jira.close_issue(key)
        elif roll < 0.55:
            jira.close_issue(key, resolution="Won't Do")
    refresh = subprocess.run([*SERVE[:-1], "report", "--refresh"], env=env, cwd=folder,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if refresh.returncode not in (0, 1):
        raise SystemExit(f"report --refresh failed ({refresh.returncode}): {refresh.stderr.decode()[-500:]}")
    return Filled(env=env, teams=teams_config(teams), today=today)
