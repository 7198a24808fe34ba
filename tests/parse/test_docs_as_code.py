"""reStructuredText (docutils), AsciiDoc and Org mode: detected by extension or content, read to one model."""

from __future__ import annotations

from datetime import date

import pytest

from worker.parse import parse_document
from worker.parse.detect import Format, detect_format
from worker.parse.errors import ParseError
from worker.parse.rst import MAX_RST_CHARS

RST = """Checkout outage
===============

:Owner: Ana Pérez
:Date: 2025-03-03

Action items
------------

.. list-table::
   :header-rows: 1

   * - Action
     - Owner
     - Due
   * - Rotate the keys
     - Ana
     - 2025-03-20

* Add an alert (owner: Bob)

.. note:: Owners report progress weekly.

.. include:: /etc/passwd
"""

ADOC = """= Checkout outage
:author: Ana Pérez
:revdate: 2025-03-03

== Action items

[cols="3,1,1"]
|===
|Action |Owner |Due

|Rotate the keys
|Ana
|2025-03-20

|Add an alert
|Bob
|
|===

.Follow-ups
* [ ] Write the runbook (owner: Carol)
* [x] Purge the cache

NOTE: Owners report weekly.
"""

ORG = """#+TITLE: Checkout outage
#+AUTHOR: Ana Pérez
#+DATE: 2025-03-03

* Summary
The checkout failed for 40 minutes.
* Follow-ups
** TODO Rotate the keys                                  :security:
   DEADLINE: <2025-03-20 Thu>
   :PROPERTIES:
   :OWNER: Ana
   :END:
** DONE Purge the cache
** CANCELLED Move to the new gateway
** TODO [#A] Add an alert
"""


@pytest.mark.parametrize(
    ("text", "name", "fmt"),
    [(RST, "a.rst", Format.RST), (ADOC, "a.adoc", Format.ASCIIDOC), (ORG, "a.org", Format.ORG)],
)
def test_detected_by_extension_and_by_content(text: str, name: str, fmt: Format) -> None:
    assert detect_format(text, filename=name) is fmt
    assert detect_format(text) is fmt


@pytest.mark.parametrize("filename", ["a.rst", None])
def test_restructuredtext(filename: str | None) -> None:
    pm = parse_document(RST, filename=filename)
    assert (pm.title, pm.owner, pm.incident_date) == ("Checkout outage", "Ana Pérez", date(2025, 3, 3))
    got = [(i.title, i.owner, i.due) for i in pm.action_items]
    assert got == [("Rotate the keys", "Ana", date(2025, 3, 20)), ("Add an alert", "Bob", None)]


def test_restructuredtext_over_its_limit_is_refused() -> None:
    with pytest.raises(ParseError, match="reStructuredText"):
        parse_document("Title\n=====\n\n" + "word " * (MAX_RST_CHARS // 4), filename="big.rst")


def test_asciidoc() -> None:
    pm = parse_document(ADOC, filename="a.adoc")
    assert (pm.title, pm.owner, pm.incident_date) == ("Checkout outage", "Ana Pérez", date(2025, 3, 3))
    got = [(i.title, i.owner, i.due, i.done) for i in pm.action_items]
    assert got == [
        ("Rotate the keys", "Ana", date(2025, 3, 20), False),
        ("Add an alert", "Bob", None, False),
        ("Write the runbook", "Carol", None, False),
        ("Purge the cache", None, None, True),
    ]


def test_org_mode() -> None:
    pm = parse_document(ORG, filename="a.org")
    assert (pm.title, pm.owner, pm.incident_date) == ("Checkout outage", "Ana Pérez", date(2025, 3, 3))
    got = [(i.title, i.owner, i.due, i.priority, i.done) for i in pm.action_items]
    assert got == [
        ("Rotate the keys", "Ana", date(2025, 3, 20), None, False),
        ("Purge the cache", None, None, None, True),
        ("Add an alert", None, None, "A", False),
    ]
