"""The dashboard's SQL gives the report's items and figures, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.dashboard.conftest import Seeded
from tests.dashboard.seeding import NOW
from worker.followup import jobs
from worker.store import Store, reads
from worker.store.tracked import FollowupStore, display_names
from worker.web.app import create_app
from worker.web.dashboard import queries
from worker.web.dashboard.aggregate import figures_by_team
from worker.web.dashboard.figures import team_view


@pytest.fixture(params=["sqlite", "postgresql"])
def any_seeded(request: pytest.FixtureRequest) -> Seeded:
    return request.getfixturevalue("seeded" if request.param == "sqlite" else "seeded_pg")  # type: ignore[no-any-return]


def test_items_match_the_report_reader(any_seeded: Seeded) -> None:
    settings = any_seeded.settings()
    store = Store(settings.database_url)
    try:
        followup = FollowupStore(store)
        with store.engine.connect() as conn:
            mine = reads.tracked_items(conn, display_names(settings.people))
        for team in ("sre", "web"):
            assert mine[team] == followup.tracked_items(team, people=settings.people)
        views = [team_view(settings, team, mine[team.name], NOW) for team in settings.teams.values()]
        for view in views:
            report = jobs.team_report(settings, followup, view.team, NOW)
            assert view.report.summary == report.summary
        with store.engine.connect() as conn:
            _, org = figures_by_team(conn, settings, list(settings.teams.values()), NOW)
        assert (org.open, org.overdue, org.due_soon, org.done) == (6, 4, 1, 2)
        assert org.completion_rate == pytest.approx(1 / 7) and org.median_days_overdue == 7.5
        with store.engine.connect() as conn:
            assert [r["key"] for r in reads.postmortems(conn, ["web"])] == ["pm-dns", "pm-cdn"]
            assert [r["title"] for r in reads.needs_owner(conn, ["sre", "web"])] == ["Shard queue"]
            assert [r["conflicts"] for r in reads.conflicts(conn, ["sre", "web"])] == [1]
            assert [r["title"] for r in reads.removed_still_open(conn, ["web"])] == ["Retire old proxy"]
            assert queries.distinct_values(conn, ["web"]) == (["detect", "prevent"], ["p1", "p2", "p3"])
            assert len(reads.history(conn, ["sre", "web"], since=NOW.date())) == 1
    finally:
        store.close()


def test_every_page_renders_on_postgresql(seeded_pg: Seeded) -> None:
    app = create_app(seeded_pg.settings())

    async def fetch(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path, params={"at": NOW.isoformat()})

    for path in ("/", "/teams/web", "/overdue", "/postmortems", "/postmortems/pm-cdn", "/attention"):
        response = asyncio.run(fetch(path))
        assert response.status_code == 200, (path, response.text[:300])
    assert "Retire old proxy" in asyncio.run(fetch("/overdue")).text
