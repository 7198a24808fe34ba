"""Notion webhook payloads, as pure parsers: which events mean "read this page again".

`notion_page_event` reads a verified event (the hook `/hooks/notion`): a page event of a kind that can
change its text or status, not written by our own bot. Payloads are signals only: the page id is all
that is taken from them. The request handling (handshake, signature, dedupe window, outbox) is the
receiver's: worker.web.source_approvals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.sources import NotionSource, notion_id
from connectors.payload import as_dict

#: Notion event types that can change a page's text or its status property.
NOTION_PAGE_EVENTS = frozenset({"page.created", "page.content_updated", "page.properties_updated",
                                "page.undeleted", "page.moved"})


@dataclass(frozen=True, slots=True)
class NotionPageEvent:
    page: str  # 32 lowercase hex digits
    event_id: str
    timestamp: str


def own_edit(source: NotionSource | None, authors: Any) -> bool:
    """Whether every author of the event is our bot (or, with no bot id configured, any bot or agent)."""
    if not isinstance(authors, list) or not authors:
        return False
    if source is not None and source.bot_id:
        ours = source.bot_id.replace("-", "").lower()
        return all(str(as_dict(a).get("id", "")).replace("-", "").lower() == ours for a in authors)
    return all(as_dict(a).get("type") in ("bot", "agent") for a in authors)


def is_page_event(payload: Any, source: NotionSource | None) -> bool:
    """A page event of a kind that can change the page, with a Notion source configured."""
    body = as_dict(payload)
    return source is not None and body.get("type") in NOTION_PAGE_EVENTS \
        and as_dict(body.get("entity")).get("type") == "page"


def notion_page_event(payload: Any) -> NotionPageEvent:
    """The page, event id and time of a page event (KeyError/ValueError on a malformed one)."""
    body = as_dict(payload)
    return NotionPageEvent(page=notion_id(str(as_dict(body.get("entity"))["id"])), event_id=str(body["id"]),
                           timestamp=str(body["timestamp"]))
