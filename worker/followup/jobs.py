"""Follow-up jobs the CLI and the Celery tasks call: refresh statuses, snapshot history, build and send."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from config.settings import Settings
from config.teams import Team
from connectors import notify
from connectors.tracker import Tracker
from worker.errors import UserError
from worker.followup import reminder_send, rules
from worker.followup.deliver import Commenter, Deliver, SendResult, send_team_report
from worker.followup.refresh import RefreshResult, destination_key, group_by_destination, refresh_statuses
from worker.followup.reminder_send import ReminderOutcome
from worker.followup.report import ReportLine, TeamReport, build_report
from worker.store.sends import Ledger
from worker.store.tracked import FollowupStore

#: How far back the report's chart looks.
HISTORY_WEEKS = 8

TrackerFor = Callable[[Team], Tracker | None]


def default_tracker_for(settings: Settings) -> TrackerFor:
    """Trackers built from the settings (None for a team whose tracker has no credentials)."""
    from connectors.factory import build_tracker

    return lambda team: build_tracker(settings, team)


def select_teams(settings: Settings, team: str | None) -> list[Team]:
    """The named team, or every configured team; a name that is not configured is a user error."""
    if team is None:
        return list(settings.teams.values())
    found = settings.teams.get(team)
    if found is None:
        known = ", ".join(sorted(settings.teams)) or "none configured"
        raise UserError(f"unknown team {team!r} (teams: {known})")
    return [found]


def team_report(settings: Settings, store: FollowupStore, team: Team, now: datetime) -> TeamReport:
    """Build the team's report at `now` from the store, with its history for the chart."""
    policy = settings.followup_policy(team)
    since = rules.local_date(now, rules.zone(policy)) - timedelta(weeks=HISTORY_WEEKS)
    return build_report(team.name, store.tracked_items(team.name, people=settings.people), policy, now,
                        history=store.history(team.name, since=since),
                        full_report_url=full_report_url(settings, team.name))


def full_report_url(settings: Settings, team: str) -> str | None:
    """The team's full report on the dashboard, when FOLLOWTHROUGH_PUBLIC_URL is set."""
    if not settings.public_url:
        return None
    return f"{settings.public_url.rstrip('/')}/teams/{quote(team, safe='')}"


def snapshot_history(settings: Settings, store: FollowupStore, now: datetime,
                     teams: Sequence[Team] | None = None) -> None:
    """Record each team's open and overdue counts for today (in the team's zone)."""
    for team in teams if teams is not None else settings.teams.values():
        policy = settings.followup_policy(team)
        report = build_report(team.name, store.tracked_items(team.name), policy, now)
        store.record_history(team.name, rules.local_date(now, rules.zone(policy)),
                             open_count=report.summary.open, overdue=report.summary.overdue, now=now)


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    result: RefreshResult
    skipped: tuple[str, ...]  # destinations without tracker credentials


def refresh(settings: Settings, store: FollowupStore, now: datetime, *, team: str | None = None,
            tracker_for: TrackerFor | None = None) -> RefreshOutcome:
    """Bulk-refresh ticket states of the selected teams, then snapshot their history."""
    teams = select_teams(settings, team)
    tracker_for = tracker_for or default_tracker_for(settings)
    trackers: dict[str, Tracker] = {}
    skipped: list[str] = []
    for destination, members in group_by_destination(teams).items():
        tracker = tracker_for(members[0])
        if tracker is None:
            skipped.append(destination)
        else:
            trackers[destination] = tracker
    reachable = [t.name for t in teams if destination_key(t) in trackers]
    result = refresh_statuses(settings, store, lambda t: trackers[destination_key(t)], now, teams=reachable)
    snapshot_history(settings, store, now, teams)
    return RefreshOutcome(result=result, skipped=tuple(skipped))


def overdue_comment(line: ReportLine) -> str:
    """The weekly reminder posted on an overdue ticket; the connector puts the assignee's mention first."""
    due = line.due.isoformat() if line.due else "its due date"
    return (f"Follow-up reminder: this postmortem action is {line.days_overdue} day(s) overdue (due {due}). "
            "Please close it, update its due date, or mark it won't do if it is no longer needed.")


def _builder(settings: Settings, store: FollowupStore, team: Team, now: datetime) -> Callable[[], TeamReport]:
    return lambda: team_report(settings, store, team, now)


def send_reports(settings: Settings, store: FollowupStore, now: datetime, *, team: str | None = None,
                 deliver: Deliver = notify.deliver,
                 tracker_for: TrackerFor | None = None) -> list[SendResult]:
    """Send this period's report of each selected team that has not had it yet."""
    ledger = Ledger(store.engine)
    results = []
    for selected in select_teams(settings, team):
        policy = settings.followup_policy(selected)
        commenter: Commenter | None = None
        if policy.comment_on_overdue:
            trackers = tracker_for or default_tracker_for(settings)
            tracker = trackers(selected)
            if tracker is not None:
                def post(key: str, line: ReportLine, tracker: Tracker = tracker) -> None:
                    tracker.comment(key, overdue_comment(line), mention=line.item.assignee)

                commenter = post
        results.append(send_team_report(selected.name, policy, _builder(settings, store, selected, now),
                                        ledger, now, deliver=deliver, commenter=commenter))
    return results


def send_reminders(settings: Settings, store: FollowupStore, now: datetime, *, team: str | None = None,
                   deliver: Deliver = notify.deliver,
                   tracker_for: TrackerFor | None = None) -> dict[str, list[ReminderOutcome]]:
    """Send the owner reminders of each selected team that are due at `now` and were never sent."""
    return reminder_send.send_reminders(settings, store, now, teams=select_teams(settings, team),
                                        deliver=deliver, tracker_for=tracker_for)
