"""Confluence Data Center webhook payloads, as a pure parser: which page an event names, and where.

Data Center admin webhooks (7.7+) post JSON such as `{"timestamp": <ms>, "page": {"id": 98307,
"spaceKey": "OPS", "version": 2, ...}}` for `page_created`/`page_updated`, and a `label_added` event with
the labelled content; the event name is in `event` (or the `X-Event-Key` header). The payload is a signal:
the page is read again (space, approval, body) before anything is parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.payload import as_dict

#: Events that can make a page an approved postmortem or change one.
PAGE_EVENTS = frozenset({"page_created", "page_updated", "page_restored", "label_added",
                         "content_state_changed"})


@dataclass(frozen=True, slots=True)
class PageEvent:
    """A page event: the event name, the page's id and space key, and the signed time (ms)."""

    event: str
    page_id: str
    space_key: str
    timestamp: int | None


def confluence_page_event(payload: Any, headers: Mapping[str, str]) -> PageEvent | None:
    """The page a Data Center page or label event names; None for any other event."""
    body = as_dict(payload)
    event = body.get("event") or headers.get("X-Event-Key") or ""
    # A delivery that names no event is read as a page signal (re-reading a page is harmless); one that
    # names another event (page_removed, space_created, ...) is not ours.
    if not isinstance(event, str) or (event and event not in PAGE_EVENTS):
        return None
    page = as_dict(body.get("page") or body.get("labeled") or body.get("labelled") or body.get("content"))
    page_id, space = page.get("id"), page.get("spaceKey") or as_dict(page.get("space")).get("key")
    if isinstance(page_id, bool) or not isinstance(page_id, int | str) or not str(page_id).isdigit():
        return None
    if not isinstance(space, str) or not space:
        return None
    stamp = body.get("timestamp")
    timestamp = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else None
    return PageEvent(event=event or "page_event", page_id=str(page_id), space_key=space, timestamp=timestamp)
