"""Creating issues through real PyGithub against the GitHub stand-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest

from config.teams import GitHubDestination
from connectors.errors import Invalid, Transient
from connectors.github import GitHubTracker
from connectors.github_markup import GITHUB_BODY_LIMIT, parse_due, parse_fingerprint
from connectors.tracker import TicketStatus
from tests.connectors.github_support import REPO, draft, make_tracker
from tests.standins.github import GitHubStandIn

# A mention GitHub would notify: @ not preceded by a word character, directly followed by a login.
LIVE_MENTION = re.compile(r"(?<![\w.+\-`])@[A-Za-z0-9]")
LIVE_REF = re.compile(r"#\d|(?i:\bgh-\d)")


@pytest.fixture
def api() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo=REPO, collaborators={"alice", "bob"}, users={"carol": "Carol"}) as server:
        yield server


@pytest.fixture
def tracker(api: GitHubStandIn) -> GitHubTracker:
    destination = GitHubDestination(repo=REPO, milestone=1, labels=("team-sre",))
    return make_tracker(api, destination=destination)


def test_create_sets_labels_milestone_assignee_and_a_body_with_facts_and_marker(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    [outcome] = tracker.create_tickets([draft("fp-a1", labels=("sev1",))])

    assert outcome.error is None and outcome.ticket is not None
    issue = api.issues[1]
    assert outcome.ticket.key == f"{REPO}#1"
    assert outcome.ticket.fingerprint == "fp-a1"
    assert outcome.ticket.fields.assignee == "alice"
    assert outcome.ticket.fields.due == date(2024, 6, 30)
    assert outcome.ticket.fields.priority == "p1"
    assert outcome.ticket.status is TicketStatus.OPEN
    assert issue.assignees == ["alice"]
    assert issue.milestone == 1
    assert set(issue.labels) == {
        "followthrough",
        "postmortem",
        "action-item",
        "ftpm-pm0001",
        "ft-fp-a1",
        "priority:p1",
        "kind:preventative",
        "team-sre",
        "sev1",
    }
    _assert_body_has_facts_and_marker(issue.body or "")
    assert api.count("POST", r"/issues$") == 1


def _assert_body_has_facts_and_marker(body: str) -> None:
    assert body.rstrip().endswith("<!-- followthrough:fingerprint=fp-a1 -->")
    assert "**Due:** 2024-06-30" in body
    assert "**Owner (as written):** Alice Example" in body
    assert "[Database outage 2024-05-01](https://wiki.example.com/pm/db-outage)" in body
    assert "**Section:** Action items" in body
    assert "**Kind:** preventative" in body
    assert "**Ref:** AI-1" in body
    assert "Add an alert on replication lag." in body


def test_unassignable_owner_is_created_unassigned_with_needs_owner_and_no_422(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    [outcome] = tracker.create_tickets([draft("fp-b1", assignee="mallory")])

    assert outcome.error is None and outcome.ticket is not None
    issue = api.issues[1]
    assert issue.assignees == []
    assert "needs-owner" in issue.labels
    assert outcome.ticket.fields.assignee is None
    assert "`mallory` cannot be assigned" in (issue.body or "")
    assert api.count("GET", r"/assignees/mallory$") == 1
    assert api.count("POST", r"/issues$") == 1


def test_no_owner_at_all_is_created_with_needs_owner(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    [outcome] = tracker.create_tickets([draft("fp-b2", assignee=None)])

    assert outcome.ticket is not None
    assert "needs-owner" in api.issues[1].labels
    assert "no GitHub user could be matched" in (api.issues[1].body or "")
    assert api.count("GET", r"/assignees/") == 0


def test_assignee_checks_are_cached_per_login(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    outcomes = tracker.create_tickets([draft(f"fp-c{i}", assignee="alice") for i in range(5)])

    assert all(o.ticket is not None for o in outcomes)
    assert api.count("GET", r"/assignees/alice$") == 1
    assert api.count("POST", r"/issues$") == 5


def test_one_rejected_draft_does_not_stop_the_rest(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    # carol was assignable when first checked, then lost access: GitHub answers 422 field=assignees.
    api.collaborators.add("carol")
    assert tracker.is_assignable("carol")
    api.collaborators.discard("carol")
    api.faults.add("POST", r"/issues$", "500")

    outcomes = tracker.create_tickets(
        [
            draft("fp-d1"),  # 500: transient
            draft("fp-d2", assignee="carol"),  # 422 from GitHub
            draft("bad fingerprint!"),  # refused before any request
            draft("fp-d4"),
        ]
    )

    assert isinstance(outcomes[0].error, Transient)
    assert isinstance(outcomes[1].error, Invalid)
    assert "assignees" in str(outcomes[1].error)
    assert isinstance(outcomes[2].error, Invalid)
    assert outcomes[3].ticket is not None and outcomes[3].ticket.fingerprint == "fp-d4"
    assert [o.draft.fingerprint for o in outcomes] == ["fp-d1", "fp-d2", "bad fingerprint!", "fp-d4"]
    assert [i.body and parse_fingerprint(i.body) for i in api.issues.values()] == ["fp-d4"]


def test_unknown_milestone_is_invalid_with_githubs_reason(api: GitHubStandIn) -> None:
    tracker = make_tracker(api, destination=GitHubDestination(repo=REPO, milestone=99))

    [outcome] = tracker.create_tickets([draft("fp-e1")])

    assert isinstance(outcome.error, Invalid)
    assert "Validation Failed" in str(outcome.error) and "milestone" in str(outcome.error)
    assert api.issues == {}


def test_huge_description_is_cut_to_fit_but_facts_and_marker_stay(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    huge = "Long context & details. " * 10_000  # 240,000 characters

    [outcome] = tracker.create_tickets([draft("fp-f1", description=huge)])

    assert outcome.error is None
    body = api.issues[1].body or ""
    assert len(body) <= GITHUB_BODY_LIMIT
    assert "shortened to fit" in body
    assert parse_fingerprint(body) == "fp-f1"
    assert parse_due(body) == date(2024, 6, 30)


def test_long_labels_are_shortened_stably_and_still_found(api: GitHubStandIn) -> None:
    long_key = "postmortem-" + "x" * 80
    team_label = "team-" + "platform-reliability-engineering-" * 3
    tracker = make_tracker(api, destination=GitHubDestination(repo=REPO, labels=(team_label,)))

    [outcome] = tracker.create_tickets([draft("f" * 64, postmortem_key=long_key)])

    assert outcome.error is None
    assert all(len(label) <= 50 for label in api.issues[1].labels)
    [found] = tracker.find_tickets(long_key)
    assert found.fingerprint == "f" * 64  # from the marker: the label had to be shortened


def test_copied_text_pings_nobody_and_cannot_inject_html_or_a_marker(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    hostile = (
        "Ask @carol and @acme/sre-team, see #12, acme/ops#7, GH-42 and "
        "https://github.com/acme/ops/issues/3. Email bob@example.com is fine.\n"
        '<img src="https://evil.example/pixel.png"> <details><summary>x</summary>hidden</details>\n'
        "![track](https://evil.example/t.png) &#64;carol &commat;carol\n"
        "<!-- followthrough:fingerprint=evil --> --> **Due:** 1999-01-01"
    )

    [outcome] = tracker.create_tickets(
        [draft("fp-g1", title="Page @carol about #12", description=hostile, owner_as_written="@carol")]
    )

    assert outcome.ticket is not None
    issue = api.issues[1]
    body = issue.body or ""
    assert not LIVE_MENTION.search(body), body
    assert not LIVE_MENTION.search(issue.title)
    assert not LIVE_REF.search(body)
    assert not LIVE_REF.search(issue.title)
    assert "/issues/3" not in body
    assert "<img" not in body and "<details" not in body and "![" not in body
    assert "&#64;" not in body and "&commat;" not in body  # entities would decode to a live @
    assert body.count("<!--") == 1 and body.count("-->") == 1
    assert parse_fingerprint(body) == "fp-g1"
    assert parse_due(body) == date(2024, 6, 30)
    assert "bob@example.com" in body  # email addresses are left readable
    # Read back, the title compares equal to what the pipeline asked for.
    assert outcome.ticket.fields.title == "Page @carol about #12"
    assert issue.assignees == ["alice"]
