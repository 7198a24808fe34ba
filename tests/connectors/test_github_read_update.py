"""Finding, refreshing, updating and commenting on issues through real PyGithub against the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from config.teams import GitHubDestination
from connectors.errors import AuthError, Invalid, NotFound, RateLimited
from connectors.github import GitHubTracker
from connectors.github_markup import parse_due
from connectors.tracker import REMOVED_LABEL, TicketFields, TicketStatus
from tests.connectors.github_support import REPO, draft, make_tracker
from tests.standins.github import GitHubStandIn


@pytest.fixture
def api() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo=REPO, collaborators={"alice", "bob"}, users={"carol": "Carol Danvers"}) as server:
        yield server


@pytest.fixture
def tracker(api: GitHubStandIn) -> GitHubTracker:
    return make_tracker(api)


def test_find_tickets_pages_by_100_and_skips_pull_requests(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    for i in range(150):
        api.add_issue(
            f"Item {i}",
            body=f"context\n\n<!-- followthrough:fingerprint=fp{i:03d} -->",
            labels=["followthrough", "ftpm-pm0001", f"ft-fp{i:03d}"],
            state="closed" if i % 10 == 0 else "open",
        )
    api.add_issue("A PR that mentions the label", labels=["ftpm-pm0001"], pull_request=True)
    api.add_issue("Other postmortem", labels=["ftpm-other"])

    tickets = tracker.find_tickets("pm0001")

    assert sorted(t.fingerprint or "" for t in tickets) == [f"fp{i:03d}" for i in range(150)]
    assert api.count() == 2  # 151 matches at 100 per page, and no per-issue reads
    assert all(
        "per_page=100" in c.query and "state=all" in c.query for c in api.log if c.path.endswith("/issues")
    )
    assert sum(t.status is TicketStatus.DONE for t in tickets) == 15


def test_find_tickets_falls_back_to_the_fingerprint_label_when_the_marker_was_edited_away(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    api.add_issue(
        "Hand-edited", body="someone rewrote the body", labels=["ftpm-pm0001", "ft-abc123", REMOVED_LABEL]
    )

    [ticket] = tracker.find_tickets("pm0001")

    assert ticket.fingerprint == "abc123"
    assert ticket.fields.due is None


def test_find_tickets_reads_back_owned_fields_including_human_edits(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    [outcome] = tracker.create_tickets([draft("fp1", title="Rotate @alice keys #4")])
    assert outcome.ticket is not None
    api.issues[1].assignees = ["bob"]  # a person reassigned it on GitHub

    [ticket] = tracker.find_tickets("pm0001")

    assert ticket.fields == TicketFields(
        title="Rotate @alice keys #4", due=date(2024, 6, 30), assignee="bob", priority="p1"
    )
    assert ticket.url.endswith("/acme/ops/issues/1")


def test_fetch_status_maps_completed_and_not_planned(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    outcomes = tracker.create_tickets([draft("s1"), draft("s2"), draft("s3"), draft("s4")])
    assert all(o.ticket for o in outcomes)
    api.close_issue(1, reason="completed")
    api.close_issue(2, reason="not_planned")
    api.close_issue(3, reason="duplicate")

    by_label = {t.key: t for t in tracker.fetch_status(label="followthrough")}
    by_key = tracker.fetch_status(keys=[f"{REPO}#2", f"{REPO}#4", f"{REPO}#99"])

    assert by_label[f"{REPO}#1"].status is TicketStatus.DONE
    assert by_label[f"{REPO}#2"].status is TicketStatus.DROPPED
    assert by_label[f"{REPO}#2"].status_name == "closed (not_planned)"
    assert by_label[f"{REPO}#3"].status is TicketStatus.DROPPED
    assert by_label[f"{REPO}#4"].status is TicketStatus.OPEN
    assert [(t.key, t.status) for t in by_key] == [
        (f"{REPO}#2", TicketStatus.DROPPED),
        (f"{REPO}#4", TicketStatus.OPEN),
    ]


def test_fetch_status_by_label_costs_pages_not_items(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    for i in range(120):
        api.add_issue(f"t{i}", labels=["followthrough"])
    api.reset_calls()

    tickets = tracker.fetch_status(keys=[f"{REPO}#{n}" for n in range(1, 121)])

    assert len(tickets) == 120
    assert api.count() == 2


def test_fetch_status_rejects_a_key_from_another_repository(tracker: GitHubTracker) -> None:
    with pytest.raises(Invalid, match="acme/ops#N"):
        tracker.fetch_status(keys=["other/repo#1"])


def test_update_title_only_is_one_patch_without_a_read(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    tracker.create_tickets([draft("u1")])
    api.reset_calls()

    tracker.update_ticket(f"{REPO}#1", TicketFields(title="New title @bob"), only={"title"})

    assert api.calls == [("PATCH", "/repos/acme/ops/issues/1")]
    assert api.issues[1].title == "New title @\u200bbob"


def test_update_due_priority_and_assignee_keeps_other_labels_and_body(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    tracker.create_tickets([draft("u2", assignee="mallory")])
    api.issues[1].labels.append("customer-impact")  # added by a person
    api.reset_calls()

    tracker.update_ticket(
        f"{REPO}#1",
        TicketFields(title="ignored", due=date(2025, 1, 15), assignee="bob", priority="p0"),
        only={"due", "priority", "assignee"},
    )

    issue = api.issues[1]
    assert [m for m, _ in api.calls] == ["GET", "GET", "PATCH"]  # assignee check, issue read, one write
    assert parse_due(issue.body) == date(2025, 1, 15)
    assert "<!-- followthrough:fingerprint=u2 -->" in (issue.body or "")
    assert "priority:p0" in issue.labels and "priority:p1" not in issue.labels
    assert "customer-impact" in issue.labels and "needs-owner" not in issue.labels
    assert issue.assignees == ["bob"]
    assert issue.title == "Action u2"
    [ticket] = tracker.find_tickets("pm0001")
    assert ticket.fields == TicketFields(
        title="Action u2", due=date(2025, 1, 15), assignee="bob", priority="p0"
    )


def test_update_to_an_unassignable_login_is_refused_before_any_write(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    tracker.create_tickets([draft("u3")])
    api.reset_calls()

    with pytest.raises(Invalid, match="mallory"):
        tracker.update_ticket(
            f"{REPO}#1", TicketFields(title="x", assignee="mallory"), only={"assignee", "title"}
        )

    assert api.count("PATCH") == 0
    assert api.issues[1].assignees == ["alice"]


def test_update_of_a_missing_issue_is_not_found(tracker: GitHubTracker) -> None:
    with pytest.raises(NotFound):
        tracker.update_ticket(f"{REPO}#404", TicketFields(title="x"), only={"title"})


def test_comment_is_neutralised_and_adds_the_label(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    tracker.create_tickets([draft("c1")])

    tracker.comment(
        f"{REPO}#1", "Removed from the postmortem by @carol, see #3 <b>now</b>", label=REMOVED_LABEL
    )

    issue = api.issues[1]
    assert issue.comments == ["Removed from the postmortem by @\u200bcarol, see #\u200b3 &lt;b>now&lt;/b>"]
    assert REMOVED_LABEL in issue.labels


def test_find_users_only_exact_handles(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    assert tracker.find_users("@Carol") == [tracker.find_users("carol")[0]]
    assert tracker.find_users("carol")[0].display_name == "Carol Danvers"
    assert tracker.find_users("@nobody-here") == []
    assert tracker.find_users("Carol Danvers") == []  # a name, not a handle: never guessed
    assert tracker.find_users("carol@example.com") == []
    assert api.count("GET", r"^/users/") == 4  # names and emails never reach GitHub


def test_is_assignable_asks_the_assignees_endpoint(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    assert tracker.is_assignable("alice")
    assert tracker.is_assignable("@Bob")
    assert not tracker.is_assignable("carol")  # a GitHub user, but not a collaborator
    assert not tracker.is_assignable("not a login")


def test_is_assignable_raises_instead_of_saying_no_when_github_fails(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    api.faults.add("GET", r"/assignees/", "ratelimit-exhausted", times=None, retry_after=3600)

    with pytest.raises(RateLimited) as caught:
        tracker.is_assignable("alice")

    assert caught.value.retry_after > 3000


def test_wrong_token_is_an_auth_error(api: GitHubStandIn) -> None:
    api.token = "another-token"
    tracker = make_tracker(api)

    with pytest.raises(AuthError, match="GITHUB_TOKEN"):
        tracker.find_tickets("pm0001")


def test_unknown_repository_is_not_found(api: GitHubStandIn) -> None:
    tracker = make_tracker(api, destination=GitHubDestination(repo="acme/missing"))

    with pytest.raises(NotFound):
        tracker.find_tickets("pm0001")
