"""Send owners their reminders: to their own channel from the directory, else a ticket comment mentioning
the assignee; at most one per item and trigger, ever, through the send ledger.

The ledger row is (team, EVER, "remind-<trigger>:<fingerprint>"): claimed before sending like a report
channel, so concurrent beats or workers send it once; a failed reminder is tried again on the next run
while its trigger still holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from config.settings import Settings
from config.teams import FollowupPolicy, Person, Team
from connectors import notify
from connectors.tracker import TicketStatus, Tracker
from worker.followup import rules
from worker.followup.items import TrackedItem
from worker.followup.ledger import SENT, SKIPPED, Ledger, masked
from worker.followup.reminder_rules import Trigger, trigger
from worker.followup.render.reminder_message import reminder_notification, reminder_text
from worker.store.tracked import FollowupStore

#: Period of reminder rows in the ledger: a reminder belongs to no report period, it is sent once ever.
EVER = datetime(1970, 1, 1, tzinfo=UTC)

Deliver = Callable[[str, notify.Notification], notify.Delivery]
TrackerFor = Callable[[Team], Tracker | None]


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder an item is due for, and where it goes."""

    item: TrackedItem
    trigger: Trigger
    due: str  # ISO date
    person: Person | None


@dataclass(frozen=True, slots=True)
class ReminderOutcome:
    fingerprint: str
    trigger: str
    via: str  # "notify" | "comment" | "none"
    state: str  # sent | failed | already-sent | busy | no-channel
    error: str | None = None


def ledger_channel(trigger: Trigger, fingerprint: str) -> str:
    return f"remind-{trigger.value}:{fingerprint}"


class Directory:
    """People by tracker id and by name or alias (case-insensitive), to find an item's owner."""

    def __init__(self, people: Iterable[Person]) -> None:
        self._by_id: dict[str, Person] = {}
        self._by_name: dict[str, Person] = {}
        for person in people:
            for user_id in (person.jira_account_id, person.github_login):
                if user_id:
                    self._by_id[user_id.casefold()] = person
            for name in (person.name, *person.aliases, person.email or ""):
                if name:
                    self._by_name.setdefault(name.strip().casefold(), person)

    def owner_of(self, item: TrackedItem) -> Person | None:
        """The assignee's person, else the person the document names as owner."""
        if item.assignee and (person := self._by_id.get(item.assignee.casefold())):
            return person
        if item.owner:
            return self._by_name.get(item.owner.strip().casefold())
        return None


def due_reminders(items: Iterable[TrackedItem], policy: FollowupPolicy, directory: Directory,
                  now: datetime) -> list[Reminder]:
    """The reminders the team's open, followed items are due for at `now` (each in its owner's zone)."""
    reminders = []
    team_zone = rules.zone(policy)
    for item in items:
        if item.status is not TicketStatus.OPEN or not rules.is_followed(item, policy):
            continue
        due = rules.effective_due(item, policy, item.approved_at)
        person = directory.owner_of(item)
        tz = ZoneInfo(person.timezone) if person is not None and person.timezone else team_zone
        fired = trigger(due, now, tz, policy)
        if fired is not None and due is not None:
            reminders.append(Reminder(item=item, trigger=fired, due=due.isoformat(), person=person))
    return reminders


def send_team_reminders(team: Team, policy: FollowupPolicy, items: Iterable[TrackedItem],
                        directory: Directory, ledger: Ledger, now: datetime, *,
                        deliver: Deliver = notify.deliver,
                        tracker: Callable[[], Tracker | None] = lambda: None) -> list[ReminderOutcome]:
    """Send the reminders of one team that are due at `now` and were never sent."""
    if not policy.enabled:
        return []
    outcomes: list[ReminderOutcome] = []
    trackers: list[Tracker | None] = []  # built once, on the first comment

    def the_tracker() -> Tracker | None:
        if not trackers:
            trackers.append(tracker())
        return trackers[0]

    for reminder in due_reminders(items, policy, directory, now):
        item = reminder.item
        channel = ledger_channel(reminder.trigger, item.fingerprint)
        person = reminder.person
        url = person.notify.get_secret_value() if person is not None and person.notify is not None else None
        if url is not None:
            via, target = "notify", masked(url)
        elif item.ticket_key and item.assignee:
            via, target = "comment", item.ticket_key
        else:
            outcomes.append(ReminderOutcome(item.fingerprint, reminder.trigger.value, "none", "no-channel"))
            continue
        ledger.ensure(team.name, EVER, channel, target=target, now=now)
        if not ledger.claim(team.name, EVER, channel, now=now):
            row = next((r for r in ledger.rows(team=team.name, period_start=EVER) if r.channel == channel),
                       None)
            state = "already-sent" if row is not None and row.state in (SENT, SKIPPED) else "busy"
            outcomes.append(ReminderOutcome(item.fingerprint, reminder.trigger.value, via, state))
            continue
        try:
            if url is not None:
                message = reminder_notification(item, reminder.trigger, reminder.due, now, policy)
                result = deliver(url, message)
            else:
                found = the_tracker()
                if found is None:
                    raise RuntimeError(f"no tracker credentials for team {team.name}")
                assert item.ticket_key is not None and item.assignee is not None
                found.comment(item.ticket_key, reminder_text(reminder.trigger, reminder.due, now, policy),
                              mention=item.assignee)
                result = notify.Delivery(ok=True)
        except Exception as exc:  # recorded as failed and tried again on the next run, never lost silently
            result = notify.Delivery(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
        ledger.finish(team.name, EVER, channel, ok=result.ok, error=result.error, now=now)
        outcomes.append(ReminderOutcome(item.fingerprint, reminder.trigger.value, via,
                                        "sent" if result.ok else "failed", result.error))
    return outcomes


def send_reminders(settings: Settings, store: FollowupStore, now: datetime, *, teams: Iterable[Team],
                   deliver: Deliver = notify.deliver,
                   tracker_for: TrackerFor | None = None) -> dict[str, list[ReminderOutcome]]:
    """Send every due reminder of the given teams."""
    if tracker_for is None:
        from connectors.factory import build_tracker

        def tracker_for(team: Team) -> Tracker | None:
            return build_tracker(settings, team)

    ledger = Ledger(store.engine)
    directory = Directory(settings.people)
    results = {}
    for team in teams:
        policy = settings.followup_policy(team)
        items = store.tracked_items(team.name, people=settings.people)
        results[team.name] = send_team_reminders(
            team, policy, items, directory, ledger, now, deliver=deliver,
            tracker=lambda team=team: tracker_for(team))  # type: ignore[misc]
    return results
