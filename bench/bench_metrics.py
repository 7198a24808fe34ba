"""Cost of one GET /metrics scrape on the receiver over a large store (the overdue gauge reads the store).

Run from the repository root:
`.venv/bin/python bench/bench_metrics.py [--items 20000] [--teams 20] [--scrapes 20] [--database-url URL]
[--redis-url URL]`.
Prints the SQL statements and wall time of one scrape (median and worst of `--scrapes`), and, for
comparison, the time to count overdue items the way the follow-up report loads them (every team's
tracked items into Python), which is what a scrape would cost without the aggregate query.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, event
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import load_settings
from connectors.tracker import Ticket, TicketFields
from worker.followup.items import ItemState
from worker.followup.rules import state
from worker.models import ActionItem, Postmortem
from worker.store import Store
from worker.store.tracked import FollowupStore
from worker.sync import pipeline
from worker.web.app import create_app

NOW = datetime.now(UTC)  # the scrape counts against today


def seed(store: Store, *, items: int, teams: int) -> None:
    """`items` ticketed items over `teams` teams, 25 a postmortem, due from 20 days ago to 20 days ahead."""
    per_team = max(1, items // teams)
    for t in range(teams):
        team = f"team{t:02d}"
        for start in range(0, per_team, 25):
            pm = f"{team}-pm{start // 25}"
            batch = tuple(ActionItem(title=f"Action {n} of {pm}", fingerprint=f"{pm}-{n}",
                                     due=NOW.date() + timedelta(days=n % 40 - 20))
                          for n in range(min(25, per_team - start)))
            store.save_postmortem(Postmortem(identity=pm, title=pm, action_items=batch), key=pm,
                                  source=f"inline:{pm}", team=team, content_hash=pm, content=None,
                                  approved_at=NOW, now=NOW)
            for item in batch:
                fields = TicketFields(title=item.title, due=item.due)
                ticket = Ticket(key=f"{pm}-{item.fingerprint}", url="https://example.invalid",
                                fingerprint=item.fingerprint, fields=fields)
                store.record_ticket(pm, item.fingerprint, ticket, tracker="jira", now=NOW)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--database-url", help="an empty database to use (default: a temporary SQLite file)")
    parser.add_argument("--redis-url", help="Redis for the queue-depth gauge (default: none)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        store = Store(url)
        started = time.perf_counter()
        seed(store, items=args.items, teams=args.teams)
        print(f"seeded {args.items} items over {args.teams} teams in {time.perf_counter() - started:.1f} s")
        teams = {f"team{t:02d}": {"tracker": "jira", "jira": {"project": f"T{t}"}} for t in range(args.teams)}
        settings = load_settings(database_url=url, redis_url=args.redis_url, celery_broker_url=None,
                                 teams=teams, default_team="team00",
                                 embedded_broker_url=f"sqla+sqlite:///{Path(folder) / 'broker.db'}")
        statements: list[str] = []

        def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            statements.append(statement)

        with TestClient(create_app(settings, celery=make_celery(settings))) as client:
            client.get("/metrics")  # the first scrape opens the store
            event.listen(Engine, "before_cursor_execute", seen)
            times = []
            for _ in range(args.scrapes):
                began = time.perf_counter()
                response = client.get("/metrics")
                times.append(time.perf_counter() - began)
            event.remove(Engine, "before_cursor_execute", seen)
        assert response.status_code == 200
        overdue = sum(float(line.rsplit(" ", 1)[1]) for line in response.text.splitlines()
                      if line.startswith("followthrough_overdue_items{"))
        print(f"/metrics: {len(statements) / args.scrapes:.0f} SQL statement(s) per scrape, "
              f"median {statistics.median(times) * 1000:.1f} ms, worst {max(times) * 1000:.1f} ms, "
              f"{overdue:.0f} overdue items")

        followup = FollowupStore(store)
        began = time.perf_counter()
        counted = 0
        for team in teams:
            policy = settings.followup_policy(settings.teams[team])
            counted += sum(1 for item in followup.tracked_items(team)
                           if state(item, item.due, NOW, policy) is ItemState.OVERDUE)
        print(f"per-team item loading (the report's way): {(time.perf_counter() - began) * 1000:.1f} ms, "
              f"{counted} overdue items")
        store.close()
        pipeline.close_stores()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
