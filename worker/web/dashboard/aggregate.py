"""Organisation-wide figures from one GROUP BY over the store.

On PostgreSQL the rules are stated in SQL (`worker.store.tracked.team_tallies`, default due dates in
business days or with holidays computed by `rules.default_due` per approval day): the counts come back per
team and kind with the days overdue of each overdue item, and only which kinds are followed is judged
here. On SQLite the rules are the Python functions of `worker.followup.rules`; SQL groups the items by
exactly the inputs those rules read and blanks out inputs a rule ignores (`tracked.rule_groups`), so
identical items are judged once and counted by COUNT(*).
`tests/dashboard/test_aggregate.py` and the benchmark check the result equals `build_report`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection

from config.settings import Settings
from config.teams import FollowupPolicy, Team
from worker.followup import rules
from worker.followup.items import ItemState
from worker.followup.overdue import RulesSpec, latest_today, sql_rules
from worker.store import tracked
from worker.store.records import TrackedItem
from worker.web.dashboard.figures import Figures, median

__all__ = ["figures_by_team", "latest_today"]


def _followed(cache: dict[tuple[str, str | None], bool], policy: FollowupPolicy, team: str,
              kind: str | None) -> bool:
    if (team, kind) not in cache:  # a handful of kinds: judge each once per team
        sample = TrackedItem(fingerprint="", title="", team=team, postmortem_key="", kind=kind)
        cache[team, kind] = rules.is_followed(sample, policy)
    return cache[team, kind]


def _tally_sql(conn: Connection, policies: dict[str, FollowupPolicy], spec: RulesSpec,
               tallies: dict[str, _Tally]) -> None:
    """Tallies from `tracked.team_tallies`: the rules in SQL, one row per team and kind."""
    followed: dict[tuple[str, str | None], bool] = {}
    for team, kind, opened, overdue, soon, done, so_far, on_time, late in tracked.team_tallies(conn, *spec):
        if not _followed(followed, policies[team], team, kind):
            continue
        tally = tallies[team]
        tally.open += opened
        tally.overdue += overdue
        tally.due_soon += soon
        tally.done += done
        tally.due_so_far += so_far
        tally.done_on_time += on_time
        tally.overdue_days.extend(late)


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


def _tally_groups(conn: Connection, settings: Settings, teams: Sequence[Team], now: datetime,
                  policies: dict[str, FollowupPolicy], today: dict[str, date], tallies: dict[str, _Tally]
                  ) -> None:
    """Tallies from `tracked.rule_groups`: alike items grouped in SQL, each group judged by the rules."""
    chosen = [team for team in teams if team.name in policies]
    followed: dict[tuple[str, str | None], bool] = {}
    for item, count in tracked.rule_groups(conn, list(policies), latest_today(settings, chosen, now)):
        team = item.team
        policy = policies[team]
        if not _followed(followed, policy, team, item.kind):
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


def figures_by_team(conn: Connection, settings: Settings, teams: Sequence[Team], now: datetime
                    ) -> tuple[list[Figures], Figures]:
    """Each team's figures and the organisation's (sums, rate of the sums, median over every overdue item)."""
    policies = {team.name: settings.followup_policy(team) for team in teams}
    today = {name: rules.local_date(now, rules.zone(policy)) for name, policy in policies.items()}
    tallies = {name: _Tally() for name in policies}
    # On PostgreSQL the rules are stated in SQL (one GROUP BY team and kind); on SQLite
    # (and for disabled teams) alike items are grouped and each group judged by the rules here.
    spec = sql_rules(conn, policies, now)
    in_sql = spec[0] if spec is not None else {}
    if spec is not None and in_sql:
        _tally_sql(conn, policies, spec, tallies)
    others = [name for name in policies if name not in in_sql]
    if others:
        _tally_groups(conn, settings, teams, now, {name: policies[name] for name in others}, today, tallies)
    per_team = [tallies[name].figures(name, median(tallies[name].overdue_days)) for name in policies]
    total = _Tally()
    for tally in tallies.values():
        for name in ("open", "overdue", "due_soon", "done", "due_so_far", "done_on_time"):
            setattr(total, name, getattr(total, name) + getattr(tally, name))
        total.overdue_days.extend(tally.overdue_days)
    return per_team, total.figures("Organisation", median(total.overdue_days))
