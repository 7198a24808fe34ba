"""Follow-up figures per team and for the organisation, by the report's own definitions.

Every state, due date and rate comes from `worker.followup.report.build_report` and `worker.followup.rules`,
so the dashboard says exactly what `followthrough report --format json` says for the same store and moment.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from config.settings import Settings
from config.teams import Team
from connectors.tracker import TicketStatus
from worker.followup import rules
from worker.followup.items import ItemState
from worker.followup.report import TeamReport, build_report
from worker.store.records import TrackedItem


@dataclass(frozen=True, slots=True)
class Figures:
    """The headline numbers of one team or of several together."""

    name: str
    open: int
    overdue: int
    due_soon: int
    done: int  # followed items done, whenever they were done
    due_so_far: int
    done_on_time: int
    median_days_overdue: float | None

    @property
    def completion_rate(self) -> float | None:
        """Items done by their due date ÷ items due so far (the report's definition); None: none due."""
        return self.done_on_time / self.due_so_far if self.due_so_far else None


@dataclass(frozen=True, slots=True)
class TeamView:
    """A team's report with the dashboard's figures."""

    team: Team
    report: TeamReport
    figures: Figures


def median(values: Sequence[int]) -> float | None:
    """The median, or None for no values."""
    return float(statistics.median(values)) if values else None


def team_view(settings: Settings, team: Team, items: Iterable[TrackedItem], now: datetime) -> TeamView:
    """Build the team's report at `now` over `items` and take its figures."""
    policy = settings.followup_policy(team)
    items = list(items)
    report = build_report(team.name, items, policy, now)
    done = sum(1 for item in items if item.status is TicketStatus.DONE and rules.is_followed(item, policy))
    overdue_days = [line.days_overdue for owner in report.owners for line in owner.lines
                    if line.days_overdue is not None and line.state is ItemState.OVERDUE]
    s = report.summary
    figures = Figures(name=team.name, open=s.open, overdue=s.overdue, due_soon=s.due_soon, done=done,
                      due_so_far=s.due_so_far, done_on_time=s.done_on_time,
                      median_days_overdue=median(overdue_days))
    return TeamView(team=team, report=report, figures=figures)
