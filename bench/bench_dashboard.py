"""Render every dashboard page over a store of 10,000 items in 20 teams, on SQLite and PostgreSQL.

Run from the repository root:
`.venv/bin/python bench/bench_dashboard.py [--items 10000] [--teams 20] [--runs 5]
[--backend sqlite|postgresql|both]`.
The store is filled by tests/dashboard/bulk.py (random but seeded: tickets, statuses, resolutions,
needs-owner, removed items, sync runs with conflicts, 90 days of history); the aggregate figures are first
checked against `build_report` for every team. Each page is requested through
the real app (ASGI, loopback client) once to warm up, then `--runs` times; prints the median and the worst
wall-clock milliseconds per page (target: under 200 ms each) and the median CPU milliseconds this process
spent (app and client; PostgreSQL's own work is not in it), a figure other load on the machine moves less.
PostgreSQL needs 127.0.0.1:5432 (user postgres, trust).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from pydantic import SecretStr

from config.settings import Settings
from tests.dashboard.bulk import NOW, fill, settings_for, team_name
from tests.servers import postgres_database
from worker.followup import jobs
from worker.store import Store
from worker.store.tracked import FollowupStore
from worker.web.app import create_app
from worker.web.dashboard.aggregate import figures_by_team


def pages(teams: int) -> list[str]:
    return ["/", f"/teams/{team_name(teams // 2)}", "/overdue",
            "/overdue?team=team-01&kind=prevent&priority=P1", "/overdue?owner=Person+03-04",
            "/overdue?page=3", "/postmortems", "/postmortems/t01-pm0001", "/attention"]


def check(settings: Settings) -> None:
    """The aggregate figures must equal the report's own (build_report per team) on this store."""
    store = Store(settings.database_url)
    try:
        followup = FollowupStore(store)
        teams = list(settings.teams.values())
        with store.engine.connect() as conn:
            per_team, _ = figures_by_team(conn, settings, teams, NOW)
        for team, figures in zip(teams, per_team, strict=True):
            summary = jobs.team_report(settings, followup, team, NOW).summary
            mine = (figures.open, figures.overdue, figures.due_soon, figures.due_so_far,
                    figures.done_on_time)
            theirs = (summary.open, summary.overdue, summary.due_soon, summary.due_so_far,
                      summary.done_on_time)
            if mine != theirs:
                raise SystemExit(f"{team.name}: dashboard {mine} != report {theirs}")
    finally:
        store.close()


def measure(settings: Settings, paths: list[str], runs: int) -> list[tuple[str, float, float, float]]:
    """Per page: median and worst wall-clock ms, and median CPU ms of this process (app and client)."""
    app = create_app(settings.model_copy(update={"dashboard_token": SecretStr("bench")}))  # a token always
    at = "at=" + NOW.isoformat().replace("+", "%2B")

    async def timed(client: httpx.AsyncClient, path: str) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        response = await client.get(path + ("&" if "?" in path else "?") + at)
        elapsed, used = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}: {response.text[:200]}")
        return elapsed, used

    async def run() -> list[tuple[str, float, float, float]]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        results = []
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                     headers={"Authorization": "Bearer bench"}) as client:
            for path in paths:
                await timed(client, path)  # warm-up: opens the store, compiles templates
                times = [await timed(client, path) for _ in range(runs)]
                wall = [t[0] for t in times]
                cpu = statistics.median(t[1] for t in times)
                results.append((path, statistics.median(wall), max(wall), cpu))
        return results

    return asyncio.run(run())


@contextmanager
def backend(name: str, folder: Path) -> Iterator[str]:
    if name == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
    else:
        with postgres_database("ft_bench_dashboard") as url:
            yield url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    names = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    worst = 0.0
    for name in names:
        with tempfile.TemporaryDirectory() as tmp, backend(name, Path(tmp)) as url:
            started = time.perf_counter()
            fill(url, items=args.items, teams=args.teams)
            took = time.perf_counter() - started
            print(f"{name}: {args.items} items, {args.teams} teams seeded in {took:.1f} s")
            settings = settings_for(url, args.teams, Path(tmp))
            check(settings)
            for path, median, slowest, cpu in measure(settings, pages(args.teams), args.runs):
                worst = max(worst, median)
                flag = "" if median < 200 else "  OVER 200 ms"
                print(f"  {path:<48} median {median:6.1f} ms  worst {slowest:6.1f} ms  "
                      f"cpu {cpu:6.1f} ms{flag}")
    print(f"slowest page median: {worst:.1f} ms (target < 200 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
