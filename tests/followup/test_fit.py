"""Every team gets its report: digests at 10, 100 and 1,000 open items, delivered within every limit."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from config.settings import Settings
from connectors import notify
from tests.followup.fixtures import NOW, policy, tracked
from tests.followup.receivers import HttpReceiver, Mailbox
from worker.followup.deliver import notification
from worker.followup.jobs import full_report_url
from worker.followup.render.markdown import render_markdown
from worker.followup.render.slack import MAX_BLOCKS, MAX_SECTION
from worker.followup.report import TeamReport, build_report, trim
from worker.store.records import TrackedItem

SLACK_URL = "slack://T1JJ3T3L2/B1BRTD4JD/TIiajkdnlazkcOXrIdevi7/?verify=no&footer=no"
TODAY = date(2026, 3, 30)  # NOW in Berlin
SIZES = (10, 100, 1000)


def team_items(count: int) -> list[TrackedItem]:
    """`count` open items over count/10 owners: 40% overdue, 20% due soon, 40% due in 60+ days; long,
    non-ASCII titles so that size, not count, is what the limits meet."""
    items = []
    for n in range(count):
        due = (TODAY - timedelta(days=1 + n % 30) if n % 5 < 2
               else TODAY + timedelta(days=n % 7) if n % 5 == 2 else TODAY + timedelta(days=60 + n % 30))
        items.append(tracked(n, due=due, assignee_name=f"Owner {n % max(1, count // 10)}",
                             postmortem_key=f"pm{n % 7}", postmortem_title=f"Incident {n % 7} – Datenbank",
                             title=f"Komponente {n}: Überwachung für Replikationsverzögerung einrichten "
                                   f"und Schwellwerte dokumentieren ({'ä' * 40})"))
    return items


def worst(count: int) -> str:
    """How the most overdue action reads; the digest always lists it."""
    days = max((TODAY - item.due).days for item in team_items(count) if item.due and item.due < TODAY)
    return f"{days} days overdue"


def report_of(count: int, **changes: Any) -> TeamReport:
    return build_report("ops", team_items(count), policy(**changes), NOW)


def _slack_sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section" and "text" in block]


@pytest.mark.parametrize("count", SIZES)
def test_slack_gets_a_report_within_limits(count: int, slack_receiver: HttpReceiver) -> None:
    result = notify.deliver(SLACK_URL, notification(report_of(count)))
    assert result.ok, result.error
    [request] = slack_receiver.recorder.requests
    blocks = request.json()["attachments"][0]["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(text) <= MAX_SECTION for text in _slack_sections(blocks))
    body = json.dumps(blocks, ensure_ascii=False)
    assert f"*Open*\\n{count}" in body and "Full report" in body
    assert worst(count) in body  # the most overdue action is always listed


@pytest.mark.parametrize("count", SIZES)
def test_teams_gets_a_report_within_limits(count: int, teams_receiver: HttpReceiver) -> None:
    url = f"workflows://127.0.0.1:{teams_receiver.port}/wf123/sig456?verify=no"
    result = notify.deliver(url, notification(report_of(count)))
    assert result.ok, result.error
    [request] = teams_receiver.recorder.requests
    assert len(request.body) <= 28_000  # Teams answers 413 above about 28 KB
    card = request.json()["attachments"][0]["content"]
    facts = {fact["title"]: fact["value"] for fact in card["body"][2]["facts"]}
    assert facts["Open"] == str(count)
    runs = " ".join(run["text"] for block in card["body"] if block["type"] == "RichTextBlock"
                    for run in block["inlines"])
    assert worst(count) in runs and "Full report" in runs


@pytest.mark.parametrize("count", SIZES)
def test_email_gets_the_digest(count: int, mailbox: Mailbox) -> None:
    url = f"mailto://127.0.0.1:{mailbox.port}?from=followthrough@example.com&to=ops@example.com"
    result = notify.deliver(url, notification(report_of(count)))
    assert result.ok, result.error
    [message] = mailbox.messages
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    content = html.get_content()
    assert worst(count) in content and "Full report" in content
    # At most 5 lines per owner (the default), each a table row after the header row.
    assert content.count("<tr><td") <= 5 * max(1, count // 10) + 10


@pytest.mark.parametrize("count", SIZES)
def test_generic_webhook_gets_the_digest(count: int, webhook: HttpReceiver) -> None:
    result = notify.deliver(f"json://127.0.0.1:{webhook.port}/hook", notification(report_of(count)))
    assert result.ok, result.error
    message = webhook.recorder.requests[0].json()["message"]
    assert f"| Open | {count} |" in message and worst(count) in message


def test_digest_lists_overdue_then_due_soon_at_most_n_per_owner_and_counts_the_rest() -> None:
    items = [tracked(n, due=TODAY + timedelta(days=d), assignee_name="Dana", title=f"component {n}")
             for n, d in [(1, 3), (2, -2), (10, -2), (3, 90), (4, 1), (5, -9), (6, 120), (7, 2)]]
    digest = trim(build_report("ops", items, policy(), NOW), per_owner=4)
    [dana] = digest.owners
    # Overdue (most overdue first, then natural order: 2 before 10), then due soon; later items counted.
    assert [line.item.title for line in dana.lines] == ["component 5", "component 2", "component 10",
                                                        "component 4"]
    assert (dana.hidden, dana.later, digest.later) == (2, 2, 2)
    text = render_markdown(digest)
    assert "_and 2 more overdue or due soon, 2 due later_" in text
    assert "component 3" not in text and "2 open actions due later (counted, not listed)" in text
    assert "Dana" not in text.split("## Dana", 1)[1]  # the owner is not repeated on every line


def test_digest_links_the_full_report_when_a_public_url_is_set() -> None:
    report = build_report("ops", team_items(10), policy(), NOW, full_report_url="https://ft.example/reports/ops")
    message = notification(report)
    assert "[Full report](<https://ft.example/reports/ops>)" in message.markdown
    assert 'href="https://ft.example/reports/ops"' in message.email_html
    assert "<https://ft.example/reports/ops|Full report>" in json.dumps(message.slack)


def test_full_report_url_is_the_dashboards_team_page() -> None:
    settings = Settings(public_url="https://ft.example/", _env_file=None)  # type: ignore[call-arg]
    assert full_report_url(settings, "sre ops") == "https://ft.example/teams/sre%20ops"
    assert full_report_url(Settings(_env_file=None), "sre") is None  # type: ignore[call-arg]


def test_a_report_too_big_for_any_listing_still_fits_with_its_summary() -> None:
    items = [tracked(n, due=TODAY - timedelta(days=1), assignee_name=f"Owner {n}", title="x" * 290)
             for n in range(3000)]
    message = notification(build_report("ops", items, policy(), NOW))
    body = json.dumps(message.teams)
    assert len(body.encode()) <= 28_000 and "more owners with" in body
    assert len(message.slack["blocks"]) <= MAX_BLOCKS
