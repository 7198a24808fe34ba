"""Build one team's follow-up report: open actions grouped by owner and postmortem, with a summary.

Definitions (all dates in the team's zone):
- *open*: followed items not done and not dropped; *overdue* and *due soon* are subsets of open.
- *done this period*: items resolved as done during the last completed report period
  `[period.previous_start, period.start)`, so a report re-sent within its period says the same thing.
- *completion rate against the deadline*: among followed, non-dropped items whose due date is today or
  earlier ("due so far"), the share done on or before their due date. Items not due yet do not count,
  early or not; `None` when nothing is due so far.
- *dropped* (GitHub `not_planned`, Jira Won't Do) items are counted separately and listed from the start of
  the last completed period up to now, so a ticket dropped this week shows in this week's previews and in
  the next report.

A report sent to a channel is a digest of the full report (`trim`): overdue first, then due soon, at most
N lines per owner then "and K more", items due later as counts only, and a pointer to the full report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from natsort import natsort_keygen, ns

from config.teams import FollowupPolicy
from worker.followup import rules
from worker.followup.items import ItemState
from worker.store.records import HistoryPoint, TrackedItem

UNASSIGNED = "(unassigned)"
#: Natural, case-insensitive order: "component 2" before "component 10".
_natural = natsort_keygen(alg=ns.IGNORECASE)
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
    hidden: int = 0  # overdue or due-soon actions left out of a digest ("and K more")
    later: int = 0  # open actions due later, counted but not listed in a digest

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
    #: The full report on the dashboard (FOLLOWTHROUGH_PUBLIC_URL), when there is one.
    full_report_url: str | None = None
    #: Set on a digest (see `trim`): owners left out entirely, their urgent actions, and the open
    #: actions due later that are counted, not listed.
    digest: bool = False
    hidden_owners: int = 0
    hidden_owner_items: int = 0
    later: int = 0
    hidden_dropped: int = 0

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


def _sort_key(line: ReportLine) -> tuple[object, ...]:
    return (_STATE_ORDER[line.state], -(line.days_overdue or 0), line.due or date.max,
            _natural(line.item.title), line.item.ticket_key or "")


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
        pm_groups.sort(key=lambda group: (_sort_key(group.lines[0]), _natural(group.title)))
        owners.append(OwnerGroup(owner=owner, postmortems=tuple(pm_groups)))
    owners.sort(key=lambda group: (-max(line.days_overdue or 0 for line in group.lines),
                                   group.owner == UNASSIGNED, _natural(group.owner)))
    return tuple(owners)


_URGENT = (ItemState.OVERDUE, ItemState.DUE_SOON)


@dataclass(frozen=True, slots=True)
class OwnerUrgency:
    """One owner's overdue and due-soon lines in digest order, and how many of theirs are due later."""

    owner: str
    urgent: tuple[ReportLine, ...]
    later: int


def urgency(report: TeamReport) -> tuple[OwnerUrgency, ...]:
    """Each owner's digest order, worked out once for the many trims `fit` tries."""
    return tuple(OwnerUrgency(owner=owner.owner,
                              urgent=tuple(sorted((line for line in owner.lines if line.state in _URGENT),
                                                  key=_sort_key)),
                              later=sum(line.state not in _URGENT for line in owner.lines))
                 for owner in report.owners)


