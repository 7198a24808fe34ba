"""The overdue items of some teams: SQL narrows to open items that may be late, the report's rules decide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection

from config.kinds import normalise_kind
from config.settings import Settings
from config.teams import Team
from worker.followup import rules
from worker.followup.items import ItemState, TrackedItem
from worker.store.tracked import display_names
from worker.web.dashboard import queries
from worker.web.dashboard.aggregate import latest_today


@dataclass(frozen=True, slots=True)
class OverdueLine:
    item: TrackedItem
    due: date
    days_overdue: int


def overdue_lines(conn: Connection, settings: Settings, teams: Sequence[Team], now: datetime, *,
                  kind: str | None = None, priority: str | None = None) -> list[OverdueLine]:
    """Every followed item of these teams that is overdue at `now`, by the report's rules."""
    names = display_names(settings.people)
    policies = {team.name: settings.followup_policy(team) for team in teams}
    candidates = queries.overdue_candidates(conn, names, teams=list(policies),
                                            last_day=latest_today(settings, teams, now), priority=priority)
    wanted = normalise_kind(kind) if kind is not None else None
    lines = []
    for item in candidates:
        if kind is not None and normalise_kind(item.kind) != wanted:
            continue
        policy = policies[item.team]
        if not rules.is_followed(item, policy):
            continue
        due = rules.effective_due(item, policy, item.approved_at)
        if due is not None and rules.state(item, due, now, policy) is ItemState.OVERDUE:
            lines.append(OverdueLine(item=item, due=due, days_overdue=rules.days_overdue(due, now, policy)))
    return lines
