"""The fast path for large pipe tables reads them as markdown-it would."""

from __future__ import annotations

from datetime import date
from typing import cast

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.parse import parse_document
from worker.parse.blocks import Table
from worker.parse.markdown import _render_marked, parse_markdown, simple_link_cell
from worker.parse.pipe_tables import split_row


def _table(rows: int) -> str:
    lines = ["| Action | Owner | Due | Ticket |", "|:---|---|---:|---|"]
    lines += [
        f"| Fix **part {i}** with `retry` \\| backoff | Ana {i} | 2024-05-{1 + i % 28:02d} | OPS-{i + 1} |"
        for i in range(rows)
    ]
    return "\n".join(lines)


def test_split_row_honours_escaped_pipes_and_outer_pipes() -> None:
    assert split_row("| a \\| b | c |") == ["a | b", "c"]
    assert split_row("|x|y") == ["x", "y"]


def test_fast_path_reads_tables_as_markdown_it_does() -> None:
    # After a blank line the fast path reads the table; glued to a paragraph, markdown-it does.
    doc = "# T\n\n## Action items\n\n" + _table(30) + "\n\nAfter the table.\n"
    small = "# T\n\n## Action items\n\nThe table:\n" + _table(5) + "\n"
    fast = parse_document(doc).action_items
    slow = parse_document(small).action_items
    assert len(fast) == 30 and len(slow) == 5
    assert not any("|" in i.title and "backoff" not in i.title for i in fast)
    for a, b in zip(fast[:5], slow, strict=True):
        assert (a.title, a.owner, a.due, a.ref) == (b.title, b.owner, b.due, b.ref)
    assert fast[3].title == "Fix part 3 with retry | backoff" and fast[3].due == date(2024, 5, 4)
    blocks = parse_markdown(doc)
    assert [type(b).__name__ for b in blocks] == ["Heading", "Heading", "Table", "Paragraph"]


def test_tables_in_fenced_code_are_left_alone() -> None:
    doc = "## Action items\n\n```\n\n" + _table(30) + "\n```\n\n- Real item\n"
    assert [i.title for i in parse_document(doc).action_items] == ["Real item"]


def test_glued_tables_split_where_the_delimiter_row_is() -> None:
    doc = (
        "## Action items\n\n| Action | Owner |\n|---|---|\n| Fix a | Ana |\n"
        "| Task | Who |\n|---|---|\n| Fix b | Bo |\n"
    )
    blocks = parse_markdown(doc)
    tables = cast("list[Table]", [b for b in blocks if type(b).__name__ == "Table"])
    assert [[c.text for c in t.header] for t in tables] == [["Action", "Owner"], ["Task", "Who"]]


_LABEL_CHARS = "aZ9 -.,:;'\"()/#@$%^+=?{}|é✅\t"
_URL_CHARS = "aZ9-._~:/?#@!$'*+,;=%é\x01 ()&[]\\<>"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_LABEL_CHARS, min_size=1, max_size=12), st.text(alphabet=_URL_CHARS, max_size=20))
def test_a_simple_link_cell_reads_as_markdown_it_reads_it(label: str, url: str) -> None:
    # The fast path for one-link cells must give markdown-it's own rendering, or leave the cell to it.
    for scheme in ("", "https://jira.example.com/browse/", "javascript:", "mailto:"):
        cell = f"[{label}]({scheme}{url})"
        fast = simple_link_cell(cell)
        if fast is not None:
            assert fast == _render_marked.__wrapped__(cell), cell  # type: ignore[attr-defined]


def test_the_simple_link_path_takes_tracker_links() -> None:
    cell = "[PAY-5](https://jira.example.com/browse/PAY-5)"
    fast = simple_link_cell(cell)
    assert fast is not None
    assert fast.text == "PAY-5"
    assert fast.refs == ["https://jira.example.com/browse/PAY-5"]
