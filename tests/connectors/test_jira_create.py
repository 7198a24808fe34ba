"""Creating tickets through the real `jira` client against the Jira stand-in."""

from __future__ import annotations

import re
from datetime import date

from connectors.errors import Invalid
from connectors.jira import JiraTracker
from tests.connectors.jira_helpers import draft
from tests.standins.jira import JiraStandIn


def test_bulk_create_uses_one_call_per_fifty_items(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    outcomes = jira_tracker.create_tickets([draft(n) for n in range(51)])

    assert [o.error for o in outcomes] == [None] * 51
    assert jira_standin.count("POST", r"/issue/bulk$") == 2
    assert jira_standin.count("POST", r"/issue$") == 0
    assert len(jira_standin.issues) == 51
    # Outcomes come back in input order, each with its own fingerprint and key.
    assert [o.ticket.fingerprint for o in outcomes if o.ticket] == [f"fp{n:04d}" for n in range(51)]
    assert outcomes[50].ticket is not None and outcomes[50].ticket.key == "OPS-51"


def test_invalid_item_fails_alone_with_jiras_reason(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    ada = jira_standin.add_user("Ada Lovelace", email="ada@example.com")
    drafts = [
        draft(1, assignee=ada),
        draft(2, assignee="557058:00000000-0000-0000-0000-000000000000"),  # no such user
        draft(3),
    ]

    outcomes = jira_tracker.create_tickets(drafts)

    assert outcomes[0].ticket is not None and outcomes[2].ticket is not None
    assert outcomes[1].ticket is None
    assert isinstance(outcomes[1].error, Invalid)
    assert "assignee" in str(outcomes[1].error)
    assert "does not exist" in str(outcomes[1].error)
    assert len(jira_standin.issues) == 2
    assert jira_standin.count("POST", r"/issue/bulk$") == 1


def test_every_item_invalid_still_reports_each(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    ghost = "557058:11111111-1111-1111-1111-111111111111"
    outcomes = jira_tracker.create_tickets([draft(1, assignee=ghost), draft(2, assignee=ghost)])

    assert all(isinstance(o.error, Invalid) and "assignee" in str(o.error) for o in outcomes)
    assert jira_standin.issues == {}


def test_fields_sent_assignee_due_priority_labels(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    ada = jira_standin.add_user("Ada Lovelace", email="ada@example.com")
    item = draft(
        7,
        postmortem="2024 checkout outage",
        assignee=ada,
        due=date(2030, 3, 4),
        priority="P1",
        labels=("kind preventive", "needs owner", "x" * 300),
    )

    [outcome] = jira_tracker.create_tickets([item])

    assert outcome.ticket is not None
    fields = jira_standin.issues[outcome.ticket.key]
    assert fields["assignee"]["accountId"] == ada
    assert fields["duedate"] == "2030-03-04"
    assert fields["priority"]["name"] == "High"
    assert fields["labels"][:3] == ["followthrough", "ftpm-2024-checkout-outage", "ft-fp0007"]
    assert "team-sre" in fields["labels"]
    assert "kind-preventive" in fields["labels"] and "needs-owner" in fields["labels"]
    assert all(" " not in label and len(label) <= 255 for label in fields["labels"])
    assert fields["summary"] == "Action item 7"


def test_unknown_priority_is_left_out_and_mentioned(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    [outcome] = jira_tracker.create_tickets([draft(1, priority="urgent-ish")])

    assert outcome.ticket is not None
    fields = jira_standin.issues[outcome.ticket.key]
    assert fields["priority"]["name"] == "Medium"  # Jira's default, not something we guessed
    assert "urgent-ish" in fields["description"]
    assert "no matching Jira priority" in fields["description"]


def test_multiline_title_becomes_one_line_summary(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    [outcome] = jira_tracker.create_tickets([draft(1, title="Fix the\nretry   loop\r\n" + "y" * 400)])

    assert outcome.ticket is not None
    summary = jira_standin.issues[outcome.ticket.key]["summary"]
    assert "\n" not in summary and len(summary) <= 255
    assert summary.startswith("Fix the retry loop y")


def test_remote_link_is_idempotent(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    url = "https://docs.example.com/postmortems/42"
    [outcome] = jira_tracker.create_tickets([draft(1, url=url)])
    assert outcome.ticket is not None
    key = outcome.ticket.key

    jira_tracker.link_postmortem(key, postmortem_key="pm-2024-001", url=url, title="Checkout outage")
    jira_tracker.link_postmortem(key, postmortem_key="pm-2024-001", url=url + "?v=2", title="Renamed")

    links = jira_standin.remote_links[key]
    assert len(links) == 1
    assert links[0]["object"] == {"url": url + "?v=2", "title": "Renamed"}
    assert jira_standin.count("POST", r"/remotelink$") == 3


def test_no_link_call_without_a_postmortem_url(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_tracker.create_tickets([draft(1), draft(2)])

    assert jira_standin.count("POST", r"/remotelink$") == 0
    assert jira_standin.calls == [("POST", "/rest/api/2/issue/bulk")]


def test_document_text_is_neutralised(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    hostile = (
        "Ping [~accountid:557058:abc] and [~admin] please.\n"
        "h1. Big heading\n"
        "* bullet *bold* _it_ {{mono}} -struck- +under+ ^sup^ ~sub~ ??cite??\n"
        "{noformat}escape{noformat} {code}x{code} {color:red}red{color}\n"
        "[click|https://evil.example] !https://evil.example/x.png! https://evil.example\n"
        "# numbered | table || cell \\\\ break &lt; (y) :)"
    )
    [outcome] = jira_tracker.create_tickets(
        [draft(1, description=hostile, url="https://docs.example.com/pm")]
    )

    assert outcome.ticket is not None
    description = jira_standin.issues[outcome.ticket.key]["description"]
    document_part = description.split("\n\n----\n")[0]
    # With the escapes taken out, no markup character is left in the copied text (`:`, `!`, `(`, `)`
    # and `#` are escaped only where they could form markup, see test_escape_wiki)...
    bare = re.sub(r"\\.|&#\d+;", "", document_part)
    assert re.findall(r"[\[\]{}*_|^~+?\-@\\&]", bare) == []
    assert re.findall(r"\(y\)|:\)|://|^#|![^\s]", bare, flags=re.MULTILINE) == []
    assert "h1." not in document_part  # a heading marker at line start is broken
    # ...and every word of it is still there to read.
    assert "Big heading" in bare and "evil.example" in bare and "accountid" in bare
    # Our own link to the postmortem is the only live link.
    assert "[Checkout outage|https://docs.example.com/pm]" in description


def test_title_markup_is_kept_as_text_in_summary(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    # Jira shows summaries as plain text; they are not rendered, so they are sent as written.
    [outcome] = jira_tracker.create_tickets([draft(1, title="Add *alerting* for [~admin] queue")])

    assert outcome.ticket is not None
    assert jira_standin.issues[outcome.ticket.key]["summary"] == "Add *alerting* for [~admin] queue"
