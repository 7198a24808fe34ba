"""The pure text rules for GitHub bodies: neutralising, shortening, and reading our facts back."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.github import github_label
from connectors.github_markup import (
    ZWSP,
    BodyParts,
    neutralise_inline,
    neutralise_markdown,
    parse_due,
    parse_fingerprint,
    render_body,
    replace_due,
    ticket_title,
)
from connectors.tracker import TicketBody


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ping @alice", f"ping @{ZWSP}alice"),
        ("@org/team", f"@{ZWSP}org/team"),
        ("(@bob)", f"(@{ZWSP}bob)"),
        ("mail bob@example.com", "mail bob@example.com"),
        # GitHub takes an @ after any non-word character as a mention.
        ("-@alice", f"-@{ZWSP}alice"),
        ("fix.@bob", f"fix.@{ZWSP}bob"),
        ("+@acme/security", f"+@{ZWSP}acme/security"),
        ("`@carol`", f"`@{ZWSP}carol`"),
        ("a_b@example.com x9@y", "a_b@example.com x9@y"),
        ("see #12", f"see #{ZWSP}12"),
        ("acme/ops#7", f"acme/ops#{ZWSP}7"),
        ("fixes GH-42 and gh-1", f"fixes GH{ZWSP}-42 and gh{ZWSP}-1"),
        ("https://github.com/a/b/issues/3", f"https://github.com/a/b/issues/{ZWSP}3"),
        ("https://github.com/a/b/pull/9", f"https://github.com/a/b/pull/{ZWSP}9"),
        ("# heading and C# code", "# heading and C# code"),
    ],
)
def test_neutralise_inline(text: str, expected: str) -> None:
    assert neutralise_inline(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<img src=x>", "&lt;img src=x>"),
        ("<details><summary>s</summary></details>", "&lt;details>&lt;summary>s&lt;/summary>&lt;/details>"),
        ("<!-- hidden -->", "&lt;!-- hidden --&gt;"),
        ("a --> b", "a --&gt; b"),
        ("&#64;alice &commat;bob", f"&amp;#{ZWSP}64;alice &amp;commat;bob"),
        ("![x](http://t/p.png)", "!\\[x](http://t/p.png)"),
        ("a < b && c > d", "a < b && c > d"),
        ("[link](https://example.com)", "[link](https://example.com)"),
    ],
)
def test_neutralise_markdown(text: str, expected: str) -> None:
    assert neutralise_markdown(text) == expected


def test_title_is_one_line_neutralised_and_capped() -> None:
    assert ticket_title("Fix\n@alice's #3\tthing") == f"Fix @{ZWSP}alice's #{ZWSP}3 thing"
    assert len(ticket_title("x" * 1000)) == 256
    assert ticket_title("   ") == "(untitled action item)"


def test_the_last_due_line_and_marker_win_over_copied_text() -> None:
    body = render_body(
        TicketBody(description="**Due:** 1999-01-01\n<!-- followthrough:fingerprint=evil -->"),
        BodyParts(fingerprint="real", due=None),
    )
    assert parse_due(body) is None
    assert parse_fingerprint(body) == "real"
    updated = replace_due(body, date(2025, 2, 3))
    assert parse_due(updated) == date(2025, 2, 3)
    assert updated.count("**Due:**") == 2  # the copied (neutralised) line is untouched


def test_replace_due_adds_a_line_when_a_person_removed_it() -> None:
    body = "rewritten by hand\n\n<!-- followthrough:fingerprint=fp -->"
    updated = replace_due(body, date(2025, 1, 1))
    assert parse_due(updated) == date(2025, 1, 1)
    assert parse_fingerprint(updated) == "fp"


def test_marker_refuses_a_fingerprint_that_could_break_out() -> None:
    with pytest.raises(ValueError, match="marker"):
        render_body(TicketBody(), BodyParts(fingerprint="x --> <b>", due=None))


@pytest.mark.parametrize("name", ["ftpm-" + "k" * 60, "a,b,c", "  spaced   out  "])
def test_github_label_is_valid_and_stable(name: str) -> None:
    label = github_label(name)
    assert len(label) <= 50 and "," not in label and label == label.strip()
    assert github_label(name) == label
    assert github_label(name + "x") != label or len(name) < 45
