"""One document model: containers are transparent, and a container's title or a disguised heading counts."""

from __future__ import annotations

import pytest

from worker.parse import parse_document
from worker.parse.blocks import Heading, ListItem
from worker.parse.markdown import parse_markdown

CASES = {
    "a Jira panel with a title": (
        "h1. Queue outage\n{panel:title=Action items|borderStyle=solid}\n||Item||Owner||\n|Rotate keys|Ana|\n"
        "{panel}\n",
        "a.wiki",
    ),
    "a Jira expand": ("h1. Queue outage\n{expand:title=Follow-ups}\n* Rotate keys\n{expand}\n", "a.wiki"),
    "a Confluence expand macro": (
        '<h1>Queue outage</h1><ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">Follow-ups'
        "</ac:parameter><ac:rich-text-body><ul><li>Rotate keys</li></ul></ac:rich-text-body>"
        "</ac:structured-macro>",
        "a.xhtml",
    ),
    "a Confluence panel macro": (
        '<h1>Queue outage</h1><ac:structured-macro ac:name="panel"><ac:parameter ac:name="title">Next steps'
        "</ac:parameter><ac:rich-text-body><table><tbody><tr><th>Item</th><th>Owner</th></tr>"
        "<tr><td>Rotate keys</td><td>Ana</td></tr></tbody></table></ac:rich-text-body></ac:structured-macro>",
        "a.xhtml",
    ),
    "a Confluence layout": (
        "<h1>Queue outage</h1><ac:layout><ac:layout-section><ac:layout-cell><h2>Action items</h2>"
        "<ul><li>Rotate keys</li></ul></ac:layout-cell></ac:layout-section></ac:layout>",
        "a.xhtml",
    ),
    "an HTML details element": (
        "<html><body><h1>Queue outage</h1><details><summary>Action items</summary><ul><li>Rotate keys</li>"
        "</ul></details></body></html>",
        "a.html",
    ),
    "a bold paragraph in a mail": (
        "<html><body><p>Hi all,</p><p><b>Next steps</b></p><ul><li>Rotate keys</li></ul>"
        "<p><b>Timeline</b></p><ul><li>Restarted the queue</li></ul></body></html>",
        "a.html",
    ),
    "a bold div in a mail": (
        "<html><body><div><strong>Action items:</strong></div><ul><li>Rotate keys</li></ul></body></html>",
        "a.html",
    ),
    "a Confluence export panel": (
        '<html><body><h1>Queue outage</h1><div class="panel"><div class="panelHeader"><b>Follow-ups</b></div>'
        '<div class="panelContent"><ul><li>Rotate keys</li></ul></div></div></body></html>',
        "a.html",
    ),
    "a Markdown blockquote": ("# Queue outage\n\n> ## Action items\n> - Rotate keys\n", "a.md"),
    "a setext heading": (
        "Queue outage\n============\n\nAction items\n------------\n\n- Rotate keys\n",
        "a.md",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_items_inside_containers_are_found(name: str) -> None:
    text, filename = CASES[name]
    items = parse_document(text, filename=filename).action_items
    assert [i.title for i in items] == ["Rotate keys"], name
    if "Ana" in text:
        assert items[0].owner == "Ana"


def test_markdown_checkboxes_are_the_list_items_check_state() -> None:
    blocks = parse_markdown("# A\n\n- [x] done\n- [ ] open\n  - [X] nested\n- plain\n")
    states = [(b.content.text, b.checked, b.depth) for b in blocks if isinstance(b, ListItem)]
    assert states == [("done", True, 0), ("open", False, 0), ("nested", True, 1), ("plain", None, 0)]
    assert isinstance(blocks[0], Heading)
