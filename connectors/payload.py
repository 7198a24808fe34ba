"""Reading untrusted vendor JSON: a field that is not an object reads as an empty one, a time as a time.

The vendor event parsers (connectors.github_events, connectors.jira_events) walk payloads anyone holding
the secret could shape; reading every level through `as_dict` turns a wrong type into "not our event".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def iso_time(value: Any) -> datetime | None:
    """An ISO 8601 time from a vendor's JSON ("...Z" or with an offset) as an aware datetime (UTC when it
    names no zone); None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
