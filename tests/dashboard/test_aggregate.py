"""The GROUP BY figures and the overdue list equal the report's, on varied random data, on both backends;
and a page costs a fixed number of SQL statements whatever the number of items."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.fixtures import SubRequest  # the request type of a parametrised fixture (has param_index)
from sqlalchemy import Engine, event

from config.settings import Settings
from tests.dashboard.bulk import NOW, fill, settings_for
from tests.servers import postgres_database
from worker.followup import jobs
from worker.followup.items import ItemState
from worker.followup.overdue import overdue_lines, overdue_page
from worker.store import Store
from worker.store.tracked import TALLIES_WORK_MEM, FollowupStore
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
        if str(args[2]).lstrip().startswith(("SELECT", "WITH")):  # not the store's BEGIN on SQLite
            statements.append(str(args[2]))

    engine: Engine = store.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as conn:
            figures_by_team(conn, settings, teams, NOW)
            # PostgreSQL: the approval days of the team that counts business days, then the one GROUP BY.
            assert len(statements) == (2 if store.dialect == "postgresql" else 1)
            assert "GROUP BY" in statements[-1]
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


@pytest.mark.parametrize("filters", [{}, {"kind": "prevent"}, {"priority": "P1"}, {"owner": "Person 03-04"},
                                     {"number": 3}, {"teams": ["team-01", "team-02"]}])
def test_an_overdue_page_is_its_slice_of_the_lines(bulk: tuple[Settings, Store], filters: dict[str, Any]
                                                   ) -> None:
    settings, store = bulk
    names = filters.pop("teams", None)
    teams = [t for t in settings.teams.values() if names is None or t.name in names]
    kind, priority, owner = filters.get("kind"), filters.get("priority"), filters.get("owner")
    with store.engine.connect() as conn:
        every = overdue_lines(conn, settings, teams, NOW, kind=kind, priority=priority)
        page = overdue_page(conn, settings, teams, NOW, size=100, **filters)
    expected = sorted((line for line in every if owner is None or line.item.owner_label == owner),
                      key=lambda line: (-line.days_overdue, line.item.team.lower(), line.item.title.lower(),
                                        line.item.postmortem_key, line.item.fingerprint))
    first = (filters.get("number", 1) - 1) * 100
    assert page.total == len(expected) > 0
    assert page.owners == sorted({line.item.owner_label for line in every}, key=str.lower)
    assert page.lines == expected[first:first + 100]


def test_the_tallies_get_room_to_group_by_hash_and_give_it_back(tmp_path: Path) -> None:
    """The planner guesses about a thousand groups for the rules' CTEs; under the default 4 MB it sorted
    every item to group them. The tallies raise work_mem for their one statement, then reset it."""
    with postgres_database("ft_dashboard_mem") as url:
        fill(url, items=300, teams=3, seed=5)
        store = Store(url)
        try:
            settings = settings_for(url, 3, tmp_path)
            during: list[str] = []
            with store.engine.connect() as conn:
                before = conn.exec_driver_sql("SHOW work_mem").scalar()

                def seen(conn_: Any, cursor: Any, statement: str, *_: Any) -> None:
                    if "GROUP BY team, kind" in statement:
                        during.append(cursor.connection.execute("SHOW work_mem").fetchone()[0])

                event.listen(store.engine, "before_cursor_execute", seen)
                try:
                    figures_by_team(conn, settings, list(settings.teams.values()), NOW)
                finally:
                    event.remove(store.engine, "before_cursor_execute", seen)
                assert conn.exec_driver_sql("SHOW work_mem").scalar() == before != TALLIES_WORK_MEM
            assert during == [TALLIES_WORK_MEM]
        finally:
            store.close()


def test_a_failed_tallies_statement_raises_its_own_error_and_leaves_no_work_mem(tmp_path: Path) -> None:
    """The statement fails (a table locked past lock_timeout): inside a transaction the caller sees that
    error, not the RESET's "transaction is aborted"; in autocommit the connection is reset all the same."""
    import psycopg
    from sqlalchemy.exc import OperationalError

    with postgres_database("ft_dashboard_mem_fail") as url:
        fill(url, items=50, teams=2, seed=6)
        store = Store(url)
        try:
            settings = settings_for(url, 2, tmp_path)
            teams = list(settings.teams.values())
            with psycopg.connect(url.replace("+psycopg", "")) as locker:
                locker.execute("LOCK TABLE action_items IN ACCESS EXCLUSIVE MODE")
                with store.engine.connect() as conn:  # a transaction (SQLAlchemy begins one)
                    conn.exec_driver_sql("SET lock_timeout = '100ms'")
                    with pytest.raises(OperationalError, match="lock timeout"):
                        figures_by_team(conn, settings, teams, NOW)
                with store.read_connection() as conn:  # autocommit
                    before = conn.exec_driver_sql("SHOW work_mem").scalar()
                    conn.exec_driver_sql("SET lock_timeout = '100ms'")
                    with pytest.raises(OperationalError, match="lock timeout"):
                        figures_by_team(conn, settings, teams, NOW)
                    assert conn.exec_driver_sql("SHOW work_mem").scalar() == before
                    conn.exec_driver_sql("RESET lock_timeout")
        finally:
            store.close()
