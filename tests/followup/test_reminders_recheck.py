"""Reminders check first: a ticket closed since the last status refresh is not reminded."""

from __future__ import annotations

from datetime import UTC

from config.settings import Settings
from connectors.jira import JiraTracker
from tests.followup.receivers import HttpReceiver
from tests.followup.test_reminders import at, team_setup
from tests.standins.jira import JiraStandIn
from worker.followup import jobs
from worker.store.tracked import FollowupStore

__all__ = ["team_setup"]


def test_a_ticket_closed_after_the_last_refresh_is_not_reminded(
        team_setup: tuple[Settings, FollowupStore, dict[str, str]], webhook: HttpReceiver,
        jira_standin: JiraStandIn, jira_tracker: JiraTracker) -> None:
    settings, store, ids = team_setup
    jira_standin.close_issue(ids["Failover runbook"])  # closed an hour ago; the store still says open
    searches = jira_standin.count("GET", r"/search/jql$") + jira_standin.count("POST", r"/search/jql$")
    results = jobs.send_reminders(settings, store, at(31, 10).astimezone(UTC),
                                  tracker_for=lambda team: jira_tracker)
    states = sorted((o.via, o.state) for o in results["sre"])
    assert states == [("none", "closed"), ("notify", "sent")]
    assert jira_standin.comments.get(ids["Failover runbook"], []) == []
    assert len(webhook.recorder.requests) == 1
    # One listing for the team's tracker, not one read per ticket.
    after = jira_standin.count("GET", r"/search/jql$") + jira_standin.count("POST", r"/search/jql$")
    assert after - searches == 1
