"""Due dates: shape and language decide day-first, relative dates need the incident date, TBD is null."""

from __future__ import annotations

from datetime import date

import pytest

from worker.parse import parse_document
from worker.parse.dates import parse_date


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("2024-03-05", "en", date(2024, 3, 5)),
        ("2024/03/05", "de", date(2024, 3, 5)),
        ("03/05/2024", "en", date(2024, 3, 5)),  # month-first in English
        ("03/05/2024", "es", date(2024, 5, 3)),  # day-first in Spanish
        ("25/03/2024", "en", date(2024, 3, 25)),  # the shape decides: 25 cannot be a month
        ("03/25/2024", "fr", date(2024, 3, 25)),
        ("03.05.2024", "en", date(2024, 5, 3)),  # dots are day-first
        ("5 de marzo de 2024", "es", date(2024, 3, 5)),
        ("2. Mai 2024", "de", date(2024, 5, 2)),
        ("March 3, 2024", "en", date(2024, 3, 3)),
        ("Q3 2024", "en", None),  # issue 16: a quarter is a period, not a day
        ("KW 36", "de", None),
        ("next sprint", "en", None),
        ("TBD", "en", None),
        ("n/a", "en", None),
        ("…", "en", None),
        ("soon", "en", None),
    ],
)
def test_parse_date(text: str, lang: str, expected: date | None) -> None:
    assert parse_date(text, lang=lang) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2 weeks", date(2024, 1, 15)),
        ("within 10 days", date(2024, 1, 11)),
        ("en 3 semanas", date(2024, 1, 22)),
        ("in zwei Wochen", date(2024, 1, 15)),
        ("dans 1 mois", date(2024, 1, 31)),
    ],
)
def test_relative_dates_resolve_against_the_incident(text: str, expected: date) -> None:
    assert parse_date(text, base=date(2024, 1, 1)) == expected


def test_relative_date_without_incident_date_is_null() -> None:
    assert parse_date("in 2 weeks") is None
    assert parse_date("next week") is None


def test_relative_due_in_a_document() -> None:
    doc = (
        "# Disk full\n\nIncident date: 2024-02-01\n\n"
        "## Follow-ups\n\n- Grow the volume (owner: Kai, due in 2 weeks)\n"
    )
    item = parse_document(doc).action_items[0]
    assert (item.title, item.owner, item.due) == ("Grow the volume", "Kai", date(2024, 2, 15))
