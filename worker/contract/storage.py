"""Ticket links written into Confluence storage format as an edit of the item's own element, in place.

The storage XHTML is never parsed and re-serialised (that would rewrite entities, attribute quoting and
macros elsewhere): its tags are scanned to find each `<li>` and `<tr>` with the text it holds, the item's
element is found by its normalised title (a table row before a list entry, as `locate` prefers), and a
link `<a href="URL">KEY</a>` is inserted into that element only: at the end of a list entry's own text
(before a nested list), or in the row's empty Ticket cell, else at the end of its first cell. Every other
byte of the page is kept. An element that already names the ticket is left as it is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from worker.contract.links import _TICKET_HEADERS, Edit
from worker.models import ActionItem
from worker.parse import normalise_action
from worker.parse.refs import TICKET_KEY

_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]{0,60})((?:[^<>\"']|\"[^\"]*\"|'[^']*'){0,2000})>")
_URL_SAFE = re.compile(r"^https?://[^\s<>\"']{1,1000}$")


@dataclass(slots=True)
class _Node:
    name: str
    start: int  # where its open tag starts
    inner: int  # where its content starts
    close: int = -1  # where its close tag starts
    nested: int = -1  # li: where its first nested list starts
    cells: list[tuple[int, int]] | None = None  # tr: (content start, close-tag start) of each cell
    header: bool = False  # tr: its cells are th


def _open(stack: list[_Node], found: list[_Node], name: str, start: int, end: int) -> None:
    top = stack[-1] if stack else None
    if name in ("ul", "ol") and top is not None and top.name == "li" and top.nested < 0:
        top.nested = start
    if name in ("td", "th") and top is not None and top.name == "tr":
        top.cells = (top.cells or []) + [(end, -1)]
        top.header = top.header or name == "th"
    if name in ("li", "tr"):
        node = _Node(name, start, end)
        stack.append(node)
        found.append(node)


def _close(stack: list[_Node], name: str, start: int) -> None:
    top = stack[-1] if stack else None
    if top is None:
        return
    if name in ("td", "th") and top.name == "tr" and top.cells:
        top.cells[-1] = (top.cells[-1][0], start)
    elif name == top.name and name in ("li", "tr"):
        stack.pop().close = start


def _scan(text: str) -> list[_Node]:
    """Every li and tr with its spans (tags inside CDATA or comments are not looked at)."""
    masked = re.sub(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->", lambda m: " " * len(m.group(0)), text, flags=re.S)
    found: list[_Node] = []
    stack: list[_Node] = []
    for match in _TAG.finditer(masked):
        closing, name, rest = match.group(1), match.group(2).lower(), match.group(3)
        if rest.rstrip().endswith("/"):
            continue  # <p />, <br/>, <ac:emoticon ... />
        if closing:
            _close(stack, name, match.start())
        else:
            _open(stack, found, name, match.start(), match.end())
    return [node for node in found if node.close >= 0]


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^<>]{0,2000}>", " ", fragment))


def _own_text(text: str, node: _Node) -> str:
    end = node.nested if node.nested >= 0 else node.close
    if node.cells:
        return " ".join(_plain(text[a:b]) for a, b in node.cells if b >= 0)
    return _plain(text[node.inner:end])


def link_markup(key: str, url: str) -> str:
    """The link as storage writes it (a Jira-style key as its text, else the URL, as links.link_text)."""
    if not _URL_SAFE.match(url):
        return html.escape(key)
    shown = key if TICKET_KEY.fullmatch(key) else url
    return f'<a href="{html.escape(url)}">{html.escape(shown)}</a>'


def _before_paragraph_end(text: str, at: int, start: int) -> int:
    """Insert inside a closing `</p>` that ends the span, so the link joins the paragraph's text."""
    head = text[start:at].rstrip()
    return start + len(head) - 4 if head.endswith("</p>") else at


def _ticket_column(text: str, nodes: Sequence[_Node], row: _Node) -> int | None:
    header = next((n for n in nodes if n.name == "tr" and n.header and n.start < row.start), None)
    if header is None or not header.cells:
        return None
    for index, (a, b) in enumerate(header.cells):
        if " ".join(_plain(text[a:b]).lower().split()) in _TICKET_HEADERS:
            return index
    return None


def _insertion(text: str, nodes: Sequence[_Node], node: _Node, markup: str) -> tuple[int, str] | None:
    if node.name == "li":
        end = node.nested if node.nested >= 0 else node.close
        return _before_paragraph_end(text, end, node.inner), f" ({markup})"
    cells = [c for c in node.cells or [] if c[1] >= 0]
    if not cells:
        return None
    column = _ticket_column(text, nodes, node)
    empty = column is not None and column < len(cells) and not _plain(
        text[cells[column][0]:cells[column][1]]).strip()
    if column is not None and empty:
        a, b = cells[column]
        inner = text[a:b].strip()
        if inner in ("<p />", "<p/>", "<p></p>"):  # an empty cell's paragraph: the link goes in it
            return a + text[a:b].index(inner), f"<p>{markup}</p>"
        return b, markup
    a, b = cells[0]
    return _before_paragraph_end(text, b, a), f" ({markup})"


def storage_links(text: str, items: Sequence[ActionItem], tickets: Mapping[str, tuple[str, str]]
                  ) -> tuple[Edit, list[str]]:
    """`text` with each item's ticket link in its element; (edit, titles of items not found)."""
    nodes = _scan(text)
    normal = {id(node): f" {normalise_action(_own_text(text, node))} " for node in nodes}
    inserts: list[tuple[int, str, str]] = []
    unplaced: list[str] = []
    for item in items:
        ticket = tickets.get(item.fingerprint)
        key = f" {normalise_action(item.title)} "
        if ticket is None or not key.strip():
            continue
        found = sorted((n for n in nodes if key in normal[id(n)] and not (n.name == "tr" and n.header)),
                       key=lambda n: (n.name != "tr", n.start))
        if not found:
            unplaced.append(item.title)
            continue
        node = found[0]
        raw = text[node.start:node.close]
        if ticket[1] in raw or html.escape(ticket[1]) in raw or re.search(
                rf"(?<![\w-]){re.escape(ticket[0])}(?![\w-])", _plain(raw)):
            continue
        placed = _insertion(text, nodes, node, link_markup(*ticket))
        if placed is not None:
            inserts.append((placed[0], placed[1], ticket[0]))
    out = text
    for at, markup, _ in sorted(inserts, key=lambda x: -x[0]):  # from the end: earlier offsets stay valid
        out = out[:at] + markup + out[at:]
    return Edit(out, tuple(key for _, _, key in sorted(inserts))), unplaced
