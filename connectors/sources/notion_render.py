"""Notion blocks (the `GET /v1/blocks/{id}/children` shapes, children already attached) as Markdown.

The parser reads Markdown, so a Notion page is rendered to it: headings, paragraphs, lists and to-dos
(nested by indentation), quotes, callouts, toggles, code and tables (a pipe table, the first row its
header). The text is untrusted: it is written as text, and the parser treats it as such. Unknown block
types are skipped, never guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

#: A block as the API returns it, with its children (if any) fetched under the key "children".
Block = dict[str, Any]


def rich_text(items: Sequence[Any]) -> str:
    """Plain text of a rich-text array, links as Markdown links."""
    parts: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        text = str(item.get("plain_text") or "")
        href = item.get("href")
        parts.append(f"[{text}]({href})" if href and text else text)
    return "".join(parts)


def _text(block: Block) -> str:
    body = block.get(str(block.get("type")), {})
    return rich_text(body.get("rich_text") or []) if isinstance(body, dict) else ""


def _cell(items: Any) -> str:
    return rich_text(items if isinstance(items, list) else []).replace("|", "\\|").replace("\n", " ")


def _table(block: Block) -> list[str]:
    rows = [row for row in block.get("children", []) if row.get("type") == "table_row"]
    lines: list[str] = []
    for index, row in enumerate(rows):
        cells = row.get("table_row", {}).get("cells") or []
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        if index == 0:
            lines.append("|" + "---|" * max(1, len(cells)))
    return ["", *lines, ""]


def _to_do(block: Block) -> str:
    checked = bool(block.get("to_do", {}).get("checked"))
    return f"- [{'x' if checked else ' '}] {_text(block)}"


def _code(block: Block) -> list[str]:
    return ["", "```", _text(block), "```", ""]


_LINES: dict[str, Callable[[Block], str]] = {
    "heading_1": lambda b: f"\n# {_text(b)}\n",
    "heading_2": lambda b: f"\n## {_text(b)}\n",
    "heading_3": lambda b: f"\n### {_text(b)}\n",
    "paragraph": lambda b: f"{_text(b)}\n",
    "bulleted_list_item": lambda b: f"- {_text(b)}",
    "numbered_list_item": lambda b: f"1. {_text(b)}",
    "to_do": _to_do,
    "quote": lambda b: f"> {_text(b)}\n",
    "callout": lambda b: f"> {_text(b)}\n",
    "toggle": lambda b: f"- {_text(b)}",
    "divider": lambda b: "\n---\n",
}
#: Blocks whose children are list items nested one level deeper.
_NESTING = frozenset({"bulleted_list_item", "numbered_list_item", "to_do", "toggle"})


def render(blocks: Sequence[Block], *, depth: int = 0) -> list[str]:
    """Markdown lines of `blocks` (and their attached children), list children indented."""
    return [line for line, _ in render_mapped(blocks, depth=depth)]


def render_mapped(blocks: Sequence[Block], *, depth: int = 0) -> list[tuple[str, Block | None]]:
    """`render`'s pieces, each with the block it was rendered from (None for table borders and the
    like): write-back maps an edited line back to the one block it must update."""
    lines: list[tuple[str, Block | None]] = []
    indent = "  " * depth
    for block in blocks:
        kind = str(block.get("type"))
        if kind == "table":
            rows = [row for row in block.get("children", []) if row.get("type") == "table_row"]
            rendered = _table(block)
            owners: list[Block | None] = [None, rows[0], None, *rows[1:], None] if rows else [None, None]
            lines += list(zip(rendered, owners, strict=True))
            continue
        if kind == "code":
            lines += [(line, None) for line in _code(block)]
            continue
        line = _LINES.get(kind)
        if line is not None:
            lines.append((indent + line(block), block))
        children = block.get("children") or []
        if children:
            lines += render_mapped(children, depth=depth + 1 if kind in _NESTING else depth)
    return lines


def page_markdown(title: str | None, blocks: Sequence[Block]) -> str:
    """The page as one Markdown document, its title the first heading."""
    head = [f"# {title}", ""] if title else []
    return "\n".join(head + render(blocks)).strip() + "\n"
