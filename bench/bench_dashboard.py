"""Dashboard pages over a store of 10,000 items in 20 teams filled through the product, against the floor.

Run from the repository root:
`.venv/bin/python bench/bench_dashboard.py [--items 10000] [--teams 20] [--rounds 3] [--runs 5]`.

The store (PostgreSQL) is filled by bench/dashboard_fill.py through the product: signed approvals to
`followthrough serve`, worker processes creating the tickets in the Jira stand-in, tickets closed there
and `followthrough report --refresh`. The pages are then requested over HTTP from `followthrough serve`
(real uvicorn). The floor (issue 21) is one SQL query computing the same per-team counts (open, overdue,
due soon, done, due so far, done on time) straight from the tables. Each round times the floor, `/` and
`/overdue` `--runs` times each (medians), interleaved; prints the medians over the rounds and the ratio
(goal: at most 2x), then every other page once per round for reference (target: under 200 ms).
Needs redis-server and PostgreSQL on 127.0.0.1:5432 (user postgres, trust), like the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psycopg
from dashboard_fill import Filled, fill, team_name
from floors import SERVE, Pair, Served

from tests.servers import RedisServer, postgres_database
from tests.standins.jira import JiraStandIn

#: The floor: per-team counts in one statement. Due dates: the item's (the tracker's first), else the
#: approval day plus the default days by priority; "today" in each team's zone (computed by the caller).
FLOOR_SQL = """
WITH teams(team, today, soon) AS (
  SELECT * FROM unnest(%(teams)s::text[], %(today)s::date[], %(soon)s::int[])),
items AS (
  SELECT p.team, t.soon, t.today,
         coalesce(nullif(i.status, ''), CASE WHEN i.done THEN 'done' ELSE 'open' END) AS status,
         coalesce(i.ticket_due, i.due, coalesce(p.approved_at, p.ingested_at)::date
                  + CASE WHEN lower(i.priority) IN ('p0', 'p1', 'sev0', 'sev1', 'critical', 'highest', 'high')
                         THEN 28 ELSE 56 END) AS due,
         r.resolved_at::date AS resolved
  FROM action_items i
  JOIN postmortems p ON p.key = i.postmortem_key
  JOIN teams t ON t.team = p.team
  LEFT JOIN followup_resolutions r ON r.ticket_key = i.ticket_key
  WHERE i.ticket_key IS NOT NULL AND i.removed_at IS NULL
    AND (i.kind IS NULL OR lower(trim(i.kind)) IN ('prevent', 'detect', 'mitigate', 'process'))
)
SELECT team,
       count(*) FILTER (WHERE status = 'open') AS open,
       count(*) FILTER (WHERE status = 'open' AND due < today) AS overdue,
       count(*) FILTER (WHERE status = 'open' AND due >= today AND due <= today + soon) AS due_soon,
       count(*) FILTER (WHERE status = 'done') AS done,
       count(*) FILTER (WHERE due <= today) AS due_so_far,
       count(*) FILTER (WHERE status = 'done' AND due <= today AND resolved <= due) AS done_on_time
FROM items WHERE status <> 'dropped' GROUP BY team ORDER BY team
"""


#: The dashboard always wants a token (issue 18): the served receiver gets this one.
BENCH_TOKEN = "bench-dashboard-token"


def floor_query(conn: psycopg.Connection[Any], filled: Filled) -> float:
    """Milliseconds for the floor's one query (its rows fetched)."""
    names = sorted(filled.teams)
    now = datetime.now(UTC)
    today = [now.astimezone(ZoneInfo(filled.teams[n]["timezone"])).date() for n in names]
    soon = [filled.teams[n].get("followup", {}).get("due_soon_days", 7) for n in names]
    started = time.perf_counter()
    rows = conn.execute(FLOOR_SQL, {"teams": names, "today": today, "soon": soon}).fetchall()
    elapsed = (time.perf_counter() - started) * 1000
    if len(rows) != len(names):
        raise SystemExit(f"the floor query returned {len(rows)} teams, not {len(names)}")
    return elapsed


def get_ms(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}: {response.text[:200]}")
    return elapsed


def other_pages(teams: int, postmortem: str) -> list[str]:
    return [f"/teams/{team_name(teams // 2)}", "/overdue?team=team-01&kind=prevent&priority=P1",
            "/overdue?owner=Person+03-04", "/overdue?page=3", "/postmortems", f"/postmortems/{postmortem}",
            "/attention"]


def measure(served: Served, dsn: str, filled: Filled, args: argparse.Namespace) -> None:
    home = Pair("dashboard /", "ms", higher_is_better=False)
    overdue = Pair("dashboard /overdue", "ms", higher_is_better=False)
    auth = {"Authorization": f"Bearer {BENCH_TOKEN}"}
    with psycopg.connect(dsn) as conn, httpx.Client(base_url=served.url, timeout=60, headers=auth) as client:
        postmortem = conn.execute("SELECT key FROM postmortems ORDER BY key LIMIT 1").fetchone()
        statuses = conn.execute("SELECT coalesce(status, '-'), count(*) FROM action_items"
                                " GROUP BY 1 ORDER BY 1").fetchall()
        resolved = conn.execute("SELECT count(*) FROM followup_resolutions").fetchone()
        print(f"store: items by status {dict(statuses)}; resolution times {resolved[0] if resolved else 0}")
        pages = other_pages(args.teams, postmortem[0] if postmortem else "none")
        floor_query(conn, filled)  # warm-up: plans, caches, the store's first open, templates
        for path in ("/", "/overdue", *pages):
            get_ms(client, path)
        others: dict[str, list[float]] = {path: [] for path in pages}
        for _ in range(args.rounds):
            floor = statistics.median(floor_query(conn, filled) for _ in range(args.runs))
            home.floor.append(floor)
            overdue.floor.append(floor)
            home.product.append(statistics.median(get_ms(client, "/") for _ in range(args.runs)))
            overdue.product.append(statistics.median(get_ms(client, "/overdue") for _ in range(args.runs)))
            for path in pages:
                others[path].append(get_ms(client, path))
    print(home.line() + "  (goal <= 2x)")
    print(overdue.line() + "  (goal <= 2x)")
    for path, times in others.items():
        print(f"  {path:<48} median {statistics.median(times):6.1f} ms  worst {max(times):6.1f} ms")
    print(f"server CPU while measuring: {served.cpu():.1f} s in all")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5, help="requests per page (and floor queries) per round")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ft-bench-dashboard-"))
    redis = RedisServer(folder / "redis").start()
    jira = JiraStandIn(projects=tuple(f"T{n:02d}" for n in range(args.teams))).start()
    try:
        with postgres_database("ft_bench_dashboard") as url:
            started = time.perf_counter()
            filled = fill(jira, folder, redis_url=redis.url, database_url=url, items=args.items,
                          teams=args.teams)
            print(f"postgresql: {args.items} items, {args.teams} teams filled through the product in "
                  f"{time.perf_counter() - started:.0f} s")
            with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute("ANALYZE")  # as autovacuum would have by now: planner statistics for both
            env = {**filled.env, "FOLLOWTHROUGH_DASHBOARD_TOKEN": BENCH_TOKEN}
            served = Served("serve", [*SERVE, "--log-level", "warning"], env, folder)
            try:
                measure(served, url.replace("+psycopg", ""), filled, args)
            finally:
                served.stop()
    finally:
        jira.stop()
        redis.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
