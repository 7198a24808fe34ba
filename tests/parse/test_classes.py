"""The failing classes of issue 16, each as a small document: fields, dates, refs, e-mail, text tables."""

from __future__ import annotations

from datetime import date

import pytest

from worker.parse import parse_document

H = "# Checkout outage 2025-03-03\n\n## Action items\n\n"


def _items(text: str, filename: str = "a.md") -> list[tuple[object, ...]]:
    pm = parse_document(text, filename=filename)
    return [(i.title, i.owner, i.due, i.priority, i.ref, i.done) for i in pm.action_items]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            H + "- Add retries before the 3-D Secure challenge\n",
            ("Add retries before the 3-D Secure challenge",),
        ),
        (H + "- Migrate the queue (@ana, due Q3 2025)\n", ("Migrate the queue", "@ana", None)),
        (H + "- Add a canary (due KW 36)\n", ("Add a canary", None, None)),
        (H + "- Fix the retry loop #5141\n", ("Fix the retry loop", None, None, None, "#5141")),
        (H + "- Pin the image group/project#77\n", ("Pin the image", None, None, None, "group/project#77")),
        (
            H + "- Add an alert <https://jira.example.com/browse/OPS-12|OPS-12>\n",
            ("Add an alert", None, None, None, "OPS-12"),
        ),
        (H + '- Fix the retry loop ~"priority::1"\n', ("Fix the retry loop", None, None, "P1")),
        (H + "- Write the runbook (needs a volunteer)\n", ("Write the runbook", None)),
        (
            H + "- Rotate keys — owner ana@example.com, due 2025-04-01\n",
            ("Rotate keys", "ana@example.com", date(2025, 4, 1)),
        ),
        (H + "- Add an alert — Bob — 3/7\n", ("Add an alert", "Bob", date(2025, 3, 7))),
        (H + "- Rotate the keys {#rotate-keys}\n", ("Rotate the keys",)),
        (H + "- ☑ Add an alert\n", ("Add an alert", None, None, None, None, True)),
    ],
)
def test_field_classes(text: str, expected: tuple[object, ...]) -> None:
    got = _items(text)
    assert len(got) == 1, got
    assert got[0][: len(expected)] == expected


def test_won_t_do_and_crossed_items_are_not_items() -> None:
    text = H + "- Rotate keys\n  Status: Won't do\n- ✗ Drop the cache\n- Add an alert\n"
    assert [t[0] for t in _items(text)] == ["Add an alert"]


def test_numeric_dates_follow_the_document_language() -> None:
    en = "# Outage on 2025-03-03\n\n## Action items\n\n- Rotate the keys (due 3/7/2025)\n"
    es = "# Incidente del 2025-03-03\n\n## Acciones\n\n"
    es += "- Rotar las claves de la base (responsable: Ana, fecha: 3/7/2025)\n"
    assert _items(en)[0][2] == date(2025, 3, 7)
    assert _items(es)[0][2] == date(2025, 7, 3)


@pytest.mark.parametrize(
    ("label", "lang_heading"),
    [
        ("Responsable del informe: Ana Pérez", "## Acciones"),
        ("Responsável pelo relatório: Ana Pérez", "## Ações"),
        ("Verantwortlich für die Nachbetrachtung: Ana Pérez", "## Maßnahmen"),
        ("Responsable du post-mortem : Ana Pérez", "## Actions"),
    ],
)
def test_localised_postmortem_owner_labels(label: str, lang_heading: str) -> None:
    pm = parse_document(f"# Incidente\n\n{label}\n\n{lang_heading}\n\n- Rotar claves\n")
    assert pm.owner == "Ana Pérez"


def test_a_slack_id_as_the_postmortem_owner() -> None:
    pm = parse_document("# Outage\n\nPostmortem owner: <@U02ABCDEF>\n\n## Action items\n\n- Rotate keys\n")
    assert pm.owner == "U02ABCDEF"


def test_a_hard_wrapped_date_is_read() -> None:
    text = "Outage report\n\nAction items:\n1. Rotate the keys, owner: Ana, due by\n28 February 2025\n"
    text += "2. Add an alert\n"
    got = _items(text, "a.txt")
    assert got[0][:3] == ("Rotate the keys", "Ana", date(2025, 2, 28))
    assert got[1][0] == "Add an alert"


GRID = """Outage report

Action items

+--------------+-------+------------+
| Action       | Owner | Due        |
+==============+=======+============+
| Rotate the   | Ana   | 2025-03-20 |
| signing keys |       |            |
+--------------+-------+------------+
| Add an alert | Bob   |            |
+--------------+-------+------------+
"""

ORG = """Outage report

Action items

| Action      | Owner | Status |
|-------------+-------+--------|
| Rotate keys | Ana   | DONE   |
| Add alert   | Bob   | TODO   |
"""


def test_ascii_grid_and_org_tables() -> None:
    assert _items(GRID, "a.txt") == [
        ("Rotate the signing keys", "Ana", date(2025, 3, 20), None, None, False),
        ("Add an alert", "Bob", None, None, None, False),
    ]
    assert [(t[0], t[1], t[5]) for t in _items(ORG, "a.txt")] == [
        ("Rotate keys", "Ana", True),
        ("Add alert", "Bob", False),
    ]


EML = """Return-Path: <ops@example.com>
Received: from mail.example.com by mx.example.com; Mon, 3 Mar 2025 10:00:00 +0000
MIME-Version: 1.0
From: Ops Team <ops@example.com>
Subject: Re: Postmortem: checkout outage
Content-Type: multipart/alternative; boundary="XX"

--XX
Content-Type: text/plain; charset="utf-8"

Next steps
- Rotate the keys

--XX
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

<html><body><p>Hi all,</p><p><b>Next steps</b></p><ul><li>Rotate the signing keys =E2=80=94 owner Ana, due 20=
25-03-20</li><li>Add an alert on p=3D99 latency (owner: Bob)</li></ul><p><b>Timeline</b></p><ul><li>10:02 we=
 were paged</li></ul></body></html>
--XX--
"""


def test_a_saved_multipart_quoted_printable_message() -> None:
    pm = parse_document(EML.encode(), filename="outage.eml")
    assert pm.title == "Postmortem: checkout outage"
    assert [(i.title, i.owner, i.due) for i in pm.action_items] == [
        ("Rotate the signing keys", "Ana", date(2025, 3, 20)),
        ("Add an alert on p=99 latency", "Bob", None),
    ]
