"""A small store the way sync and follow-up leave it, with tickets in the Jira stand-in (real URLs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from connectors.tracker import Ticket, TicketBody, TicketDraft, TicketFields, TicketStatus, Tracker
from tests.standins.jira import JiraStandIn
from worker.models import ActionItem, Postmortem
from worker.store import Store
from worker.store.tracked import FollowupStore

#: The moment every test looks at the store (a Monday morning in Berlin).
AT = "2026-03-30T09:00:00+02:00"
NOW = datetime.fromisoformat(AT)
HOSTILE = "Add <script>document.title='pwned'</script> alert"


@dataclass(frozen=True, slots=True)
class Spec:
    title: str
    due: date | None = None
    kind: str | None = "prevent"
    priority: str | None = None
    owner: str | None = None
    assignee: str | None = None
    done_at: datetime | None = None  # the ticket was closed as done then


def _save(store: Store, key: str, team: str, title: str, approved: datetime, specs: Sequence[Spec]) -> None:
    actions = tuple(ActionItem(title=s.title, fingerprint=f"{key}-{n}", due=s.due, kind=s.kind,
                               priority=s.priority, owner=s.owner) for n, s in enumerate(specs))
    store.save_postmortem(Postmortem(identity=f"id-{key}", title=title, owner="Ana", action_items=actions),
                          key=key, source=f"https://docs.example.com/{key}", team=team, content_hash=key,
                          content=None, approved_at=approved, now=approved)


def postmortem(store: Store, followup: FollowupStore, tracker: Tracker, *, key: str, team: str, title: str,
               approved: datetime, specs: Sequence[Spec]) -> list[Ticket]:
    """Store a postmortem, create its tickets in the tracker and record done ones as resolved."""
    _save(store, key, team, title, approved, specs)
    drafts = [TicketDraft(fingerprint=f"{key}-{n}", postmortem_key=key,
                          fields=TicketFields(title=s.title, due=s.due, assignee=s.assignee),
                          body=TicketBody(kind=s.kind)) for n, s in enumerate(specs)]
    tickets = []
    for spec, outcome in zip(specs, tracker.create_tickets(drafts), strict=True):
        assert outcome.ticket is not None, outcome.error
        store.record_ticket(key, outcome.draft.fingerprint, outcome.ticket, tracker=tracker.kind,
                            now=approved)
        tickets.append(outcome.ticket)
        if spec.done_at is not None:
            made = outcome.ticket
            closed = Ticket(key=made.key, url=made.url, fingerprint=made.fingerprint, fields=made.fields,
                            status=TicketStatus.DONE, status_name="Done", updated=spec.done_at)
            followup.apply_tickets([closed], now=spec.done_at)
    return tickets


PEOPLE = {"acc-ana": "Ana Alves", "acc-ben": "Ben Brown", "acc-cleo": "Cleo Cruz", "acc-dev": "Dev Das"}


def seed(store: Store, tracker: Tracker, standin: JiraStandIn) -> dict[str, list[Ticket]]:
    """Two teams, three postmortems: overdue, due soon, open, done on time and late, a mitigation (not
    followed), a needs-owner ticket, an item removed from its document, a sync with a conflict, history."""
    for account_id, name in PEOPLE.items():
        standin.add_user(name, account_id=account_id)
    followup = FollowupStore(store)
    t = datetime(2026, 2, 2, 9, tzinfo=UTC)
    made = {
        "pm-db": postmortem(store, followup, tracker, key="pm-db", team="sre", title="DB <b>outage</b>",
                            approved=t, specs=[
            Spec(HOSTILE, date(2026, 3, 20), "detect", "P2", "Ana", "acc-ana"),
            Spec("Write runbook", None, "process", None, "Ben", "acc-ben"),  # default due: today, due soon
            Spec("Tune GC", date(2026, 3, 1), "investigate", None, "Ben", "acc-ben"),  # not followed
            Spec("Fix backups", date(2026, 3, 10), "prevent", "P1", "Ana", "acc-ana",
                 done_at=datetime(2026, 3, 5, 12, tzinfo=UTC)),
        ]),
        "pm-cdn": postmortem(store, followup, tracker, key="pm-cdn", team="web", title="CDN purge storm",
                             approved=t - timedelta(days=20), specs=[
            Spec("Rotate keys", date(2026, 3, 25), "prevent", "P1", "Cleo", "acc-cleo"),
            Spec("Shard queue", date(2026, 4, 20), "prevent", "P2", "Nobody Known", None),
            Spec("Add dashboards", date(2026, 3, 1), "detect", "P3", "Cleo", "acc-cleo",
                 done_at=datetime(2026, 3, 15, 12, tzinfo=UTC)),
            Spec("Retire old proxy", date(2026, 3, 2), "prevent", "P3", "Cleo", "acc-cleo"),
        ]),
        "pm-dns": postmortem(store, followup, tracker, key="pm-dns", team="web", title="DNS TTL",
                             approved=t,
                             specs=[Spec("Lower TTL", date(2026, 3, 27), "Detection", "P2", "Dev",
                                         "acc-dev")]),
    }
    store.record_resolutions("pm-cdn", {"pm-cdn-1": "needs-owner", "pm-cdn-0": "directory"})
    # The CDN document is edited: "Retire old proxy" is gone while its ticket stays open.
    specs = [Spec("Rotate keys", date(2026, 3, 25), "prevent", "P1", "Cleo"),
             Spec("Shard queue", date(2026, 4, 20), "prevent", "P2", "Nobody Known"),
             Spec("Add dashboards", date(2026, 3, 1), "detect", "P3", "Cleo")]
    _save(store, "pm-cdn", "web", "CDN purge storm", t - timedelta(days=20), specs)
    store.record_sync("pm-cdn", started_at=t, finished_at=t + timedelta(minutes=1), dry_run=False,
                      counts={"conflict": 1, "unchanged": 2, "removed": 1}, retry_error=None)
    store.record_sync("pm-db", started_at=t, finished_at=t + timedelta(minutes=1), dry_run=False,
                      counts={"created": 4}, retry_error=None)
    for n in range(30):
        day = date(2026, 3, 30) - timedelta(days=n)
        followup.record_history("sre", day, open_count=3 + n % 4, overdue=1 + n % 2, now=NOW)
        followup.record_history("web", day, open_count=5 - n % 3, overdue=2, now=NOW)
    return made
