"""Query parameters of the dashboard's pages, validated; a bad one is a 400 with one clear line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

MAX_TEXT = 200


class BadParam(Exception):
    """A query parameter the page cannot use; the message is shown to the reader."""


def text(params: QueryParams, name: str) -> str | None:
    value = params.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > MAX_TEXT or any(ord(ch) < 32 for ch in value):
        raise BadParam(f"{name}: at most {MAX_TEXT} printable characters")
    return value.strip()


def moment(params: QueryParams) -> datetime:
    """`at` (ISO date-time with an offset, like `followthrough report --at`), else now."""
    value = text(params, "at")
    if value is None:
        return datetime.now(UTC)
    # A "+02:00" typed into a URL arrives as " 02:00" (a plus in a query string is a space).
    value = re.sub(r" (\d\d:?\d\d)$", r"+\1", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadParam(f"at: {value[:40]!r} is not an ISO date-time (e.g. 2026-03-30T09:00+02:00)") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise BadParam("at: add a UTC offset (e.g. +00:00)")
    return parsed


def page(params: QueryParams) -> int:
    value = params.get("page", "1")
    if not value.isdigit() or not 1 <= int(value) <= 100_000:
        raise BadParam("page: a whole number from 1")
    return int(value)


@dataclass(frozen=True, slots=True)
class OverdueFilter:
    team: str | None = None
    owner: str | None = None
    kind: str | None = None
    priority: str | None = None

    @classmethod
    def read(cls, params: QueryParams) -> OverdueFilter:
        return cls(team=text(params, "team"), owner=text(params, "owner"), kind=text(params, "kind"),
                   priority=text(params, "priority"))

    def query(self, **extra: str | int | None) -> dict[str, str]:
        values = {"team": self.team, "owner": self.owner, "kind": self.kind, "priority": self.priority,
                  **extra}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def href(path: str, params: dict[str, str] | None = None) -> str:
    """A shareable URL: the path plus its non-empty parameters."""
    query = {k: v for k, v in (params or {}).items() if v}
    return path + (f"?{urlencode(query)}" if query else "")
