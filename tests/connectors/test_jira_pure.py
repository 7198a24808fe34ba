"""Pure pieces of the Jira connector: wiki escaping, labels, status mapping, Retry-After parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from connectors.jira_errors import parse_retry_after
from connectors.jira_fields import PriorityMap, fingerprint_from_labels, sanitize_label, status_of
from connectors.jira_markup import escape_wiki, safe_link, summary, truncate_body
from connectors.tracker import TicketStatus

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[~accountid:557058:abc]", "\\[\\~accountid:557058&#58;abc\\]"),
        ("*bold* _it_", "\\*bold\\* \\_it\\_"),
        ("{noformat}", "\\{noformat\\}"),
        ("h2. Title", "h2&#46; Title"),
        ("  bq. quote", "  bq&#46; quote"),
        ("# one", "&#35; one"),
        ("a \\\\ b", "a &#92;&#92; b"),
        ("&amp;", "&#38;amp;"),
        ("http://x.io", "http&#58;//x.io"),
        ("(y) :)", "\\(y) &#58;)"),
        # Only what wiki markup needs: these render (and are stored) as written.
        ("Follow-up reminder for Alice Example: due (2026-11-05) at 09:30, PR #12 - done!",
         "Follow-up reminder for Alice Example: due (2026-11-05) at 09:30, PR #12 - done!"),
        ("-struck- a--b ---- x-", "\\-struck\\- a\\-\\-b \\-\\-\\-\\- x\\-"),
        ("- item\n  * item\nmailto:x !img.png!", "\\- item\n  \\* item\nmailto&#58;x \\!img.png!"),
        ("plain words, 100%", "plain words, 100\\%"),
        ("zero\u200bwidth\x07bell\r\nline", "zerowidthbell\nline"),
    ],
)
def test_escape_wiki(text: str, escaped: str) -> None:
    assert escape_wiki(text) == escaped


def test_safe_link_only_for_plain_http_urls() -> None:
    assert safe_link("https://d.example.com/pm/1", "PM [1]") == "[PM \\[1\\]|https://d.example.com/pm/1]"
    assert safe_link("javascript:alert(1)", "PM") == "PM (javascript&#58;alert(1))"
    assert safe_link("https://x.io/a|b]", "PM") == "PM (https&#58;//x.io/a\\|b\\])"


def test_truncate_body_never_splits_an_escape() -> None:
    body = "\\*" * 30_000
    cut = truncate_body(body)
    assert len(cut) <= 32_000
    assert cut.split("\n\n")[0].endswith("\\*")


def test_summary_one_line_and_bounded() -> None:
    assert summary("  a\n b\tc ") == "a b c"
    assert len(summary("x" * 300)) == 255
    assert summary(" \n ") == "(untitled action item)"


@pytest.mark.parametrize(
    ("label", "clean"),
    [("team sre", "team-sre"), (" a\tb\nc ", "a-b-c"), ("x" * 300, "x" * 255), ("ok-label", "ok-label")],
)
def test_sanitize_label(label: str, clean: str) -> None:
    assert sanitize_label(label) == clean


def test_fingerprint_label_ignores_the_removed_marker() -> None:
    assert fingerprint_from_labels(["ft-removed-from-postmortem", "ft-abc123", "ftpm-x"]) == "abc123"
    assert fingerprint_from_labels(["followthrough", "ftpm-x"]) is None


@pytest.mark.parametrize(
    ("category", "resolution", "status"),
    [
        ("new", None, TicketStatus.OPEN),
        ("indeterminate", None, TicketStatus.OPEN),
        ("done", "Done", TicketStatus.DONE),
        ("done", "Fixed", TicketStatus.DONE),
        ("done", "Won't Do", TicketStatus.DROPPED),
        ("done", "Won’t Fix", TicketStatus.DROPPED),
        ("done", "Declined", TicketStatus.DROPPED),
        ("done", "Duplicate", TicketStatus.DROPPED),
        ("done", "Cannot Reproduce", TicketStatus.DROPPED),
        ("done", None, TicketStatus.DONE),
    ],
)
def test_status_mapping(category: str, resolution: str | None, status: TicketStatus) -> None:
    raw_resolution = {"name": resolution} if resolution else None
    assert status_of({"statusCategory": {"key": category}}, raw_resolution) is status


def test_priority_map_both_ways() -> None:
    priorities = PriorityMap({"p0": "Highest", "p1": "High", "high": "High"})
    assert priorities.jira_name("P1") == "High"
    assert priorities.jira_name("HIGH") == "High"
    assert priorities.jira_name("Highest") == "Highest"  # already a Jira name
    assert priorities.jira_name("urgent") is None
    assert priorities.written("High") == "p1"  # the first written form wins
    assert priorities.written("Blocker") == "Blocker"


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"Retry-After": format_datetime(datetime(2030, 1, 1, 12, 1, 30, tzinfo=UTC), usegmt=True)}, 90.0),
        ({"Retry-After": "Tue, 01 Jan 2030 11:00:00 GMT"}, 0.0),  # in the past: go now
        ({"X-RateLimit-Reset": "2030-01-01T12:05Z"}, 300.0),
        ({"X-RateLimit-Reset": str(int(NOW) + 42)}, 42.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == seconds
