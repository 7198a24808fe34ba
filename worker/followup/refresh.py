"""Bulk status refresh: one paged listing per tracker destination, changes written back to the store.

Every ticket Followthrough creates carries the managed label, so listing that label in a destination
(a Jira project or a GitHub repository) returns all of them in pages of 100: the cost grows with pages,
not items. Teams sharing a destination share the listing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from config.settings import Settings
from config.teams import Team
from connectors.tracker import MANAGED_LABEL, Ticket, Tracker


class StatusSink(Protocol):
    """Where refreshed ticket states go (the store)."""

    def apply_tickets(self, tickets: Sequence[Ticket], *, now: datetime) -> int:
        """Write status, due date and assignee of known tickets; returns how many items changed."""
        ...


@dataclass(frozen=True, slots=True)
class DestinationRefresh:
    destination: str
    teams: tuple[str, ...]
    tickets: int
    changed: int


@dataclass(frozen=True, slots=True)
class RefreshResult:
    destinations: tuple[DestinationRefresh, ...] = field(default_factory=tuple)

    @property
    def tickets(self) -> int:
        return sum(d.tickets for d in self.destinations)

    @property
    def changed(self) -> int:
        return sum(d.changed for d in self.destinations)


def destination_key(team: Team) -> str:
    """Which tracker destination a team's tickets live in ("jira:OPS", "github:owner/repo")."""
    if team.tracker == "jira" and team.jira is not None:
        return f"jira:{team.jira.project.upper()}"
    if team.tracker == "github" and team.github is not None:
        return f"github:{team.github.repo.lower()}"
    if team.tracker == "gitlab" and team.gitlab is not None:
        return f"gitlab:{team.gitlab.project.lower()}"
    raise ValueError(f"team {team.name!r} has no {team.tracker} destination")


def group_by_destination(teams: Iterable[Team]) -> dict[str, list[Team]]:
    """Teams keyed by destination, so each destination is listed once."""
    grouped: dict[str, list[Team]] = {}
    for team in teams:
        grouped.setdefault(destination_key(team), []).append(team)
    return grouped


def refresh_statuses(settings: Settings, sink: StatusSink, tracker_for: Callable[[Team], Tracker],
                     now: datetime, *, teams: Sequence[str] | None = None) -> RefreshResult:
    """List every managed ticket of each (selected) team's destination and store what changed."""
    selected = [team for name, team in settings.teams.items() if teams is None or name in teams]
    results = []
    for destination, members in sorted(group_by_destination(selected).items()):
        tickets = tracker_for(members[0]).fetch_status(label=MANAGED_LABEL)
        changed = sink.apply_tickets(tickets, now=now)
        results.append(DestinationRefresh(destination=destination, teams=tuple(t.name for t in members),
                                          tickets=len(tickets), changed=changed))
    return RefreshResult(tuple(results))
