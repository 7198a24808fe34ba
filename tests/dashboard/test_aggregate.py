"""The GROUP BY figures and the overdue list equal the report's, on varied random data, on both backends;
and a page costs a fixed number of SQL statements whatever the number of items."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest.fixtures import SubRequest  # the request type of a parametrised fixture (has param_index)
from sqlalchemy import Engine, event

from config.settings import Settings
from tests.dashboard.bulk import NOW, fill, settings_for
from tests.servers import postgres_database
from worker.followup import jobs
from worker.followup.items import ItemState
from worker.followup.overdue import overdue_lines
from worker.store import Store
from worker.store.tracked import FollowupStore
from worker.web.dashboard.aggregate import figures_by_team
from worker.web.dashboard.figures import median


@pytest.fixture(params=["sqlite", "postgresql"])
def bulk(request: SubRequest, tmp_path: Path) -> Iterator[tuple[Settings, Store]]:
    def filled(url: str) -> Iterator[tuple[Settings, Store]]:
        fill(url, items=1500, teams=6, seed=request.param_index + 3)
        store = Store(url)
        yield settings_for(url, 6, tmp_path), store
        store.close()

    if request.param == "sqlite":
        yield from filled(f"sqlite:///{tmp_path / 'bulk.db'}")
    else:
        with postgres_database("ft_dashboard_bulk") as url:
            yield from filled(url)


def test_figures_and_overdue_equal_the_report(bulk: tuple[Settings, Store]) -> None:
    settings, store = bulk
    followup = FollowupStore(store)
    teams = list(settings.teams.values())
    with store.engine.connect() as conn:
        per_team, org = figures_by_team(conn, settings, teams, NOW)
        lines = overdue_lines(conn, settings, teams, NOW)
    all_days: list[int] = []
    for team, figures in zip(teams, per_team, strict=True):
        report = jobs.team_report(settings, followup, team, NOW)
        s = report.summary
        assert (figures.open, figures.overdue, figures.due_soon, figures.due_so_far, figures.done_on_time) \
            == (s.open, s.overdue, s.due_soon, s.due_so_far, s.done_on_time), team.name
        overdue = {line.item.fingerprint: line.days_overdue for owner in report.owners for line in owner.lines
                   if line.state is ItemState.OVERDUE}
        assert {line.item.fingerprint: line.days_overdue for line in lines if line.item.team == team.name} \
            == overdue
        assert figures.median_days_overdue == median([d for d in overdue.values() if d is not None])
        all_days += [d for d in overdue.values() if d is not None]
    assert org.overdue == len(all_days) > 50 and org.median_days_overdue == median(all_days)
    assert org.due_so_far > org.done_on_time > 0


def test_statements_per_page_do_not_grow_with_items(bulk: tuple[Settings, Store]) -> None:
    settings, store = bulk
    teams = list(settings.teams.values())
    statements: list[str] = []

    def count(*args: object) -> None:
        if str(args[2]).startswith("SELECT"):  # not the store's BEGIN on SQLite
            statements.append(str(args[2]))

    engine: Engine = store.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as conn:
            figures_by_team(conn, settings, teams, NOW)
            assert len(statements) == 1 and "GROUP BY" in statements[0]
            statements.clear()
            overdue_lines(conn, settings, teams, NOW)
            assert len(statements) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_overdue_counts_equal_the_report(bulk: tuple[Settings, Store]) -> None:
    # The one count behind /metrics, `list` and `show`: per team and per postmortem, as the report says.
    from worker.followup.overdue import overdue_counts

    settings, store = bulk
    followup = FollowupStore(store)
    teams = list(settings.teams.values())
    with store.engine.connect() as conn:
        per_team = overdue_counts(conn, settings, teams, NOW)
        per_postmortem = overdue_counts(conn, settings, teams, NOW, by_postmortem=True)
    expected_pm: dict[str, int] = {}
    for team in teams:
        report = jobs.team_report(settings, followup, team, NOW)
        assert per_team[team.name] == report.summary.overdue, team.name
        for owner in report.owners:
            for line in owner.lines:
                if line.state is ItemState.OVERDUE:
                    key = line.item.postmortem_key
                    expected_pm[key] = expected_pm.get(key, 0) + 1
    assert per_postmortem == expected_pm and sum(per_team.values()) > 50
