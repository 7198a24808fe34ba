"""Notion for the postmortem contract: a page's one preview comment, and ticket links written into the
item's own block (notion-client, retries off).

The page is read as the source reads it (blocks rendered to Markdown), remembering which block each line
came from. A write turns each edited line back into an update of that one block: the link is appended to
the block's rich text as a link piece, every existing piece (bold, colour, mentions) sent back as it was;
a ticked box is the to-do's `checked`; a strike is the pieces' `strikethrough`. Nothing else is sent, so
the rest of the page is untouched. Notion has no version precondition: right before writing, the page's
`last_edited_time` is read again and the blocks to be written are listed again (one call per parent); if
either moved, the write is a `Conflict` and the caller re-reads and re-applies. The remaining window is
the few milliseconds between that check and the PATCH (and `last_edited_time` has minute precision, so
the block re-read is what catches an edit of the item's own block in the same minute).
The preview comment is edited in place (`PATCH /v1/comments/{id}`, which Notion allows for comments the
integration wrote); it is found as the comment our bot wrote that starts with the preview's first line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from notion_client import Client

from config.settings import Settings
from connectors.errors import Conflict, Invalid
from connectors.revision import Revision
from connectors.sources.notion import NotionReader, _mapped, build_client, page_title
from connectors.sources.notion_render import Block, render_mapped, rich_text

_LINK = re.compile(r"\[([^\[\]]{1,500})\]\((https?://[^()\s]{1,1000})\)")
_PIECE = 2_000  # characters in one rich-text piece
_LISTS = {"bulleted_list_item": "- ", "numbered_list_item": "1. ", "toggle": "- "}
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def pieces(text: str, *, links: bool = True) -> list[dict[str, Any]]:
    """Plain text as rich-text pieces (with `links`, Markdown links become link pieces); inert: no
    mention is ever made."""
    out: list[dict[str, Any]] = []
    at = 0
    for match in [*(_LINK.finditer(text) if links else ()), None]:
        end = match.start() if match else len(text)
        for n in range(at, end, _PIECE):
            out.append({"type": "text", "text": {"content": text[n:min(end, n + _PIECE)], "link": None}})
        if match:
            out.append({"type": "text", "text": {"content": match[1], "link": {"url": match[2]}}})
            at = match.end()
    return out


def _request_form(item: dict[str, Any]) -> dict[str, Any]:
    """A rich-text piece as read, in the form an update sends (read-only fields dropped)."""
    return {k: v for k, v in item.items() if k not in ("plain_text", "href")}


def _appended(rich: Sequence[Any], old: str, new: str) -> list[dict[str, Any]]:
    """The rich text whose rendering went from `old` to `new` by text added at its end (and perhaps a
    strike around it); anything else is not a change write-back makes."""
    strike = new.startswith("~~") and new.rstrip().endswith("~~") and not old.startswith("~~")
    if strike:
        new = new.rstrip()[2:-2]
    base = old.rstrip()
    if not new.startswith(base):
        raise Invalid("an edit other than an added link")
    added = new[len(base):]
    trailing = old[len(base):]
    if trailing and added.endswith(trailing):
        added = added[:-len(trailing)]
    items = [_request_form(dict(x)) for x in rich if isinstance(x, dict)] + pieces(added)
    if strike:
        for item in items:
            item["annotations"] = {**(item.get("annotations") or {}), "strikethrough": True}
    return items


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in _CELL_BORDER.split(line)[1:-1]]


def _list_update(block: Block, old: str, new: str) -> dict[str, Any]:
    kind = str(block["type"])
    body = block.get(kind) or {}
    indent = old[:len(old) - len(old.lstrip(" "))]
    if kind == "to_do":
        was = "- [x] " if body.get("checked") else "- [ ] "
        ticked = new.startswith(indent + "- [x] ")
        prefix_new = indent + ("- [x] " if ticked else "- [ ] ")
        update: dict[str, Any] = {"checked": bool(body.get("checked")) or ticked}
    else:
        was = prefix_new = _LISTS[kind]
        prefix_new = indent + prefix_new
        update = {}
    if not (old.startswith(indent + was) and new.startswith(prefix_new)):
        raise Invalid("an edit of the list marker")
    update["rich_text"] = _appended(body.get("rich_text") or [], old[len(indent + was):],
                                    new[len(prefix_new):])
    return {kind: update}


def _row_update(block: Block, old: str, new: str) -> dict[str, Any]:
    cells = list((block.get("table_row") or {}).get("cells") or [])
    before, after = _cells(old), _cells(new)
    if len(before) != len(cells) or len(after) != len(cells):
        raise Invalid("a column added (a Notion table's width is fixed after creation)")
    out = [[_request_form(dict(x)) for x in cell] if b == a else _appended(cell, b, a)
           for cell, b, a in zip(cells, before, after, strict=True)]
    return {"table_row": {"cells": out}}


def block_update(block: Block, old: str, new: str) -> dict[str, Any]:
    """The PATCH body that makes `block`, rendered as `old`, render as `new`."""
    kind = str(block.get("type"))
    if kind == "table_row":
        return _row_update(block, old, new)
    if kind == "to_do" or kind in _LISTS:
        return _list_update(block, old, new)
    raise Invalid(f"a {kind} block is not where an item's link is written")


def _update_block(block_id: str, body: dict[str, Any], client: Client) -> Any:
    return client.blocks.update(block_id, **body)


def _list_children(block_id: str, query: dict[str, Any], client: Client) -> Any:
    return client.blocks.children.list(block_id, **query)


def _list_comments(query: dict[str, Any], client: Client) -> Any:
    return client.comments.list(**query)


def _update_comment(comment_id: str, text: str, client: Client) -> Any:
    return client.comments.update(comment_id, rich_text=pieces(text, links=False))


@dataclass(frozen=True, slots=True)
class _Rendered:
    text: str
    owners: list[tuple[Block, str] | None]  # per line of `text`: the block and its parent's id


def render_page(title: str | None, blocks: list[Block], page: str) -> _Rendered:
    """The page as the source renders it (connectors.sources.page_markdown), with each line's block."""
    parents: dict[int, str] = {}

    def walk(children: list[Block], parent: str) -> None:
        for child in children:
            parents[id(child)] = parent
            walk(child.get("children") or [], str(child.get("id")))

    walk(blocks, page)
    head: list[tuple[str, Block | None]] = [(f"# {title}", None), ("", None)] if title else []
    owners: list[tuple[Block, str] | None] = []
    for piece, block in head + render_mapped(blocks):
        owner = (block, parents[id(block)]) if block is not None else None
        owners += [owner] * (piece.count("\n") + 1)
    joined = "\n".join(piece for piece, _ in head + render_mapped(blocks))
    lead = joined[:len(joined) - len(joined.lstrip())].count("\n")
    text = joined.strip() + "\n"
    return _Rendered(text, owners[lead:])


