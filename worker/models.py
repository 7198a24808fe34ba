"""The parsed postmortem and its action items: the data every later stage works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One follow-up action found in a postmortem.

    The parser builds these without a fingerprint (it needs the postmortem's identity, known last) and
    fills it in at the end; `kind` is one of KINDS (config/kinds.py) or None, `kind_raw` the word the
    document used.
    """

    title: str
    fingerprint: str = ""
    description: str | None = None
    owner: str | None = None
    due: date | None = None
    priority: str | None = None
    kind: str | None = None
    ref: str | None = None
    done: bool = False
    section: str | None = None
    kind_raw: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "priority": self.priority,
            "kind": self.kind,
            "kind_raw": self.kind_raw,
            "ref": self.ref,
            "done": self.done,
            "section": self.section,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, slots=True)
class Postmortem:
    """A parsed postmortem document."""

    identity: str
    title: str | None = None
    owner: str | None = None
    incident_date: date | None = None
    severity: str | None = None
    team: str | None = None
    action_items: tuple[ActionItem, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "owner": self.owner,
            "incident_date": self.incident_date.isoformat() if self.incident_date else None,
            "severity": self.severity,
            "team": self.team,
            "action_items": [item.to_json() for item in self.action_items],
        }
