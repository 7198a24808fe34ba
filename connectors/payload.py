"""Reading untrusted webhook JSON: a field that is not an object reads as an empty one.

The vendor event parsers (connectors.github_events, connectors.jira_events) walk payloads anyone holding
the secret could shape; reading every level through `as_dict` turns a wrong type into "not our event".
"""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}
