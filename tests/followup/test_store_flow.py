"""Refresh, history and reports over the real store, with the real Jira and GitHub clients on stand-ins."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("worker.store")

from config.settings import Settings
from connectors.jira import JiraTracker
from connectors.tracker import TicketStatus, Tracker
from tests.connectors.github_support import make_tracker
from tests.followup.storeflow import seed
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn
from worker.followup import jobs
from worker.followup.render.email import render_email
from worker.store import Store
from worker.store.tracked import FollowupStore

APPROVED = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOW = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # Monday 09:00 Berlin


def settings_for(tmp_path: Path, **teams: Mapping[str, object]) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'ft.db'}", teams=teams,  # type: ignore[arg-type]
                    default_team=next(iter(teams)), _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def store(tmp_path: Path) -> FollowupStore:
    return FollowupStore(Store(f"sqlite:///{tmp_path / 'ft.db'}"))


def test_jira_refresh_pages_not_items_and_flows_back(tmp_path: Path, store: FollowupStore,
                                                     jira_tracker: JiraTracker,
                                                     jira_standin: JiraStandIn) -> None:
    items = [(f"Action {n}", date(2026, 3, 20) if n % 2 else None, "prevent") for n in range(230)]
    tickets = seed(store.store, jira_tracker, key="pm1", team="sre", approved_at=APPROVED, items=items)
    settings = settings_for(tmp_path, sre={"tracker": "jira", "jira": {"project": "OPS"},
                                           "timezone": "Europe/Berlin"})
    jira_standin.close_issue(tickets[0].key)
    jira_standin.close_issue(tickets[1].key, resolution="Won't Do")
    jira_standin.edit_issue(tickets[2].key, duedate="2026-05-01")
    jira_standin.reset_calls()

    outcome = jobs.refresh(settings, store, NOW, tracker_for=lambda team: jira_tracker)

    searches = jira_standin.count("POST", r"search/jql") + jira_standin.count("GET", r"search/jql")
    assert searches == math.ceil(230 / 100)
    assert outcome.result.tickets == 230 and outcome.result.changed == 3
    by_key = {item.ticket_key: item for item in store.tracked_items("sre")}
    assert by_key[tickets[0].key].status is TicketStatus.DONE
    assert by_key[tickets[0].key].resolved_at is not None
    assert by_key[tickets[1].key].status is TicketStatus.DROPPED
    assert by_key[tickets[2].key].due == date(2026, 5, 1)
    report = jobs.team_report(settings, store, settings.teams["sre"], NOW)
    assert report.summary.dropped == 1
    # odd items are due Mar 20 (overdue), even ones default to approval + 56 days (Apr 27)
    assert report.summary.overdue == 115 - 1  # item 1 (odd) was dropped
    assert [point.open for point in report.history] == [228]


def test_github_refresh_and_second_refresh_changes_nothing(tmp_path: Path, store: FollowupStore) -> None:
    with GitHubStandIn() as api:
        tracker: Tracker = make_tracker(api)
        tickets = seed(store.store, tracker, key="pm2", team="web", approved_at=APPROVED,
                       items=[("Add alert", date(2026, 3, 10), "detect"), ("Runbook", None, "process"),
                              ("Rewrite", None, "investigate")], assignee="alice")
        settings = settings_for(tmp_path, web={"tracker": "github", "github": {"repo": "acme/ops"}})
        api.close_issue(int(tickets[0].key.split("#")[1]))
        api.close_issue(int(tickets[1].key.split("#")[1]), reason="not_planned")
        api.reset_calls()
        first = jobs.refresh(settings, store, NOW, tracker_for=lambda team: tracker)
        assert api.count("GET", r"/issues$") == 1
        second = jobs.refresh(settings, store, NOW + timedelta(hours=1), tracker_for=lambda team: tracker)
        assert (first.result.changed, second.result.changed) == (2, 0)
        report = jobs.team_report(settings, store, settings.teams["web"], NOW + timedelta(days=7))
        assert report.summary.done_this_period == 1 and report.summary.dropped == 1
        assert report.summary.open == 0  # "Rewrite" is a mitigation: not followed up


def test_teams_sharing_a_destination_are_listed_once(tmp_path: Path, store: FollowupStore,
                                                    jira_tracker: JiraTracker,
                                                    jira_standin: JiraStandIn) -> None:
    seed(store.store, jira_tracker, key="pmA", team="a", approved_at=APPROVED, items=[("A1", None, None)])
    seed(store.store, jira_tracker, key="pmB", team="b", approved_at=APPROVED, items=[("B1", None, None)])
    destination = {"tracker": "jira", "jira": {"project": "OPS"}}
    settings = settings_for(tmp_path, a=destination, b=destination, c={
        "tracker": "github", "github": {"repo": "acme/none"}})
    jira_standin.reset_calls()
    outcome = jobs.refresh(settings, store, NOW, tracker_for=lambda team: jira_tracker
                           if team.tracker == "jira" else None)
    assert jira_standin.count(None, r"search") == 1
    assert outcome.skipped == ("github:acme/none",)
    assert [d.teams for d in outcome.result.destinations] == [("a", "b")]


def test_history_chart_comes_from_daily_snapshots(tmp_path: Path, store: FollowupStore,
                                                  jira_tracker: JiraTracker) -> None:
    seed(store.store, jira_tracker, key="pm1", team="sre", approved_at=APPROVED,
         items=[("A", date(2026, 3, 10), None), ("B", date(2026, 4, 20), None)])
    settings = settings_for(tmp_path, sre={"tracker": "jira", "jira": {"project": "OPS"}})
    for week in range(10):
        jobs.snapshot_history(settings, store, APPROVED + timedelta(weeks=week))
    jobs.snapshot_history(settings, store, APPROVED + timedelta(weeks=9))  # same day again: replaced
    later = APPROVED + timedelta(weeks=9, hours=1)
    report = jobs.team_report(settings, store, settings.teams["sre"], later)
    assert len(report.history) == 9  # 8 weeks back from today, both ends included
    html = render_email(report).html
    assert html.count("week of ") == 8
    # A is due Mar 10, B Apr 20 (overdue from Apr 21); snapshots every Monday from Mar 9 to May 4
    assert [point.overdue for point in report.history] == [0, 1, 1, 1, 1, 1, 1, 2, 2]
