"""A large store filled with bulk inserts the way sync and follow-up leave it, for the benchmark and for
checking the aggregate figures against the report on varied data.

Values are drawn from a seeded random generator (due dates, kinds, priorities, statuses, resolution times,
assignees), so identical items are as rare as in a real store and the GROUP BY has no easy wins.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from config.settings import Settings
from worker.store import Store
from worker.store.models import (
    ActionItemRow,
    PostmortemRow,
    SyncRunRow,
    followup_history,
    followup_resolutions,
)

NOW = datetime(2026, 3, 30, 7, tzinfo=UTC)
KINDS = ("prevent", "detect", "process", "mitigate", None, "Prevent ")
PRIORITIES = ("P1", "P2", "P3", "critical", None)
STATUSES = ("done", "done", "done", "open", "open", "dropped", None)
PER_POSTMORTEM = 25
INCIDENTS = ("Checkout latency", "Payments outage", "Queue consumer stall", "DNS TTL", "CDN purge storm",
             "Database failover", "Certificate expiry", "Login errors", "Search reindex",
             "Disk full on <db-3>")
ACTIONS = ("Add alert on", "Write runbook for", "Load-test", "Add circuit breaker to", "Automate rollback of",
           "Rate-limit", "Add dashboard for", "Document ownership of", "Rotate credentials of", "Shard")
SYSTEMS = ("replication", "the checkout API", "queue consumers", "the CDN config", "cert renewal",
           "the login service", "batch jobs", "the search index")
OWNERS = 12  # per team


def team_name(n: int) -> str:
    return f"team-{n:02d}"


def settings_for(url: str, teams: int, folder: Path) -> Settings:
    """Jira teams, half in Europe/Berlin, one counting due dates in German business days."""
    config: dict[str, Any] = {}
    for n in range(teams):
        team: dict[str, Any] = {"tracker": "jira", "jira": {"project": f"T{n:02d}"},
                                "timezone": "Europe/Berlin" if n % 2 else "UTC"}
        if n == 3:
            team["followup"] = {"due_days_unit": "business", "holidays_country": "DE", "due_soon_days": 3}
        config[team_name(n)] = team
    people = [{"name": f"Person {t:02d}-{o:02d}", "jira_account_id": f"acc-{t:02d}-{o:02d}"}
              for t in range(teams) for o in range(OWNERS)]
    return Settings(database_url=url, embedded_broker_url=f"sqla+sqlite:///{folder / 'broker.db'}",
                    default_team=team_name(0), teams=config, people=people,  # type: ignore[arg-type]
                    _env_file=None)  # type: ignore[call-arg]


def fill(url: str, *, items: int, teams: int, seed: int = 12) -> None:
    """Insert `items` ticketed items over `teams` teams (25 per postmortem), sync runs and 90 days of
    history."""
    rnd = random.Random(seed)
    store = Store(url)
    postmortems: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    resolutions: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for pm_index in range(-(-items // PER_POSTMORTEM)):
        team = pm_index % teams
        key = f"t{team:02d}-pm{pm_index:04d}"
        incident = f"{INCIDENTS[pm_index % len(INCIDENTS)]} #{pm_index}"
        approved = NOW - timedelta(days=rnd.randint(5, 200), minutes=rnd.randint(0, 1440))
        postmortems.append({"key": key, "identity": key, "source": f"https://docs.example.com/{key}",
                            "team": team_name(team), "title": incident, "content_hash": key,
                            "approved_at": approved if rnd.random() < 0.9 else None, "ingested_at": approved,
                            "synced_at": approved})
        runs.append({"postmortem_key": key, "started_at": approved, "finished_at": approved, "dry_run": False,
                     "retry_error": None, "counts": json.dumps({"created": 20, "conflict": 1}
                                                               if rnd.random() < 0.1 else {"created": 25})})
        for position in range(min(PER_POSTMORTEM, items - pm_index * PER_POSTMORTEM)):
            n = pm_index * PER_POSTMORTEM + position
            status = rnd.choice(STATUSES)
            title = f"{rnd.choice(ACTIONS)} {rnd.choice(SYSTEMS)}"
            ticket = f"T{team:02d}-{n}"
            due = (NOW.date() + timedelta(days=rnd.randint(-120, 60))) if rnd.random() < 0.8 else None
            owner = rnd.randrange(OWNERS)
            needs_owner = rnd.random() < 0.03
            rows.append({
                "postmortem_key": key, "fingerprint": f"fp{n}", "position": position, "title": title,
                "owner": f"Person {team:02d}-{owner:02d}", "due": due,
                "ticket_due": due + timedelta(days=7) if due and rnd.random() < 0.1 else None,
                "priority": rnd.choice(PRIORITIES), "kind": rnd.choice(KINDS),
                "done": status is None and rnd.random() < 0.5, "tracker": "jira", "ticket_key": ticket,
                "ticket_url": f"https://jira.example.com/browse/{ticket}",
                "owned_fields": "title,due,assignee",
                "status": status, "status_name": (status or "").title() or None,
                "ticket_assignee": None if needs_owner else f"acc-{team:02d}-{owner:02d}",
                "assignee_resolution": "needs-owner" if needs_owner else "directory",
                "removed_at": NOW - timedelta(days=3) if rnd.random() < 0.01 else None,
                "removal_notified": False, "created_at": approved, "updated_at": approved})
            if status in ("done", "dropped") and rnd.random() < 0.95:
                resolutions.append({"ticket_key": ticket, "status": status,
                                    "resolved_at": NOW - timedelta(minutes=rnd.randint(0, 200 * 1440))})
    # Open items per team slowly shrinking towards today, the overdue share slowly growing.
    per_team = items // teams
    history = [{"team": team_name(t), "day": NOW.date() - timedelta(days=d),
                "open": per_team * 3 // 10 + d // 3 + (d * 7 + t) % 5,
                "overdue": per_team * 2 // 10 - d // 6 + (d * 3 + t) % 4, "recorded_at": NOW}
               for t in range(teams) for d in range(90)]
    with store.engine.begin() as conn:
        conn.execute(insert(PostmortemRow), postmortems)
        conn.execute(insert(ActionItemRow), rows)
        conn.execute(insert(followup_resolutions), resolutions)
        conn.execute(insert(SyncRunRow), runs)
        conn.execute(insert(followup_history), history)
    store.close()