class NotionPageWriter:
    """One Notion page: read as Markdown with its blocks, written block by block, guarded by a re-read."""

    def __init__(self, settings: Settings, page: str, *, client: Client | None = None) -> None:
        self._client = client or build_client(settings)
        self._reader = NotionReader(settings, client=self._client)
        self._page = page
        self._read: _Rendered | None = None
        #: Requests made (the reader's and ours), for the calls-per-postmortem figure.
        self.writes = 0

    @property
    def calls(self) -> int:
        return self._reader.calls + self.writes

    def _call(self, what: str, func: Callable[[Client], Any]) -> Any:
        self.writes += 1
        with _mapped(what):
            return func(self._client)

    def read(self) -> Revision:
        page = self._reader._call(f"notion:{self._page}", lambda c: c.pages.retrieve(self._page))
        blocks = self._reader.blocks(self._page, f"notion:{self._page}")
        self._read = render_page(page_title(page), blocks, self._page)
        return Revision(self._read.text, str(page.get("last_edited_time") or ""))

    def _updates(self, text: str, base: Revision) -> list[tuple[Block, str, dict[str, Any]]]:
        if self._read is None or self._read.text != base.text:
            raise Conflict("the page was not read before this write")
        old, new = base.text.split("\n"), text.split("\n")
        if len(old) != len(new):
            raise Invalid("lines added or removed (a Notion table's width is fixed after creation)")
        changed: dict[int, tuple[Block, str, list[int]]] = {}
        for n, (before, after) in enumerate(zip(old, new, strict=True)):
            if before == after:
                continue
            owner = self._read.owners[n] if n < len(self._read.owners) else None
            if owner is None:
                raise Invalid("an edit outside any block")
            changed.setdefault(id(owner[0]), (owner[0], owner[1], []))[2].append(n)
        out = []
        for block, parent, lines in changed.values():
            first, last = min(lines), max(lines)
            while first > 0 and self._read.owners[first - 1] is not None \
                    and self._read.owners[first - 1][0] is block:  # type: ignore[index]
                first -= 1
            while last + 1 < len(old) and self._read.owners[last + 1] is not None \
                    and self._read.owners[last + 1][0] is block:  # type: ignore[index]
                last += 1
            body = block_update(block, "\n".join(old[first:last + 1]), "\n".join(new[first:last + 1]))
            out.append((block, parent, body))
        return out

    def _unchanged(self, base: Revision, updates: list[tuple[Block, str, dict[str, Any]]]) -> None:
        """Raise Conflict when the page or one of the blocks to be written moved since `base` was read."""
        page = self._call(f"notion:{self._page}", lambda c: c.pages.retrieve(self._page))
        if str(page.get("last_edited_time") or "") != base.token:
            raise Conflict(f"notion:{self._page}: edited since it was read")
        for parent in {parent for _, parent, _ in updates}:
            now = {str(b.get("id")): b for b in self._list_once(parent)}
            for block, owner, _ in updates:
                if owner != parent:
                    continue
                current = now.get(str(block.get("id")))
                kind = str(block.get("type"))
                if current is None or current.get(kind) != block.get(kind):
                    raise Conflict(f"notion:{self._page}: a block to be written changed since it was read")

    def _list_once(self, parent: str) -> list[Block]:
        """The blocks right below `parent` (one level; paged)."""
        found: list[Block] = []
        cursor: str | None = None
        while True:
            query: dict[str, Any] = {"page_size": 100, **({"start_cursor": cursor} if cursor else {})}
            reply = self._call(f"notion:{self._page}", partial(_list_children, parent, query))
            found += [b for b in reply.get("results") or [] if isinstance(b, dict)]
            cursor = reply.get("next_cursor") if reply.get("has_more") else None
            if not cursor:
                return found

    def write(self, text: str, base: Revision, message: str) -> None:
        """Update each edited line's block if nothing moved since `base`; else raise Conflict."""
        updates = self._updates(text, base)
        self._unchanged(base, updates)
        for block, _, body in updates:
            block_id = str(block["id"])
            self._call(f"notion block {block_id}", partial(_update_block, block_id, body))
        self._read = None  # what was read is no longer the page

    def comment(self, text: str, base: Revision) -> None:
        self._call(f"notion:{self._page} comment", lambda c: c.comments.create(
            parent={"page_id": self._page}, rich_text=pieces(text)))


