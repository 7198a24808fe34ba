"""Build one team's follow-up report: open actions grouped by owner and postmortem, with a summary.

Definitions (all dates in the team's zone):
- *open*: followed items not done and not dropped; *overdue* and *due soon* are subsets of open.
- *done this period*: items resolved as done during the last completed report period
  `[period.previous_start, period.start)`, so a report re-sent within its period says the same thing.
- *completion rate against the deadline*: among followed, non-dropped items whose due date is today or
  earlier ("due so far"), the share done on or before their due date. Items not due yet do not count,
  early or not; `None` when nothing is due so far.
- *dropped* (GitHub `not_planned`, Jira Won't Do) items are counted separately and listed when they were
  dropped during the last completed period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from config.teams import FollowupPolicy
from worker.followup import rules
from worker.followup.items import ItemState, TrackedItem

UNASSIGNED = "(unassigned)"
_STATE_ORDER = {ItemState.OVERDUE: 0, ItemState.DUE_SOON: 1, ItemState.OPEN: 2, ItemState.DONE: 3,
                ItemState.DROPPED: 4}


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One action in the report."""

    item: TrackedItem
    state: ItemState
    due: date | None
    days_overdue: int | None  # set when overdue
    days_left: int | None  # set when open with a due date
    escalate: bool = False


@dataclass(frozen=True, slots=True)
class PostmortemGroup:
    key: str
    title: str
    url: str | None
    lines: tuple[ReportLine, ...]


@dataclass(frozen=True, slots=True)
class OwnerGroup:
    owner: str
    postmortems: tuple[PostmortemGroup, ...]

    @property
    def lines(self) -> tuple[ReportLine, ...]:
        return tuple(line for group in self.postmortems for line in group.lines)


@dataclass(frozen=True, slots=True)
class Summary:
    open: int
    overdue: int
    due_soon: int
    done_this_period: int
    dropped: int
    due_so_far: int
    done_on_time: int

    @property
    def completion_rate(self) -> float | None:
        """Share of the items due so far that were done by their due date (None: nothing due yet)."""
        return self.done_on_time / self.due_so_far if self.due_so_far else None


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """Open and overdue counts of a team on one day (from the store's daily snapshots)."""

    day: date
    open: int
    overdue: int


@dataclass(frozen=True, slots=True)
class TeamReport:
    team: str
    generated_at: datetime
    timezone: str
    period: rules.Period
    owners: tuple[OwnerGroup, ...]
    dropped: tuple[ReportLine, ...]
    escalations: tuple[ReportLine, ...]
    escalate_to_names: tuple[str, ...]
    summary: Summary
    history: tuple[HistoryPoint, ...] = field(default_factory=tuple)
    escalation: bool = False  # an escalation digest (only items past the escalation threshold)

    @property
    def needs_attention(self) -> bool:
        """Something is overdue or due soon: the report is worth sending even without all_clear."""
        return self.summary.overdue > 0 or self.summary.due_soon > 0

    @property
    def title(self) -> str:
        if self.escalation:
            return f"Escalation: overdue follow-up actions of {self.team}"
        return f"Follow-up report for {self.team}"


def escalation_digest(report: TeamReport) -> TeamReport:
    """The same report narrowed to the items past the escalation threshold, for the escalation targets."""
    return replace(report, owners=_group(report.escalations), dropped=(), history=(), escalation=True)


def _line(item: TrackedItem, policy: FollowupPolicy, now: datetime) -> ReportLine:
    due = rules.effective_due(item, policy, item.approved_at)
    current = rules.state(item, due, now, policy)
    overdue = rules.days_overdue(due, now, policy) if due and current is ItemState.OVERDUE else None
    pending = current in (ItemState.OPEN, ItemState.DUE_SOON)
    left = rules.days_left(due, now, policy) if due and pending else None
    return ReportLine(item=item, state=current, due=due, days_overdue=overdue, days_left=left,
                      escalate=rules.escalation_due(item, due, now, policy))


def _sort_key(line: ReportLine) -> tuple[int, int, date, str]:
    return (_STATE_ORDER[line.state], -(line.days_overdue or 0), line.due or date.max, line.item.title)


def _group(lines: Sequence[ReportLine]) -> tuple[OwnerGroup, ...]:
    by_owner: dict[str, dict[str, list[ReportLine]]] = defaultdict(lambda: defaultdict(list))
    for line in lines:
        by_owner[line.item.owner_label][line.item.postmortem_key].append(line)
    owners = []
    # Owners with the worst overdue item first; then by name, "(unassigned)" last among equals.
    for owner, groups in by_owner.items():
        pm_groups = []
        for key, pm_lines in groups.items():
            pm_lines.sort(key=_sort_key)
            first = pm_lines[0].item
            pm_groups.append(PostmortemGroup(key=key, title=first.postmortem_title or key,
                                             url=first.postmortem_url, lines=tuple(pm_lines)))
        pm_groups.sort(key=lambda group: (_sort_key(group.lines[0]), group.title))
        owners.append(OwnerGroup(owner=owner, postmortems=tuple(pm_groups)))
    owners.sort(key=lambda group: (-max(line.days_overdue or 0 for line in group.lines),
                                   group.owner == UNASSIGNED, group.owner.lower()))
    return tuple(owners)


def build_report(team: str, items: Iterable[TrackedItem], policy: FollowupPolicy, now: datetime, *,
                 history: Sequence[HistoryPoint] = ()) -> TeamReport:
    """The team's report at `now` over the items its policy follows up."""
    tz = rules.zone(policy)
    period = rules.report_period(policy.schedule, now, tz)
    today = rules.local_date(now, tz)
    lines = [_line(item, policy, now) for item in items if rules.is_followed(item, policy)]

    def in_last_period(moment: datetime | None) -> bool:
        return moment is not None and period.previous_start <= moment < period.start

    open_lines = [line for line in lines if line.state not in (ItemState.DONE, ItemState.DROPPED)]
    dropped = [line for line in lines if line.state is ItemState.DROPPED]
    done = [line for line in lines if line.state is ItemState.DONE]
    due_so_far = [line for line in lines
                  if line.state is not ItemState.DROPPED and line.due is not None and line.due <= today]
    summary = Summary(
        open=len(open_lines),
        overdue=sum(line.state is ItemState.OVERDUE for line in open_lines),
        due_soon=sum(line.state is ItemState.DUE_SOON for line in open_lines),
        done_this_period=sum(in_last_period(line.item.resolved_at) for line in done),
        dropped=len(dropped),
        due_so_far=len(due_so_far),
        done_on_time=sum(rules.done_on_time(line.item, line.due, policy) for line in due_so_far),
    )
    escalations = sorted((line for line in open_lines if line.escalate), key=_sort_key)
    names = tuple(target.get_secret_value() for target in policy.escalate_to
                  if "://" not in target.get_secret_value())
    recent_dropped = sorted((line for line in dropped if in_last_period(line.item.resolved_at)),
                            key=_sort_key)
    return TeamReport(
        team=team, generated_at=now, timezone=policy.timezone or "UTC", period=period,
        owners=_group(open_lines), dropped=tuple(recent_dropped), escalations=tuple(escalations),
        escalate_to_names=names if escalations else (), summary=summary, history=tuple(history),
    )
