"""Overdue counts and lines over the store, by the report's rules: the one place every view takes them from.

SQL (`worker.store.tracked`) narrows to rows that may be overdue and groups identical ones; each group or
item is then judged by `rules.overdue_due`, with the team's policy (zone, default due dates, followed kinds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection

from config.kinds import normalise_kind
from config.settings import Settings
from config.teams import Team
from worker.followup import rules
from worker.store import tracked
from worker.store.records import TrackedItem
from worker.store.tracked import display_names


def latest_today(settings: Settings, teams: Sequence[Team], now: datetime) -> date:
    """The latest local date any of these teams is in at `now` (a bound that is safe for every team)."""
    return max((rules.local_date(now, rules.zone(settings.followup_policy(t))) for t in teams),
               default=now.date())


def earliest_today(settings: Settings, teams: Sequence[Team], now: datetime) -> date:
    """The earliest local date any of these teams is in at `now` (a due date before it is past for all)."""
    return min((rules.local_date(now, rules.zone(settings.followup_policy(t))) for t in teams),
               default=now.date())


def overdue_counts(conn: Connection, settings: Settings, teams: Sequence[Team], now: datetime, *,
                   by_postmortem: bool = False, postmortem: str | None = None) -> dict[str, int]:
    """Overdue items at `now` per team (or per postmortem key), by the report's rules; one SQL statement.

    Every team asked about appears (0 when nothing is overdue) unless counting by postmortem."""
    policies = {team.name: settings.followup_policy(team) for team in teams}
    counts: dict[str, int] = {} if by_postmortem else dict.fromkeys(policies, 0)
    if not policies:
        return counts
    groups = tracked.overdue_groups(conn, list(policies), earliest_today(settings, teams, now),
                                    latest_today(settings, teams, now), by_postmortem=by_postmortem,
                                    postmortem=postmortem)
    for item, count in groups:
        if rules.overdue_due(item, now, policies[item.team]) is not None:
            key = item.postmortem_key if by_postmortem else item.team
            counts[key] = counts.get(key, 0) + count
    return counts


@dataclass(frozen=True, slots=True)
class OverdueLine:
    item: TrackedItem
    due: date
    days_overdue: int


def overdue_lines(conn: Connection, settings: Settings, teams: Sequence[Team], now: datetime, *,
                  kind: str | None = None, priority: str | None = None, postmortem: str | None = None
                  ) -> list[OverdueLine]:
    """Every item of these teams that is overdue at `now`, by the report's rules, with its due date."""
    policies = {team.name: settings.followup_policy(team) for team in teams}
    if not policies:
        return []
    last_day = latest_today(settings, teams, now)
    candidates = tracked.tracked_items(conn, display_names(settings.people), teams=list(policies),
                                       postmortem=postmortem, may_be_overdue_on=last_day, priority=priority)
    wanted = normalise_kind(kind) if kind is not None else None
    lines = []
    for item in candidates:
        # Kinds are normalised ("Prevention" is "prevent"), which SQL cannot do.
        if kind is not None and normalise_kind(item.kind) != wanted:
            continue
        policy = policies[item.team]
        due = rules.overdue_due(item, now, policy)
        if due is not None:
            lines.append(OverdueLine(item=item, due=due, days_overdue=rules.days_overdue(due, now, policy)))
    return lines
