"""The Notion stand-in's write side for the postmortem contract (mixed into NotionStandIn).

Follows developers.notion.com/reference: update a block (`PATCH /v1/blocks/{id}` with the block type's
object: `rich_text`, a to-do's `checked`, a table row's `cells`; rich text pieces of `type: text` with
`content` up to 2,000 characters and an optional `link.url`; `annotations` kept; a table row must keep its
table's width), which moves the page's `last_edited_time`; comments: list (`block_id`, cursor paging),
create on a page (`parent.page_id`), and update (`PATCH /v1/comments/{id}`, only the integration's own
comments, else 404). There is no version precondition, as in Notion. `before_page_read` lets a test land
a person's edit right before a later page read (write-back's check before writing).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.standins.http_base import HttpError, Reply

_DEFAULT_ANNOTATIONS = {"bold": False, "italic": False, "strikethrough": False, "underline": False,
                        "code": False, "color": "default"}


def _invalid(message: str) -> HttpError:
    return HttpError(400, {"object": "error", "status": 400, "code": "validation_error", "message": message})


def stored_rich_text(items: Any) -> list[dict[str, Any]]:
    """Request-form rich text as the API stores and returns it (plain_text and href filled in)."""
    if not isinstance(items, list) or len(items) > 100:
        raise _invalid("rich_text should be an array of at most 100 items")
    out = []
    for item in items:
        if not isinstance(item, dict) or item.get("type", "text") != "text" or not isinstance(
                item.get("text"), dict):
            raise _invalid("rich_text items should be text objects")
        content = item["text"].get("content")
        link = item["text"].get("link")
        if not isinstance(content, str) or len(content) > 2000:
            raise _invalid("text.content should be a string of at most 2000 characters")
        url = link.get("url") if isinstance(link, dict) else None
        out.append({"type": "text", "text": {"content": content, "link": {"url": url} if url else None},
                    "annotations": {**_DEFAULT_ANNOTATIONS, **(item.get("annotations") or {})},
                    "plain_text": content, "href": url})
    return out


class NotionWrites:
    """State and routes of the contract's writes; the host class provides pages, blocks and the clock."""

    pages: dict[str, Any]
    blocks: dict[str, dict[str, Any]]
    bot_id: str
    tick: Callable[[], datetime]

    def _init_writes(self) -> None:
        self.comments: list[dict[str, Any]] = []
        self._page_hooks: list[list[Any]] = []
        #: The integration's comment capabilities: without "read", listing comments answers 403.
        self.read_comments = True
        #: Edits within one minute: the page's `last_edited_time` does not move (Notion's precision).
        self.same_minute = False

    def write_routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/v1/blocks/([0-9a-f-]+)", "PATCH", self._update_block),
            (r"/v1/comments", "GET", self._list_comments),
            (r"/v1/comments", "POST", self._create_comment),
            (r"/v1/comments/([0-9a-f-]+)", "PATCH", self._update_comment),
        ]

    # --- test helpers ----------------------------------------------------------------------------
    def reset_calls(self) -> None:
        with self.lock:  # type: ignore[attr-defined]
            self.calls.clear()  # type: ignore[attr-defined]

    def before_page_read(self, skip: int, action: Callable[[], object]) -> None:
        """Run `action` right before serving the page read that comes after `skip` more page reads."""
        self._page_hooks.append([skip, action])

    def fire_page_hooks(self) -> None:
        for hook in list(self._page_hooks):
            if hook[0] == 0:
                self._page_hooks.remove(hook)
                hook[1]()
            else:
                hook[0] -= 1

    def page_of_block(self, block_id: str) -> str | None:
        for page_id in self.pages:
            todo = list(self.blocks[page_id]["child_ids"])
            while todo:
                current = todo.pop()
                if current == block_id:
                    return page_id
                todo += self.blocks[current]["child_ids"]
        return None

    def find_block(self, page_id: str, fragment: str) -> str:
        """The id (compact) of the page's first block whose text holds `fragment`."""
        todo = list(self.blocks[page_id]["child_ids"])
        while todo:
            current = todo.pop(0)
            block = self.blocks[current]
            body = block.get(str(block.get("type"))) or {}
            texts = [body.get("rich_text") or [], *(body.get("cells") or [])]
            if any(fragment in "".join(p["plain_text"] for p in items) for items in texts):
                return str(current)
            todo += block["child_ids"]
        raise KeyError(fragment)

    def person_edits(self, block_id: str, text: str) -> None:
        """A person rewrites a paragraph or list block's text (the page's edit time moves)."""
        with self.lock:  # type: ignore[attr-defined]
            block = self.blocks[block_id]
            block[str(block["type"])]["rich_text"] = stored_rich_text([{"text": {"content": text}}])
            page = self.page_of_block(block_id)
            if page is not None:
                self.pages[page].edited = self.tick()

    def person_recolours(self, block_id: str, color: str) -> None:
        """A person colours a block's text (its words stay; the page's edit time moves unless
        `same_minute`)."""
        with self.lock:  # type: ignore[attr-defined]
            block = self.blocks[block_id]
            for piece in block[str(block["type"])]["rich_text"]:
                piece["annotations"] = {**(piece.get("annotations") or {}), "color": color}
            page = self.page_of_block(block_id)
            if page is not None:
                self.pages[page].edited = self.tick()

    def text_of(self, page_id: str) -> list[str]:
        """Every block's plain text in page order (table rows: cells joined by " | ")."""
        out: list[str] = []

        def walk(ids: list[str]) -> None:
            for current in ids:
                block = self.blocks[current]
                body = block.get(str(block.get("type"))) or {}
                if "cells" in body:
                    out.append(" | ".join("".join(p["plain_text"] for p in c) for c in body["cells"]))
                elif "rich_text" in body:
                    out.append("".join(p["plain_text"] for p in body["rich_text"]))
                walk(block["child_ids"])

        walk(self.blocks[page_id]["child_ids"])
        return out

    # --- API -----------------------------------------------------------------------------------
    def _update_block(self, given: str, *, payload: Any, **_: Any) -> Reply:
        block = self.blocks.get(given.replace("-", ""))
        page = self.page_of_block(given.replace("-", ""))
        if block is None or page is None or not self.pages[page].shared:
            raise HttpError(404, {"object": "error", "status": 404, "code": "object_not_found",
                                  "message": f"Could not find block with ID: {given}."})
        kind = str(block["type"])
        update = payload.get(kind) if isinstance(payload, dict) else None
        if not isinstance(update, dict):
            raise _invalid(f"body.{kind} should be defined")
        body = block[kind]
        if "rich_text" in update:
            body["rich_text"] = stored_rich_text(update["rich_text"])
        if "checked" in update and kind == "to_do":
            body["checked"] = bool(update["checked"])
        if "cells" in update:
            if kind != "table_row" or len(update["cells"]) != len(body["cells"]):
                raise _invalid("Number of cells in table row must match the table width.")
            body["cells"] = [stored_rich_text(cell) for cell in update["cells"]]
        self.pages[page].edited = self.tick()
        return Reply(200, {k: v for k, v in block.items() if k != "child_ids"})

    def _comment_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        return {"object": "comment", **comment}

    def _list_comments(self, *, query: dict[str, list[str]], **_: Any) -> Reply:
        if not self.read_comments:
            raise HttpError(403, {"object": "error", "status": 403, "code": "restricted_resource",
                                  "message": "Insufficient permissions for this endpoint."})
        block = (query.get("block_id") or [""])[0].replace("-", "")
        found = [self._comment_json(c) for c in self.comments
                 if c["parent"]["page_id"].replace("-", "") == block]
        size = min(100, int((query.get("page_size") or ["100"])[0]))
        start = int((query.get("start_cursor") or ["0"])[0])
        more = start + size < len(found)
        return Reply(200, {"object": "list", "results": found[start:start + size], "has_more": more,
                           "next_cursor": str(start + size) if more else None, "type": "comment"})

    def add_comment(self, page_id: str, text: str, *, author: str | None = None) -> None:
        self.comments.append({"id": str(uuid.uuid4()), "parent": {"type": "page_id", "page_id": page_id},
                              "discussion_id": str(uuid.uuid4()),
                              "created_by": {"object": "user", "id": author or str(uuid.uuid4())},
                              "rich_text": stored_rich_text([{"text": {"content": text}}])})

    def _create_comment(self, *, payload: Any, **_: Any) -> Reply:
        page_id = str((payload.get("parent") or {}).get("page_id") or "").replace("-", "")
        if page_id not in self.pages or not self.pages[page_id].shared:
            raise HttpError(404, {"object": "error", "status": 404, "code": "object_not_found",
                                  "message": "Could not find page."})
        self.comments.append({"id": str(uuid.uuid4()), "parent": {"type": "page_id", "page_id": page_id},
                              "discussion_id": str(uuid.uuid4()),
                              "created_by": {"object": "user", "id": self.bot_id},
                              "rich_text": stored_rich_text(payload.get("rich_text"))})
        return Reply(200, self._comment_json(self.comments[-1]))

    def _update_comment(self, given: str, *, payload: Any, **_: Any) -> Reply:
        comment = next((c for c in self.comments if c["id"] == given), None)
        if comment is None or comment["created_by"]["id"] != self.bot_id:
            raise HttpError(404, {"object": "error", "status": 404, "code": "object_not_found",
                                  "message": f"Could not find comment with ID: {given}."})
        comment["rich_text"] = stored_rich_text(payload.get("rich_text"))
        return Reply(200, self._comment_json(comment))
