"""Searching, status refresh, updates, comments and user lookups against the Jira stand-in."""

from __future__ import annotations

import time
from datetime import date

import pytest
from jira import JIRA

from config.teams import JiraDestination
from connectors.errors import NotFound
from connectors.jira import JiraTracker
from connectors.jira_errors import jira_errors
from connectors.tracker import TicketFields, TicketStatus
from tests.connectors.jira_helpers import draft
from tests.standins.jira import JiraStandIn


def test_find_tickets_pages_through_search_jql(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_tracker.create_tickets([draft(n) for n in range(130)])
    jira_tracker.create_tickets([draft(900, postmortem="another-postmortem")])
    jira_standin.reset_calls()

    tickets = jira_tracker.find_tickets("pm-2024-001")

    assert len(tickets) == 130
    assert {t.fingerprint for t in tickets} == {f"fp{n:04d}" for n in range(130)}
    assert jira_standin.calls == [("POST", "/rest/api/3/search/jql")] * 2


def test_find_tickets_includes_closed_and_reads_fields(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    ada = jira_standin.add_user("Ada Lovelace", email="ada@example.com")
    [outcome] = jira_tracker.create_tickets([draft(1, assignee=ada, due=date(2030, 1, 2), priority="high")])
    assert outcome.ticket is not None
    jira_standin.close_issue(outcome.ticket.key)

    [ticket] = jira_tracker.find_tickets("pm-2024-001")

    assert ticket.key == outcome.ticket.key
    assert ticket.fingerprint == "fp0001"
    assert ticket.status is TicketStatus.DONE
    assert ticket.fields == TicketFields(
        title="Action item 1", due=date(2030, 1, 2), assignee=ada, priority="p1"
    )
    assert ticket.url == f"{jira_standin.url}/browse/{ticket.key}"
    assert ticket.updated is not None


def test_old_search_endpoint_is_gone_and_never_used(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    jira_tracker.create_tickets([draft(1)])
    jira_tracker.find_tickets("pm-2024-001")
    jira_tracker.fetch_status(keys=["OPS-1"])
    jira_tracker.fetch_status()

    assert jira_standin.count(path_regex=r"/search$") == 0
    # The stand-in answers the removed endpoint like Cloud does, through the real client.
    legacy = JIRA(
        jira_standin.url,
        basic_auth=(jira_standin.email, jira_standin.api_token),
        get_server_info=False,  # the client then believes it talks to Data Center and uses /search
        max_retries=0,
    )
    with pytest.raises(NotFound, match="410"), jira_errors("legacy search"):
        legacy.search_issues("project = OPS")


def test_fetch_status_maps_done_and_dropped(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    outcomes = jira_tracker.create_tickets([draft(n) for n in range(4)])
    keys = [o.ticket.key for o in outcomes if o.ticket]
    jira_standin.close_issue(keys[1], resolution="Done")
    jira_standin.close_issue(keys[2], resolution="Won't Do")
    jira_standin.close_issue(keys[3], resolution="Duplicate")
    jira_standin.reset_calls()

    by_key = {t.key: t for t in jira_tracker.fetch_status(keys=keys)}

    assert [by_key[k].status for k in keys] == [
        TicketStatus.OPEN,
        TicketStatus.DONE,
        TicketStatus.DROPPED,
        TicketStatus.DROPPED,
    ]
    assert by_key[keys[1]].status_name == "Done"
    assert jira_standin.calls == [("POST", "/rest/api/3/search/jql")]


def test_fetch_status_by_label_pages_in_hundreds(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    jira_tracker.create_tickets([draft(n, postmortem=f"pm-{n % 3}") for n in range(201)])
    jira_standin.reset_calls()

    tickets = jira_tracker.fetch_status()

    assert len(tickets) == 201
    assert jira_standin.count("POST", r"/search/jql$") == 3


def test_fetch_status_skips_deleted_keys(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_tracker.create_tickets([draft(1), draft(2)])

    tickets = jira_tracker.fetch_status(keys=["OPS-1", "OPS-404", "OPS-2"])

    assert sorted(t.key for t in tickets) == ["OPS-1", "OPS-2"]


def test_update_writes_only_named_fields(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    ada = jira_standin.add_user("Ada Lovelace", email="ada@example.com")
    [outcome] = jira_tracker.create_tickets([draft(1, due=date(2030, 1, 1), priority="low")])
    assert outcome.ticket is not None
    key = outcome.ticket.key
    jira_standin.edit_issue(key, summary="Renamed by a human")
    wanted = TicketFields(title="Document title", due=date(2031, 5, 6), assignee=ada, priority="p0")

    jira_tracker.update_ticket(key, wanted, only=("due", "assignee", "priority"))

    fields = jira_standin.issues[key]
    assert fields["summary"] == "Renamed by a human"
    assert fields["duedate"] == "2031-05-06"
    assert fields["assignee"]["accountId"] == ada
    assert fields["priority"]["name"] == "Highest"
    assert jira_standin.calls[-1] == ("PUT", f"/rest/api/2/issue/{key}")


def test_update_with_nothing_to_write_makes_no_call(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    jira_tracker.create_tickets([draft(1)])
    jira_standin.reset_calls()

    jira_tracker.update_ticket("OPS-1", TicketFields(title="x"), only=())

    assert jira_standin.calls == []


def test_update_rejects_fields_we_do_not_own(jira_tracker: JiraTracker) -> None:
    with pytest.raises(ValueError, match="status"):
        jira_tracker.update_ticket("OPS-1", TicketFields(title="x"), only=("status",))


def test_update_of_missing_ticket_is_not_found(jira_tracker: JiraTracker) -> None:
    with pytest.raises(NotFound, match="404"):
        jira_tracker.update_ticket("OPS-999", TicketFields(title="x"), only=("title",))


def test_comment_with_label_lands_in_one_edit(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_tracker.create_tickets([draft(1)])
    jira_standin.reset_calls()

    jira_tracker.comment(
        "OPS-1", "Removed from the postmortem: [~admin] *x*", label="ft-removed-from-postmortem"
    )

    assert jira_standin.calls == [("PUT", "/rest/api/2/issue/OPS-1")]
    [comment] = jira_standin.comments["OPS-1"]
    assert comment["body"] == "Removed from the postmortem: \\[\\~admin\\] \\*x\\*"
    assert "ft-removed-from-postmortem" in jira_standin.issues["OPS-1"]["labels"]


def test_plain_comment(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_tracker.create_tickets([draft(1)])

    jira_tracker.comment("OPS-1", "Still open {code}")

    assert [c["body"] for c in jira_standin.comments["OPS-1"]] == ["Still open \\{code\\}"]


# --- users ----------------------------------------------------------------------------------------


def test_find_users_exact_email_or_display_name(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    ada = jira_standin.add_user("Ada Lovelace", email="ada@example.com")
    jira_standin.add_user("Ada Byron", email="byron@example.com")

    assert [m.id for m in jira_tracker.find_users("ADA@example.com")] == [ada]
    assert [m.id for m in jira_tracker.find_users("  ada   lovelace ")] == [ada]
    # The stand-in, like Jira, answers "Ada" with both users: a prefix is never taken as a match.
    assert jira_tracker.find_users("Ada") == []
    assert jira_tracker.find_users("Ada Love") == []
    assert jira_tracker.find_users("nobody@example.com") == []


def test_find_users_returns_every_exact_match_when_ambiguous(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    first = jira_standin.add_user("Sam Lee", email="sam.lee@example.com")
    second = jira_standin.add_user("Sam Lee", email="slee@example.com")

    assert sorted(m.id for m in jira_tracker.find_users("Sam Lee")) == sorted([first, second])


def test_find_users_accents_apostrophes_and_width(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    zoe = jira_standin.add_user("Zoë O'Brien", email=None, email_visible=False)

    assert [m.id for m in jira_tracker.find_users("zoë o'brien")] == [zoe]
    # NFKC folds the fullwidth letters someone pasted; the accent itself still has to match.
    assert [m.id for m in jira_tracker.find_users("Ｚｏë O'Brien")] == [zoe]
    assert jira_tracker.find_users("Zoe O'Brien") == []


def test_find_users_accepts_an_existing_account_id(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    legacy = jira_standin.add_user("Old Account", account_id="5b10a2844c20165700ede21f")
    modern = jira_standin.add_user("New Account")

    assert [m.id for m in jira_tracker.find_users(legacy)] == [legacy]
    assert [(m.id, m.display_name) for m in jira_tracker.find_users(modern)] == [(modern, "New Account")]
    assert jira_tracker.find_users("557058:00000000-0000-0000-0000-000000000000") == []


def test_find_users_ignores_inactive(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_standin.add_user("Gone Person", email="gone@example.com", active=False)

    assert jira_tracker.find_users("gone@example.com") == []


def test_is_assignable(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    yes = jira_standin.add_user("Can Assign")
    no = jira_standin.add_user("Cannot Assign", assignable=False)
    jira_standin.reset_calls()

    assert jira_tracker.is_assignable(yes) is True
    assert jira_tracker.is_assignable(no) is False
    assert jira_tracker.is_assignable("557058:00000000-0000-0000-0000-000000000000") is False
    assert jira_standin.calls == [("GET", "/rest/api/2/user/assignable/search")] * 3


def test_standin_transitions_and_single_create_through_the_client(
    jira_client: JIRA, jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    issue = jira_client.create_issue(
        fields={"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "By hand"},
        prefetch=False,
    )
    jira_client.transition_issue(issue.key, "31", fields={"resolution": {"name": "Won't Do"}})

    [ticket] = jira_tracker.fetch_status(keys=[issue.key])

    assert ticket.status is TicketStatus.DROPPED
    assert ticket.fingerprint is None


def test_search_lag_and_reconcile_issues(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn, jira_client: JIRA
) -> None:
    jira_standin.index.set_lag(0.6)
    outcomes = jira_tracker.create_tickets([draft(1), draft(2)])
    created = {o.ticket.key for o in outcomes if o.ticket}
    # This client knows the ids from the create answer: its search reconciles them and sees both.
    assert {t.key for t in jira_tracker.find_tickets("pm-2024-001")} == created
    assert sorted(jira_standin.reconciled[-1]) == sorted(int(jira_standin.issue_ids[k]) for k in created)
    # Another client does not: the lagging index hides them until the lag has passed ...
    other = JiraTracker(jira_client, JiraDestination(project="OPS"))
    assert other.find_tickets("pm-2024-001") == []
    # ... while a read by key is consistent at once.
    key = sorted(created)[0]
    assert [t.key for t in other.fetch_status(keys=[key])] == [key]
    time.sleep(0.7)
    assert {t.key for t in other.find_tickets("pm-2024-001")} == created
