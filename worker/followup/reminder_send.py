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
from worker.followup.reminder_rules import Trigger, trigger
from worker.followup.render.reminder_message import reminder_notification, reminder_text
from worker.followup.send_once import send_once
from worker.store.records import TrackedItem
from worker.store.sends import Ledger, masked
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


class _Channels:
    """Where one team's reminders go: the owner's own Apprise URL, else a comment on the ticket."""

    def __init__(self, team: Team, policy: FollowupPolicy, now: datetime, deliver: Deliver,
                 tracker: Callable[[], Tracker | None]) -> None:
        self.team, self.policy, self.now, self.deliver = team, policy, now, deliver
        self._tracker = tracker
        self._trackers: list[Tracker | None] = []  # built once, on the first comment

    def tracker(self) -> Tracker | None:
        if not self._trackers:
            self._trackers.append(self._tracker())
        return self._trackers[0]

    def route(self, reminder: Reminder) -> tuple[str, str, Callable[[], notify.Delivery]] | None:
        """(via, target shown in the ledger, the send), or None when the owner cannot be reached."""
        person, item = reminder.person, reminder.item
        url = person.notify.get_secret_value() if person is not None and person.notify is not None else None
        if url is not None:
            return "notify", masked(url), lambda: self._notify(reminder, url)
        if item.ticket_key and item.assignee:
            return "comment", item.ticket_key, lambda: self._comment(reminder)
        return None

    def _notify(self, reminder: Reminder, url: str) -> notify.Delivery:
        message = reminder_notification(reminder.item, reminder.trigger, reminder.due, self.now, self.policy)
        return self.deliver(url, message)

    def _comment(self, reminder: Reminder) -> notify.Delivery:
        found = self.tracker()
        if found is None:
            raise RuntimeError(f"no tracker credentials for team {self.team.name}")
        item = reminder.item
        assert item.ticket_key is not None and item.assignee is not None
        found.comment(item.ticket_key, reminder_text(reminder.trigger, reminder.due, self.now, self.policy),
                      mention=item.assignee)
        return notify.Delivery(ok=True)


def send_team_reminders(team: Team, policy: FollowupPolicy, items: Iterable[TrackedItem],
                        directory: Directory, ledger: Ledger, now: datetime, *,
                        deliver: Deliver = notify.deliver,
                        tracker: Callable[[], Tracker | None] = lambda: None) -> list[ReminderOutcome]:
    """Send the reminders of one team that are due at `now` and were never sent."""
    if not policy.enabled:
        return []
    channels = _Channels(team, policy, now, deliver, tracker)
    outcomes: list[ReminderOutcome] = []
    for reminder in due_reminders(items, policy, directory, now):
        fingerprint, fired = reminder.item.fingerprint, reminder.trigger.value
        route = channels.route(reminder)
        if route is None:
            outcomes.append(ReminderOutcome(fingerprint, fired, "none", "no-channel"))
            continue
        via, target, action = route
        # A failed reminder is recorded as failed and tried again on the next run, never lost silently.
        state, error = send_once(ledger, team.name, EVER, ledger_channel(reminder.trigger, fingerprint),
                                 target=target, now=now, action=action)
        outcomes.append(ReminderOutcome(fingerprint, fired, via, state, error))
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
