"""Planning: a pure function from (stored items, the tracker's tickets, owner resolutions) to steps.

No I/O happens here, so every rule (create only what has no ticket, update only fields that still hold
what we last wrote, never overwrite a human edit, comment once on removed items) is tested with tables.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from config.teams import ItemFilter, Team
from connectors.tracker import (
    NEEDS_OWNER_LABEL,
    OWNED_FIELDS,
    REMOVED_LABEL,
    Ticket,
    TicketBody,
    TicketDraft,
    TicketFields,
)
from worker.models import ActionItem
from worker.store.records import ItemRecord
from worker.sync.owners import OwnerResolution

Action = Literal["create", "update", "comment-removed", "none"]
#: Longest label fragment we derive from document text (GitHub allows 50 characters per label).
_LABEL_MAX = 40


@dataclass(frozen=True, slots=True)
class Adoption:
    """A ticket found by label that the store had not mapped: record it with these owned values."""

    written: TicketFields | None
    owned: frozenset[str]


@dataclass(frozen=True, slots=True)
class Step:
    """What to do for one item, and the result to report when it goes through."""

    fingerprint: str
    title: str
    action: Action
    result: str  # created | updated | unchanged | skipped | conflict | removed | missing
    reason: str
    resolution: OwnerResolution | None = None
    desired: TicketFields | None = None
    draft: TicketDraft | None = None
    ticket_key: str | None = None
    ticket_url: str | None = None
    update: tuple[str, ...] = ()
    adopt: Adoption | None = None
    removed: bool = False
    #: The item is back in the document but its ticket still carries the removed label: take it off.
    restore: bool = False
    ticket: Ticket | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class PlanContext:
    """The postmortem-level facts a plan needs."""

    postmortem_key: str
    team: Team
    postmortem_title: str | None = None
    postmortem_url: str | None = None
    #: Items whose ticket was adopted from the document's ref: tracked, but their fields are people's.
    adopted: frozenset[str] = frozenset()


def filter_reason(flt: ItemFilter, item: ActionItem) -> str | None:
    """Why the team's filter skips this item, or None when it becomes a ticket.

    An item that states no kind or priority passes a kind or priority filter: a ticket too many is
    better than an action lost.
    """
    if flt.skip_done and item.done:
        return "done in the document"
    if flt.kinds is not None and item.kind and item.kind.casefold() not in {k.casefold() for k in flt.kinds}:
        return f"kind {item.kind!r} is not tracked by this team"
    if (
        flt.priorities is not None
        and item.priority
        and item.priority.strip().casefold() not in {p.casefold() for p in flt.priorities}
    ):
        return f"priority {item.priority!r} is not tracked by this team"
    return None


def tracker_priority(team: Team, written: str | None) -> str | None:
    """The value we write as the ticket's priority: Jira's priority name, or the priority as written."""
    if not written or not written.strip():
        return None
    key = written.strip().casefold()
    if team.tracker == "jira" and team.jira is not None:
        mapping = team.jira.priority_map
        for name, jira in mapping.items():
            if name.casefold() == key:
                return jira
        for jira in mapping.values():
            if jira.casefold() == key:
                return jira
        return None  # unmapped: left for Jira's default (the body says it as written)
    return written.strip()


def desired_fields(item: ActionItem, resolution: OwnerResolution | None, team: Team) -> TicketFields:
    """The owned field values the document asks for."""
    return TicketFields(
        title=item.title,
        due=item.due,
        assignee=resolution.assignee if resolution else None,
        priority=tracker_priority(team, item.priority),
    )


def same_value(name: str, a: str | date | None, b: str | date | None, team: Team) -> bool:
    """Whether two values of an owned field are the same as far as the tracker can tell."""
    if name == "title":
        return _same_title(a if isinstance(a, str) else "", b if isinstance(b, str) else "")
    if name == "priority":
        pa = tracker_priority(team, a) if isinstance(a, str) else None
        pb = tracker_priority(team, b) if isinstance(b, str) else None
        if pa is None and pb is None:
            return _fold(a) == _fold(b)
        return _fold(pa) == _fold(pb)
    if name == "assignee":
        return (a or None) == (b or None)
    return a == b


def _fold(value: object) -> str:
    return value.casefold() if isinstance(value, str) else ""


def _title_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _same_title(ours: str, theirs: str) -> bool:
    a, b = _title_key(ours), _title_key(theirs)
    if a == b:
        return True
    # Trackers cut long titles (Jira: 255 characters, ending in "…"); a cut of ours is still ours.
    return len(b) >= 200 and b.endswith("…") and a.startswith(b[:-1].rstrip())


def item_labels(item: ActionItem, resolution: OwnerResolution | None, team: Team) -> tuple[str, ...]:
    """Extra labels for a new ticket: needs-owner, and for Jira kind and priority (no spaces).

    The GitHub connector labels kind and priority itself (`kind:`, the team's `github.priority_label`).
    """
    labels: list[str] = []
    if resolution is None or resolution.needs_owner:
        labels.append(NEEDS_OWNER_LABEL)
    if team.tracker == "github":
        return tuple(labels)
    if item.kind:
        labels.append(_label("kind", item.kind))
    if item.priority and team.jira is not None:
        labels.append(_jira_priority_label(team.jira.priority_label, item.priority))
    return tuple(label for label in labels if label)


def _jira_priority_label(form: str, value: str) -> str:
    """The team's Jira priority label: the priority lowercased, spaces and punctuation as dashes."""
    cleaned = "-".join("".join(ch if ch.isalnum() else " " for ch in value.casefold()).split())
    return form.replace("{priority}", cleaned)[:_LABEL_MAX] if cleaned else ""


def _label(prefix: str, value: str) -> str:
    cleaned = "-".join("".join(ch if ch.isalnum() else " " for ch in value.casefold()).split())
    return f"{prefix}-{cleaned}"[:_LABEL_MAX] if cleaned else ""


def make_draft(ctx: PlanContext, item: ActionItem, resolution: OwnerResolution | None) -> TicketDraft:
    """The create request for one item: owned fields plus the context a reader needs."""
    return TicketDraft(
        fingerprint=item.fingerprint,
        postmortem_key=ctx.postmortem_key,
        fields=desired_fields(item, resolution, ctx.team),
        body=TicketBody(
            description=item.description,
            owner_as_written=item.owner or None,
            postmortem_title=ctx.postmortem_title,
            postmortem_url=ctx.postmortem_url,
            section=item.section,
            kind=item.kind,
            priority_as_written=item.priority,
            ref=item.ref,
        ),
        labels=item_labels(item, resolution, ctx.team),
    )


def plan_sync(
    ctx: PlanContext,
    items: Sequence[ItemRecord],
    tickets: Sequence[Ticket] | None,
    resolutions: Mapping[str, OwnerResolution],
) -> list[Step]:
    """One step per stored item, plus one per ticket of this postmortem the store did not know.

    `tickets` is the one label search's result, or None when there is no tracker to ask (offline dry
    run): then the stored mapping stands in for it.
    """
    by_fp: dict[str, list[Ticket]] = {}
    for ticket in tickets or ():
        if ticket.fingerprint:
            by_fp.setdefault(ticket.fingerprint, []).append(ticket)
    steps: list[Step] = []
    known: set[str] = set()
    for record in items:
        known.add(record.fingerprint)
        found = by_fp.get(record.fingerprint, [])
        picked = _pick(found, record.ticket_key)
        if record.removed:
            steps.append(_plan_removed(record, picked, offline=tickets is None))
        else:
            step = _plan_live(
                ctx, record, picked, resolutions.get(record.fingerprint), offline=tickets is None
            )
            if len(found) > 1:
                others = ", ".join(t.key for t in found if t is not picked)
                step = replace(step, reason=_join(step.reason, f"duplicate tickets also carry it: {others}"))
            # The label, or our own note that we put it there: a lagging search may not show it yet.
            noted = record.removal_notified and picked is not None and record.ticket_key == picked.key
            if picked is not None and (REMOVED_LABEL in picked.labels or noted):
                step = replace(step, restore=True, reason=_join(step.reason, "back in the postmortem"))
            steps.append(step)
    for fingerprint, found in by_fp.items():
        if fingerprint in known:
            continue
        # The store never saw this item (store lost, and the item has since left the document).
        stray = _pick(found, None)
        assert stray is not None
        orphan = ItemRecord.untracked(
            ctx.postmortem_key, ActionItem(title=stray.fields.title, fingerprint=fingerprint)
        )
        steps.append(_plan_removed(orphan, stray, offline=False))
    return steps


def _pick(found: Sequence[Ticket], stored_key: str | None) -> Ticket | None:
    for ticket in found:
        if ticket.key == stored_key:
            return ticket
    return found[0] if found else None


def _adoption(record: ItemRecord, ticket: Ticket) -> Adoption | None:
    if record.ticket_key == ticket.key:
        return None
    if record.ticket_key is None and record.create_attempted:
        # Our own create whose answer was lost: the ticket holds what we sent.
        return Adoption(written=record.written, owned=record.owned)
    # Recovered by label search (store lost or ticket re-keyed): its values are human-owned.
    return Adoption(written=None, owned=frozenset())


def _plan_removed(record: ItemRecord, ticket: Ticket | None, *, offline: bool) -> Step:
    base = Step(
        fingerprint=record.fingerprint,
        title=record.item.title,
        action="none",
        result="removed",
        reason="",
        removed=True,
        ticket=ticket,
        ticket_key=ticket.key if ticket else record.ticket_key,
        ticket_url=ticket.url if ticket else record.ticket_url,
        adopt=_adoption(record, ticket) if ticket else None,
    )
    if ticket is None:
        if record.ticket_key and not offline:
            return replace(base, reason="removed from the postmortem; its ticket is no longer found")
        if record.ticket_key:
            return replace(base, reason="removed from the postmortem; ticket not checked (no tracker)")
        return replace(base, reason="removed from the postmortem; no ticket had been created")
    if REMOVED_LABEL in ticket.labels or (record.removal_notified and record.ticket_key == ticket.key):
        return replace(base, reason="removed from the postmortem; already noted on the ticket")
    return replace(base, action="comment-removed", reason="removed from the postmortem; noted on the ticket")


def _plan_live(
    ctx: PlanContext,
    record: ItemRecord,
    ticket: Ticket | None,
    resolution: OwnerResolution | None,
    *,
    offline: bool,
) -> Step:
    item = record.item
    desired = desired_fields(item, resolution, ctx.team)
    base = Step(
        fingerprint=record.fingerprint,
        title=item.title,
        action="none",
        result="unchanged",
        reason="",
        resolution=resolution,
        desired=desired,
        ticket=ticket,
        ticket_key=ticket.key if ticket else record.ticket_key,
        ticket_url=ticket.url if ticket else record.ticket_url,
        adopt=_adoption(record, ticket) if ticket else None,
    )
    skip = filter_reason(ctx.team.filter, item)
    if skip is not None:
        held = f"; ticket {base.ticket_key} left as it is" if base.ticket_key else ""
        return replace(base, result="skipped", reason=skip + held)
    if ticket is None:
        if record.ticket_key and offline:
            return replace(base, reason="has a ticket; not checked (no tracker)")
        if record.ticket_key:
            return replace(
                base,
                result="missing",
                reason=f"ticket {record.ticket_key} no longer carries the postmortem label or was deleted; "
                "not recreated",
            )
        if resolution is not None and resolution.deferred:
            # Created now it would go out unassigned and labelled needs-owner over a passing failure.
            return replace(base, result="pending", reason=f"not created yet: {resolution.reason}")
        return replace(
            base,
            action="create",
            result="created",
            reason=_owner_note(resolution),
            draft=make_draft(ctx, item, resolution),
        )
    if record.fingerprint in ctx.adopted:
        return replace(base, reason="adopted from the document's ref; its fields stay as people left them")
    return _plan_update(ctx.team, record, ticket, base, desired, resolution)


def _plan_update(
    team: Team,
    record: ItemRecord,
    ticket: Ticket,
    base: Step,
    desired: TicketFields,
    resolution: OwnerResolution | None,
) -> Step:
    adopt = base.adopt
    owned = adopt.owned if adopt is not None else record.owned
    written = adopt.written if adopt is not None else record.written
    update: list[str] = []
    kept: list[str] = []
    conflicts: list[str] = []
    for name in OWNED_FIELDS:
        verdict = _field_verdict(name, desired, ticket.fields, written, owned, team, resolution)
        if verdict == "update":
            update.append(name)
        elif verdict == "conflict":
            conflicts.append(name)
        elif verdict:
            kept.append(verdict)
    reasons: list[str] = []
    if adopt is not None and not adopt.owned:
        reasons.append("recovered from the tracker by label; its values are kept as people left them")
    if update:
        reasons.append("updated " + ", ".join(update))
    if conflicts:
        reasons.append("ticket edited by a person, not overwritten: " + ", ".join(conflicts))
    reasons.extend(kept)
    result = "conflict" if conflicts else "updated" if update else "unchanged"
    return replace(
        base,
        action="update" if update else "none",
        result=result,
        update=tuple(update),
        reason="; ".join(reasons),
    )


def _field_verdict(
    name: str,
    desired: TicketFields,
    have_fields: TicketFields,
    written: TicketFields | None,
    owned: frozenset[str],
    team: Team,
    resolution: OwnerResolution | None,
) -> str:
    """One owned field: "" (leave it), "update", "conflict", or why the ticket's value is kept."""
    want, have = getattr(desired, name), getattr(have_fields, name)
    if same_value(name, want, have, team):
        return ""
    if name == "assignee" and want is None:
        # Never unassign: an owner we cannot resolve now is not a reason to drop a real assignee.
        if have is None:
            return ""
        return f"assignee kept ({(resolution.reason if resolution else '') or 'owner unresolved'})"
    last = getattr(written, name) if written is not None and name in owned else None
    if name in owned and same_value(name, have, last, team):
        return "update"
    if name in owned and same_value(name, want, last, team):
        return f"human edit of {name} kept"
    return "conflict"


def _owner_note(resolution: OwnerResolution | None) -> str:
    if resolution is None:
        return ""
    if resolution.needs_owner:
        return f"needs-owner: {resolution.reason}"
    return resolution.reason


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
