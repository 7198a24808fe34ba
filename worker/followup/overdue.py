"""Overdue counts and lines over the store, by the report's rules: the one place every view takes them from.

SQL (`worker.store.tracked`) narrows to rows that may be overdue and groups identical ones; each group or
item is then judged by `rules.overdue_due`, with the team's policy (zone, default due dates, followed kinds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from config.kinds import normalise_kind
from config.settings import Settings
from config.teams import FollowupPolicy, Team
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


#: What the SQL statement of the rules needs: each team's policy and today, and the default due dates
#: SQL cannot count itself (business days, holiday calendars).
RulesSpec = tuple[dict[str, tuple[FollowupPolicy, date]], dict[tuple[str, date, int], date]]


def sql_rules(conn: Connection, policies: dict[str, FollowupPolicy], now: datetime) -> RulesSpec | None:
    """The rules of these teams for `tracked.team_tallies` and `tracked.overdue_rows` (PostgreSQL and
    enabled teams only; None elsewhere): default due dates in business days or with a holiday calendar
    are computed here, by `rules.default_due`, for each approval day the teams' postmortems have."""
    if conn.dialect.name != "postgresql":
        return None
    teams = {name: (policy, rules.local_date(now, rules.zone(policy)))
             for name, policy in policies.items() if policy.enabled}
    counted = {name: policy for name, (policy, _) in teams.items() if not tracked.sql_rules_apply(policy)}
    defaults: dict[tuple[str, date, int], date] = {}
    if counted:
        zones = {name: policy.timezone or "UTC" for name, policy in counted.items()}
        for team, start in tracked.approval_days(conn, zones):
            policy = counted[team]
            for days in {*policy.due_days_by_priority.values(), policy.due_days_default}:
                defaults[team, start, days] = rules.default_due(start, days, policy)
    return teams, defaults


@dataclass(frozen=True, slots=True)
class OverduePage:
    """One page of overdue lines (most overdue first), how many there are in all, and their owners."""

    lines: list[OverdueLine]
    total: int
    owners: list[str]


def overdue_page(conn: Connection, settings: Settings, teams: Sequence[Team], now: datetime, *,
                 kind: str | None = None, priority: str | None = None, owner: str | None = None,
                 number: int = 1, size: int = 100) -> OverduePage:
    """Page `number` of the overdue lines of these teams at `now`, most overdue first, optionally one
    owner's (as grouped in reports), with the total and every owner before that filter.

    On PostgreSQL the rule runs in SQL (`sql_rules`) and only the lines shown become `TrackedItem`s; on
    SQLite (and for disabled teams) every line is built and judged here by `overdue_lines`."""
    policies = {team.name: settings.followup_policy(team) for team in teams}
    spec = sql_rules(conn, policies, now)
    in_sql = spec[0] if spec is not None else {}
    # (days overdue, team, title, owner label, a SQL row or a built line, its postmortem and fingerprint)
    # for every overdue line; the last two only settle ties, so that pages never overlap.
    entries: list[tuple[int, str, str, str, Any, str, str]] = [
        (line.days_overdue, line.item.team, line.item.title, line.item.owner_label, line,
         line.item.postmortem_key, line.item.fingerprint)
        for line in overdue_lines(conn, settings, [t for t in teams if t.name not in in_sql], now,
                                  kind=kind, priority=priority)]
    if spec is not None and in_sql:
        entries += _sql_entries(conn, settings, spec, kind=kind, priority=priority)
    owners = sorted({entry[3] for entry in entries}, key=str.lower)
    picked = entries if owner is None else [entry for entry in entries if entry[3] == owner]
    # Most overdue first, then team and title (any case), then identity: the keys as plain tuples sorted
    # natively (a key function per line costs more than the sort), the last field the line's place.
    order = sorted([(-entry[0], entry[1].lower(), entry[2].lower(), entry[5], entry[6], n)
                    for n, entry in enumerate(picked)])
    shown = [picked[key[5]] for key in order[(number - 1) * size : number * size]]
    names = display_names(settings.people)
    rows = tracked.tracked_rows(conn, [e[4][10] for e in shown if not isinstance(e[4], OverdueLine)])
    lines = [entry[4] if isinstance(entry[4], OverdueLine) else
             OverdueLine(item=tracked.tracked_item(rows[entry[4][10]], names), due=entry[4][9],
                         days_overdue=entry[0])
             for entry in shown]
    return OverduePage(lines=lines, total=len(picked), owners=owners)


def _sql_entries(conn: Connection, settings: Settings, spec: RulesSpec, *,
                 kind: str | None, priority: str | None) -> list[tuple[int, str, str, str, Any, str, str]]:
    """`overdue_page` entries from `tracked.overdue_rows`: followed kinds kept, owner labels as reports
    group them, no `TrackedItem` built."""
    names = display_names(settings.people)
    wanted = normalise_kind(kind) if kind is not None else None
    followed: dict[tuple[str, str | None], bool] = {}
    entries = []
    teams, defaults = spec
    for row in tracked.overdue_rows(conn, teams, defaults, priority=priority):
        late, team, title, ticket_assignee, written_assignee, item_owner, raw_kind, pm_key, fp, _, _ = row
        if (team, raw_kind) not in followed:  # a handful of kinds: judged once per team
            sample = TrackedItem(fingerprint="", title="", team=team, postmortem_key="", kind=raw_kind)
            followed[team, raw_kind] = rules.is_followed(sample, teams[team][0]) and (
                kind is None or normalise_kind(raw_kind) == wanted)
        if followed[team, raw_kind]:
            assignee = ticket_assignee or written_assignee
            name = names.get(assignee.lower()) if assignee else None
            label = name or assignee or item_owner or "(unassigned)"  # as TrackedItem.owner_label
            entries.append((late, team, title, label, row, pm_key, fp))
    return entries