def trim(report: TeamReport, *, per_owner: int, max_owners: int | None = None,
         prepared: Sequence[OwnerUrgency] | None = None) -> TeamReport:
    """A digest of the report: per owner its overdue then due-soon actions, at most `per_owner` of them,
    items due later only counted; at most `max_owners` owners (None: all), worst first.

    `prepared` is `urgency(report)`, when the caller trims the same report several times.
    """
    owners: list[OwnerGroup] = []
    later = left_out = left_out_items = 0
    for entry in prepared if prepared is not None else urgency(report):
        later += entry.later
        if not entry.urgent:
            continue
        if max_owners is not None and len(owners) >= max_owners:
            left_out += 1
            left_out_items += len(entry.urgent)
            continue
        shown = entry.urgent[:per_owner]
        # Keep the postmortem grouping, in the order of each postmortem's most urgent shown action.
        groups: dict[str, list[ReportLine]] = {}
        for line in shown:
            groups.setdefault(line.item.postmortem_key, []).append(line)
        pm_groups = []
        for key, pm_lines in groups.items():
            first = pm_lines[0].item
            pm_groups.append(PostmortemGroup(key=key, title=first.postmortem_title or key,
                                             url=first.postmortem_url, lines=tuple(pm_lines)))
        owners.append(OwnerGroup(owner=entry.owner, postmortems=tuple(pm_groups),
                                 hidden=len(entry.urgent) - len(shown), later=entry.later))
    dropped = report.dropped[:per_owner if max_owners is None else min(per_owner, max_owners)]
    return replace(report, owners=tuple(owners), digest=True, later=later, hidden_owners=left_out,
                   hidden_owner_items=left_out_items, dropped=dropped,
                   hidden_dropped=len(report.dropped) - len(dropped))


def _summary(lines: Sequence[ReportLine], policy: FollowupPolicy, period: rules.Period,
             today: date) -> Summary:
    """The counts over the report's lines (see the module's definitions)."""
    open_lines = [line for line in lines if line.state not in (ItemState.DONE, ItemState.DROPPED)]
    due_so_far = [line for line in lines
                  if line.state is not ItemState.DROPPED and line.due is not None and line.due <= today]
    return Summary(
        open=len(open_lines),
        overdue=sum(line.state is ItemState.OVERDUE for line in open_lines),
        due_soon=sum(line.state is ItemState.DUE_SOON for line in open_lines),
        done_this_period=sum(line.state is ItemState.DONE and _in_last_period(line.item.resolved_at, period)
                             for line in lines),
        dropped=sum(line.state is ItemState.DROPPED for line in lines),
        due_so_far=len(due_so_far),
        done_on_time=sum(rules.done_on_time(line.item, line.due, policy) for line in due_so_far),
    )


def _in_last_period(moment: datetime | None, period: rules.Period) -> bool:
    return moment is not None and period.previous_start <= moment < period.start


def _since_last_period(moment: datetime | None, period: rules.Period, now: datetime) -> bool:
    """From the start of the last completed period up to now: where a report lists what was dropped."""
    return moment is not None and period.previous_start <= moment <= now


def _escalation_names(policy: FollowupPolicy) -> tuple[str, ...]:
    """The escalation contacts that are names (the URLs are channels the escalation digest is sent to)."""
    return tuple(target.get_secret_value() for target in policy.escalate_to
                 if "://" not in target.get_secret_value())


def build_report(team: str, items: Iterable[TrackedItem], policy: FollowupPolicy, now: datetime, *,
                 history: Sequence[HistoryPoint] = (), full_report_url: str | None = None) -> TeamReport:
    """The team's report at `now` over the items its policy follows up."""
    tz = rules.zone(policy)
    period = rules.report_period(policy.schedule, now, tz)
    lines = [_line(item, policy, now) for item in items if rules.is_followed(item, policy)]
    open_lines = [line for line in lines if line.state not in (ItemState.DONE, ItemState.DROPPED)]
    escalations = sorted((line for line in open_lines if line.escalate), key=_sort_key)
    recent_dropped = sorted((line for line in lines if line.state is ItemState.DROPPED
                             and _since_last_period(line.item.resolved_at, period, now)), key=_sort_key)
    return TeamReport(
        team=team, generated_at=now, timezone=policy.timezone or "UTC", period=period,
        owners=_group(open_lines), dropped=tuple(recent_dropped), escalations=tuple(escalations),
        escalate_to_names=_escalation_names(policy) if escalations else (),
        summary=_summary(lines, policy, period, rules.local_date(now, tz)), history=tuple(history),
        full_report_url=full_report_url,
    )
