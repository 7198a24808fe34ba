"""Organisation-wide figures from one GROUP BY over the store, then the report's rules once per group.

The rules (kinds followed, default due dates by priority and business days, each team's zone) are the
Python functions of `worker.followup.rules`; SQL groups the items by exactly the inputs those rules read and
blanks out inputs a rule ignores (priority and approval time when the item has its own due date; the
resolution time when it cannot matter), so identical items are judged once and counted by COUNT(*).
`tests/dashboard/test_aggregate.py` and the benchmark check the result equals `build_report`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select, type_coerce

from config.settings import Settings
from config.teams import Team
from connectors.tracker import TicketStatus
from worker.followup import rules
from worker.followup.items import ItemState, TrackedItem
from worker.store.models import ActionItemRow, PostmortemRow, UTCDateTime, followup_resolutions
from worker.web.dashboard.columns import ITEM, PM, RES, item_due, item_status, pm_approved
from worker.web.dashboard.figures import Figures, median


def latest_today(settings: Settings, teams: Sequence[Team], now: datetime) -> date:
    """The latest local date any of these teams is in at `now` (a bound that is safe for every team)."""
    return max((rules.local_date(now, rules.zone(settings.followup_policy(t))) for t in teams),
               default=now.date())


@dataclass(slots=True)
class _Tally:
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    done: int = 0
    due_so_far: int = 0
    done_on_time: int = 0
    overdue_days: list[int] = field(default_factory=list)

    def figures(self, name: str, median: float | None) -> Figures:
        return Figures(name=name, open=self.open, overdue=self.overdue, due_soon=self.due_soon,
                       done=self.done, due_so_far=self.due_so_far, done_on_time=self.done_on_time,
                       median_days_overdue=median)


def _groups(conn: Connection, teams: Sequence[str], last_day: date) -> Any:
    status = item_status.label("status")
    no_due = item_due.is_(None)
    # The resolution time only matters for done items whose due date may have come for some team.
    resolved = case((and_(item_status.in_([TicketStatus.DONE.value]), or_(no_due, item_due <= last_day)),
                     RES.resolved_at))
    keys = (PM.team, ITEM.kind, status, item_due.label("due"),
            case((no_due, ITEM.priority)).label("priority"),
            type_coerce(case((no_due, pm_approved)), UTCDateTime).label("approved"),
            type_coerce(resolved, UTCDateTime).label("resolved"))
    query = (select(*keys, func.count().label("n"))
             .select_from(ActionItemRow)
             .join(PostmortemRow, PM.key == ITEM.postmortem_key)
             .outerjoin(followup_resolutions, RES.ticket_key == ITEM.ticket_key)
             .where(ITEM.ticket_key.is_not(None), PM.team.in_(list(teams)),
                    item_status.not_in([TicketStatus.DROPPED.value]))
             .group_by(*keys))
    return conn.execute(query)


def figures_by_team(conn: Connection, settings: Settings, teams: Sequence[Team], now: datetime
                    ) -> tuple[list[Figures], Figures]:
    """Each team's figures and the organisation's (sums, rate of the sums, median over every overdue item)."""
    policies = {team.name: settings.followup_policy(team) for team in teams}
    today = {name: rules.local_date(now, rules.zone(policy)) for name, policy in policies.items()}
    tallies = {name: _Tally() for name in policies}
    followed: dict[tuple[str, str | None], bool] = {}
    for team, kind, status, due, priority, approved, resolved, count in _groups(
            conn, list(policies), latest_today(settings, teams, now)):
        policy = policies[team]
        if (team, kind) not in followed:  # a handful of kinds: judge each once per team
            sample = TrackedItem(fingerprint="", title="", team=team, postmortem_key="", kind=kind)
            followed[team, kind] = rules.is_followed(sample, policy)
        if not followed[team, kind]:
            continue
        item = TrackedItem(fingerprint="", title="", team=team, postmortem_key="",
                           status=TicketStatus(status), due=due, priority=priority, kind=kind,
                           approved_at=approved, resolved_at=resolved)
        tally = tallies[team]
        line_due = rules.effective_due(item, policy, item.approved_at)
        state = rules.state(item, line_due, now, policy)
        if state is ItemState.DONE:
            tally.done += count
        else:  # dropped items are not selected
            tally.open += count
            if state is ItemState.OVERDUE:
                tally.overdue += count
                assert line_due is not None
                tally.overdue_days.extend([rules.days_overdue(line_due, now, policy)] * count)
            elif state is ItemState.DUE_SOON:
                tally.due_soon += count
        if line_due is not None and line_due <= today[team]:
            tally.due_so_far += count
            if rules.done_on_time(item, line_due, policy):
                tally.done_on_time += count
    per_team = [tallies[name].figures(name, median(tallies[name].overdue_days)) for name in policies]
    total = _Tally()
    for tally in tallies.values():
        for name in ("open", "overdue", "due_soon", "done", "due_so_far", "done_on_time"):
            setattr(total, name, getattr(total, name) + getattr(tally, name))
        total.overdue_days.extend(tally.overdue_days)
    return per_team, total.figures("Organisation", median(total.overdue_days))
