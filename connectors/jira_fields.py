"""Translate between our ticket types and Jira issue fields (REST v2 create/edit, search results)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connectors.jira_markup import summary
from connectors.tracker import (
    FINGERPRINT_LABEL_PREFIX,
    MANAGED_LABEL,
    REMOVED_LABEL,
    Ticket,
    TicketFields,
    TicketStatus,
    fingerprint_label,
    postmortem_label,
)

#: Jira limit on one label.
LABEL_MAX = 255
#: The issue fields every search asks for: enough to build a `Ticket`, nothing more.
SEARCH_FIELDS = ("summary", "duedate", "assignee", "priority", "labels", "status", "resolution", "updated")
#: Resolutions that mean "closed without doing it" (compared case-insensitively, apostrophes ignored).
DROPPED_RESOLUTIONS = frozenset(
    {"wont do", "wont fix", "declined", "duplicate", "cannot reproduce", "obsolete", "not a bug"}
)


def sanitize_label(label: str) -> str:
    """A Jira label: no whitespace (Jira rejects spaces), no control characters, at most 255 characters."""
    text = unicodedata.normalize("NFC", label).strip()
    text = re.sub(r"[\s\x00-\x1f\x7f]+", "-", text)
    return text[:LABEL_MAX]


def sanitize_labels(labels: Iterable[str]) -> list[str]:
    """Sanitised, non-empty, de-duplicated labels in their first-seen order."""
    seen: dict[str, None] = {}
    for label in labels:
        clean = sanitize_label(label)
        if clean:
            seen.setdefault(clean, None)
    return list(seen)


def managed_labels(postmortem_key: str, fingerprint: str, extra: Iterable[str]) -> list[str]:
    """The labels of a new ticket: managed, postmortem, fingerprint, then team and draft labels."""
    return sanitize_labels(
        [MANAGED_LABEL, pm_label(postmortem_key), fingerprint_label(fingerprint), *extra]
    )


def pm_label(postmortem_key: str) -> str:
    """The sanitised per-postmortem label, identical when writing and when searching."""
    return sanitize_label(postmortem_label(postmortem_key))


def fingerprint_from_labels(labels: Iterable[str]) -> str | None:
    """The item fingerprint carried by an `ft-<fingerprint>` label, if any."""
    for label in labels:
        if label.startswith(FINGERPRINT_LABEL_PREFIX) and label != REMOVED_LABEL:
            return label[len(FINGERPRINT_LABEL_PREFIX) :] or None
    return None


@dataclass(frozen=True, slots=True)
class PriorityMap:
    """Postmortem priority as written (case-insensitive) <-> Jira priority name."""

    to_jira: Mapping[str, str]

    def jira_name(self, written: str | None) -> str | None:
        """The Jira priority for a written priority, or None when there is no mapping."""
        if not written:
            return None
        key = written.strip().casefold()
        for name, jira in self.to_jira.items():
            if name.casefold() == key:
                return jira
        # Already a Jira priority name ("High") is accepted as it is.
        for jira in self.to_jira.values():
            if jira.casefold() == key:
                return jira
        return None

    def written(self, jira_name: str | None) -> str | None:
        """Map a Jira priority name back: the first written form that maps to it, else the name itself."""
        if not jira_name:
            return None
        for name, jira in self.to_jira.items():
            if jira.casefold() == jira_name.casefold():
                return name
        return jira_name


def user_ref(user_id: str | None, *, cloud: bool) -> dict[str, Any] | None:
    """An assignee value: Cloud wants `accountId` only (GDPR); Data Center wants the user `name`."""
    if user_id is None:
        return None
    return {"accountId": user_id} if cloud else {"name": user_id}


def owned_fields(
    fields: TicketFields, only: Iterable[str], *, cloud: bool, priorities: PriorityMap
) -> dict[str, Any]:
    """The Jira `fields` document for the named owned fields (title, due, assignee, priority)."""
    out: dict[str, Any] = {}
    for name in only:
        if name == "title":
            out["summary"] = summary(fields.title)
        elif name == "due":
            out["duedate"] = fields.due.isoformat() if fields.due else None
        elif name == "assignee":
            out["assignee"] = user_ref(fields.assignee, cloud=cloud)
        elif name == "priority":
            jira = priorities.jira_name(fields.priority)
            if jira is not None:
                out["priority"] = {"name": jira}
        else:
            raise ValueError(f"not a field Followthrough owns: {name!r}")
    return out


def ticket_from_issue(
    raw: Mapping[str, Any], *, server: str, cloud: bool, priorities: PriorityMap
) -> Ticket:
    """Build a `Ticket` from one issue of a search result (REST v2 or v3 field shapes)."""
    fields: Mapping[str, Any] = raw.get("fields") or {}
    labels = frozenset(str(x) for x in fields.get("labels") or ())
    assignee = fields.get("assignee") or {}
    assignee_id = assignee.get("accountId") if cloud else (assignee.get("name") or assignee.get("key"))
    priority = (fields.get("priority") or {}).get("name")
    status = fields.get("status") or {}
    key = str(raw.get("key", ""))
    return Ticket(
        key=key,
        url=f"{server}/browse/{key}",
        fingerprint=fingerprint_from_labels(sorted(labels)),
        fields=TicketFields(
            title=str(fields.get("summary") or ""),
            due=_date(fields.get("duedate")),
            assignee=assignee_id,
            priority=priorities.written(priority),
        ),
        status=status_of(status, fields.get("resolution")),
        status_name=str(status.get("name") or ""),
        labels=labels,
        updated=_datetime(fields.get("updated")),
    )


def status_of(status: Mapping[str, Any], resolution: Mapping[str, Any] | None) -> TicketStatus:
    """DONE when the status category is `done`, DROPPED when it is resolved as Won't Do and the like."""
    category = (status.get("statusCategory") or {}).get("key")
    if category != "done":
        return TicketStatus.OPEN
    name = str((resolution or {}).get("name") or "")
    normal = " ".join(name.casefold().replace("'", "").replace("’", "").split())
    return TicketStatus.DROPPED if normal in DROPPED_RESOLUTIONS else TicketStatus.DONE


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    # Jira sends "2024-05-01T10:00:00.000+0000"; fromisoformat wants "+00:00".
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
