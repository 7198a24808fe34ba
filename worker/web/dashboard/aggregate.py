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
from datetime import datetime

from sqlalchemy import Connection

from config.settings import Settings
from config.teams import Team
from worker.followup import rules
from worker.followup.items import ItemState
from worker.followup.overdue import latest_today
from worker.store.records import TrackedItem
from worker.store.tracked import rule_groups
from worker.web.dashboard.figures import Figures, median

__all__ = ["figures_by_team", "latest_today"]


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


def figures_by_team(conn: Connection, settings: Settings, teams: Sequence[Team], now: datetime
                    ) -> tuple[list[Figures], Figures]:
    """Each team's figures and the organisation's (sums, rate of the sums, median over every overdue item)."""
    policies = {team.name: settings.followup_policy(team) for team in teams}
    today = {name: rules.local_date(now, rules.zone(policy)) for name, policy in policies.items()}
    tallies = {name: _Tally() for name in policies}
    followed: dict[tuple[str, str | None], bool] = {}
    for item, count in rule_groups(conn, list(policies), latest_today(settings, teams, now)):
        team, kind = item.team, item.kind
        policy = policies[team]
        if (team, kind) not in followed:  # a handful of kinds: judge each once per team
            sample = TrackedItem(fingerprint="", title="", team=team, postmortem_key="", kind=kind)
            followed[team, kind] = rules.is_followed(sample, policy)
        if not followed[team, kind]:
            continue
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