class NotionReview:
    """Keep the one preview comment of a page under review."""

    def __init__(self, settings: Settings, page: str, *, client: Client | None = None) -> None:
        self._client = client or build_client(settings)
        self._page = page
        self.calls = 0

    def _call(self, what: str, func: Callable[[Client], Any]) -> Any:
        self.calls += 1
        with _mapped(what):
            return func(self._client)

    def upsert_comment(self, text: str, marker: str) -> str:
        """Edit our comment that starts with `marker`, or post it once; "edited", "created" or "same"."""
        what = f"notion:{self._page} comments"
        me = str(self._call(what, lambda c: c.users.me()).get("id") or "").replace("-", "")
        cursor: str | None = None
        while True:
            query: dict[str, Any] = {"block_id": self._page, "page_size": 100,
                                     **({"start_cursor": cursor} if cursor else {})}
            listed = self._call(what, partial(_list_comments, query))
            for comment in listed.get("results") or []:
                body = rich_text(comment.get("rich_text") or [])
                author = str((comment.get("created_by") or {}).get("id") or "").replace("-", "")
                if author == me and body.startswith(marker):
                    if body == text:
                        return "same"
                    self._call(what, partial(_update_comment, str(comment["id"]), text))
                    return "edited"
            cursor = listed.get("next_cursor") if listed.get("has_more") else None
            if not cursor:
                break
        self._call(what, lambda c: c.comments.create(parent={"page_id": self._page},
                                                         rich_text=pieces(text, links=False)))
        return "created"
