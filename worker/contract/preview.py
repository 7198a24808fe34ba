"""The preview of a postmortem under review: every item as it would be tracked, and what needs a person.

Built from the parser's items, the sync plan's dry run (owners resolved, results, reasons) and the
locator (duplicates, won't-do entries, entries not taken). Nothing here writes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from config.settings import Settings
from config.teams import Team
from worker.contract.locate import Located
from worker.models import Postmortem
from worker.sync.results import ItemResult, SyncResult


@dataclass(frozen=True, slots=True)
class PreviewItem:
    title: str
    owner: str  # the resolved assignee's name, or "needs an owner"
    owner_note: str  # why it needs an owner ("" when it has one)
    due: date | None
    priority: str | None
    kind: str | None
    target: str  # the Jira project or GitHub repository
    adopts: str | None  # a ticket the document names already (the item's ref)
    outcome: str  # "will be created", "skipped: done in the document", ...


@dataclass(frozen=True, slots=True)
class Preview:
    title: str
    team: str
    items: tuple[PreviewItem, ...]
    problems: tuple[str, ...]

    @property
    def attention(self) -> bool:
        """Whether something needs a person before approval (a neutral check run, not a green one)."""
        return bool(self.problems)


def target_of(team: Team) -> str:
    if team.tracker == "github" and team.github is not None:
        return team.github.repo
    return team.jira.project if team.jira is not None else "?"


def person_name(settings: Settings, user_id: str | None) -> str | None:
    """The directory name of a Jira accountId or GitHub login, else the id itself."""
    if user_id is None:
        return None
    for person in settings.people:
        if user_id in (person.jira_account_id, person.github_login):
            return person.name
    return user_id


_OUTCOMES = {
    "planned-create": "will be created",
    "planned-adopt": "will be adopted",
    "planned-update": "will be updated",
    "unchanged": "tracked",
    "created": "tracked",
    "updated": "tracked",
}


def _outcome(row: ItemResult) -> str:
    if row.result in _OUTCOMES:
        return _OUTCOMES[row.result] + (f" ({row.ticket})" if row.ticket else "")
    return f"{row.result}: {row.reason}" if row.reason else row.result


def _owner(settings: Settings, row: ItemResult | None, written: str | None) -> tuple[str, str]:
    if row is not None and row.result in ("skipped", "removed"):
        return written or "n/a", ""  # no ticket will be made: nobody needs to own one
    if row is not None and row.owner_resolution == "needs-owner":
        why = f"{written!r} is not in the directory and the tracker found no single match" if written \
            else "no owner is named and no fallback applies"
        return "needs an owner", why
    name = person_name(settings, row.assignee if row else None)
    if name and row is not None and row.owner_resolution.startswith("fallback:"):
        # e.g. "fallback:postmortem_owner:directory": say whose fallback gave the owner.
        name = f"{name} (fallback: {row.owner_resolution.split(':')[1].replace('_', ' ')})"
    return (name or written or "needs an owner"), ("" if (name or written) else "no owner resolved")


def build_preview(settings: Settings, parsed: Postmortem, plan: SyncResult, located: Located) -> Preview:
    """The preview of one postmortem from its parse, its dry-run plan and where its items are written."""
    team = settings.team(plan.team)
    target = target_of(team) if team is not None else "?"
    rows = {row.fingerprint: row for row in plan.items}
    items: list[PreviewItem] = []
    problems: list[str] = []
    for item in parsed.action_items:
        row = rows.get(item.fingerprint)
        owner, note = _owner(settings, row, item.owner)
        live = row is None or row.result not in ("skipped", "removed")
        items.append(PreviewItem(
            title=item.title, owner=owner, owner_note=note, due=item.due, priority=item.priority,
            kind=item.kind, target=target, adopts=item.ref,
            outcome=_outcome(row) if row is not None else "not planned",
        ))
        if live and note:
            problems.append(f"Unknown owner: {item.title!r}: {note}.")
        if live and item.due is None:
            problems.append(f"No due date: {item.title!r}.")
        copies = located.merged(item.fingerprint)
        if copies > 1:
            problems.append(f"Duplicates merged: {item.title!r} is written {copies} times; one ticket.")
    problems.extend(f"Won't do, skipped: {line!r}." for line in located.dropped)
    problems.extend(f"Looks like an action but was not taken: {line!r}." for line in located.untaken)
    return Preview(title=parsed.title or "(untitled postmortem)", team=plan.team, items=tuple(items),
                   problems=tuple(problems))


def problems_of(previews: Sequence[Preview]) -> int:
    return sum(len(preview.problems) for preview in previews)
