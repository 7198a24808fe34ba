"""Candidates, then a decision: markers anywhere, person-led lines, framing lines, team words, --explain."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.teams import ParseRules
from tests.parse.test_cli import run
from worker.parse import explain_document, parse_document

MEETING = """# Weekly ops sync

## Notes

We talked about the outage of the checkout service.

**AI** (Ana): rotate the signing keys
AI: Bob to add an alert on queue depth
Action: Carol to write the failover runbook
TODO: archive the old dashboards
"""


def test_markers_count_wherever_they_sit_and_name_the_owner() -> None:
    items = parse_document(MEETING).action_items
    got = [(i.title, i.owner) for i in items]
    assert got == [
        ("Rotate the signing keys", "Ana"),
        ("Add an alert on queue depth", "Bob"),
        ("Write the failover runbook", "Carol"),
        ("Archive the old dashboards", None),
    ]


PLAN = """# Checkout outage

## Action items

We agreed the following actions at the review on 5 March:

| Action | Owner |
|---|---|
| Rotate the signing keys | Ana |

Alice: rotate the webhook secrets
Bob to add an alert on error rate
Dee will review the retry policy
Also: Carol to schedule a game day by April 30 2025
<@U024BE7LH> to page the vendor
Move to the new gateway (dropped)

Owners report progress weekly.
"""


def test_person_led_lines_carry_the_owner_and_framing_lines_are_not_items() -> None:
    items = parse_document(PLAN).action_items
    got = [(i.title, i.owner, i.due) for i in items]
    assert got == [
        ("Rotate the signing keys", "Ana", None),
        ("Rotate the webhook secrets", "Alice", None),
        ("Add an alert on error rate", "Bob", None),
        ("Review the retry policy", "Dee", None),
        ("Schedule a game day", "Carol", date(2025, 4, 30)),
        ("Page the vendor", "U024BE7LH", None),
    ]


def test_struck_through_lines_are_dropped_unless_marked_done() -> None:
    doc = "# X\n\n## Action items\n\n- ~~Move to the new gateway~~\n- ~~Purge the cache~~ (done)\n"
    doc += "- Add a canary\n"
    items = parse_document(doc).action_items
    assert [(i.title, i.done) for i in items] == [("Purge the cache", True), ("Add a canary", False)]


def test_a_legend_is_not_an_item() -> None:
    doc = "# X\n\n## Follow-ups\n\n- ☐ open · ☑ done\n- [ ] Add a canary\n- [x] Purge the cache\n"
    assert [i.title for i in parse_document(doc).action_items] == ["Add a canary", "Purge the cache"]


TEAM_LAYOUT = """# Störung Zahlungen

## Hausaufgaben

| Was | Wer | Bis |
|---|---|---|
| Zertifikate erneuern | Jonas | 2025-03-01 |

NEXT rotate the API keys
"""


def test_a_team_fixes_a_layout_the_defaults_miss_in_configuration() -> None:
    assert parse_document(TEAM_LAYOUT).action_items == ()
    rules = ParseRules(
        action_sections=("Hausaufgaben",),
        columns={"action": ("Was",), "owner": ("Wer",), "due": ("Bis",)},
        markers=("NEXT",),
    )
    items = parse_document(TEAM_LAYOUT, rules=rules).action_items
    got = [(i.title, i.owner, i.due) for i in items]
    assert got == [("Zertifikate erneuern", "Jonas", date(2025, 3, 1)), ("Rotate the API keys", None, None)]


@pytest.mark.parametrize(
    "bad",
    [
        {"action_sections": [""]},
        {"columns": {"assignee": ["Wer"]}},
        {"columns": {"owner": []}},
        {"markers": ["x" * 61]},
    ],
)
def test_team_parse_rules_are_validated(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ParseRules.model_validate(bad)


def test_explain_lists_every_candidate_with_its_reasons() -> None:
    _, decisions = explain_document(PLAN)
    by_text = {d.text: d for d in decisions}
    intro = by_text["We agreed the following actions at the review on 5 March:"]
    assert not intro.taken and ("introduces, closes or explains the list", -2) in intro.features
    dropped = by_text["Move to the new gateway (dropped)"]
    assert not dropped.taken
    _, decisions = explain_document("# X\n\n## Action items\n\n- Move to the new gateway (dropped)\n")
    assert decisions[0].veto == "marked won't do, dropped, duplicate or struck through"
    row = by_text["Rotate the signing keys"]
    assert row.taken and row.source == "table row" and row.score >= 2
    assert "SKIPPED line in «Action items»" in intro.explain()


def test_the_cli_explains_a_missed_item(tmp_path: Path) -> None:
    doc = tmp_path / "missed.md"
    doc.write_text("# Outage\n\n## Notes\n\n- Rotate the signing keys\n", encoding="utf-8")
    result = run("parse", str(doc), "--explain")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "SKIPPED list item in «Notes»: «Rotate the signing keys»" in out
    assert "not under an action heading" in out
    result = run("parse", str(doc), "--explain", "--format", "json")
    data = json.loads(result.stdout)
    assert data["action_items"] == []
    assert data["explain"][0]["taken"] is False and data["explain"][0]["source"] == "list item"


def test_a_title_word_with_a_second_meaning_does_not_make_the_page_an_action_section() -> None:
    doc = (
        "# Suivi des colis : panne du 3 mars 2025\n\n## Résumé\n\n- Le service de suivi était lent\n"
        "- Les clients ont appelé le support\n\n## Actions correctives\n\n- Ajouter une alerte de latence\n"
    )
    assert [i.title for i in parse_document(doc).action_items] == ["Ajouter une alerte de latence"]
