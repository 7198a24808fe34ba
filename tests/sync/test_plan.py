"""Planning tables: a pure function of stored items, the tracker's tickets and owner resolutions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from config.teams import GitHubDestination, ItemFilter, JiraDestination, Team
from connectors.tracker import NEEDS_OWNER_LABEL, OWNED_FIELDS, REMOVED_LABEL, Ticket, TicketFields
from worker.models import ActionItem
from worker.store.records import ItemRecord
from worker.sync.owners import OwnerResolution
from worker.sync.plan import PlanContext, Step, filter_reason, plan_sync, same_value

JIRA = Team(name="ops", jira=JiraDestination(project="OPS"))
GITHUB = Team(name="web", tracker="github", github=GitHubDestination(repo="acme/web"))
DUE = date(2025, 5, 1)
ANA = OwnerResolution(assignee="acc-ana", how="directory", owner_as_written="Ana")
NOBODY = OwnerResolution(assignee=None, how="needs-owner", owner_as_written="Zed", reason="unknown")


def item(fp: str = "f1", title: str = "Add disk alert", **kw: object) -> ActionItem:
    fields: dict[str, object] = {"owner": "Ana", "due": DUE, "priority": "P1", "kind": "prevent"}
    fields.update(kw)
    return ActionItem(title=title, fingerprint=fp, **fields)  # type: ignore[arg-type]


WRITTEN = TicketFields(title="Add disk alert", due=DUE, assignee="acc-ana", priority="High")


def record(
    it: ActionItem,
    *,
    key: str | None = None,
    written: TicketFields | None = None,
    owned: frozenset[str] = frozenset(),
    attempted: bool = False,
    removed: bool = False,
    notified: bool = False,
) -> ItemRecord:
    return ItemRecord(
        postmortem_key="pm1",
        item=it,
        position=0,
        tracker="jira" if key else None,
        ticket_key=key,
        ticket_url=f"https://j/{key}" if key else None,
        create_attempted=attempted,
        written=written,
        owned=owned,
        assignee_resolution=None,
        status=None,
        status_name=None,
        ticket_assignee=None,
        ticket_due=None,
        ticket_updated=None,
        removed_at=DUE if removed else None,  # type: ignore[arg-type]
        removal_notified=notified,
    )


def ticket(key: str = "OPS-1", fp: str = "f1", labels: frozenset[str] = frozenset(), **kw: object) -> Ticket:
    fields = {"title": "Add disk alert", "due": DUE, "assignee": "acc-ana", "priority": "p1", **kw}
    return Ticket(
        key=key,
        url=f"https://j/{key}",
        fingerprint=fp,
        fields=TicketFields(**fields),  # type: ignore[arg-type]
        labels=labels,
    )


def plan(
    records: list[ItemRecord],
    tickets: list[Ticket] | None,
    team: Team = JIRA,
    resolution: OwnerResolution = ANA,
) -> list[Step]:
    ctx = PlanContext(
        postmortem_key="pm1", team=team, postmortem_title="DB outage", postmortem_url="https://wiki/pm"
    )
    return plan_sync(ctx, records, tickets, {r.fingerprint: resolution for r in records})


MAPPED = dict(key="OPS-1", written=WRITTEN, owned=frozenset(OWNED_FIELDS))


def test_new_item_is_created_with_context_and_labels() -> None:
    [step] = plan([record(item())], [])
    assert (step.action, step.result) == ("create", "created")
    assert step.draft is not None
    assert step.draft.fields == WRITTEN  # priority mapped to Jira's name
    assert step.draft.body.postmortem_url == "https://wiki/pm" and step.draft.body.owner_as_written == "Ana"
    assert set(step.draft.labels) == {"kind-prevent", "priority-p1"}


def test_unresolved_owner_creates_unassigned_with_needs_owner() -> None:
    [step] = plan([record(item(owner="Zed"))], [], resolution=NOBODY)
    assert step.draft is not None and step.draft.fields.assignee is None
    assert NEEDS_OWNER_LABEL in step.draft.labels and "needs-owner: unknown" in step.reason


@pytest.mark.parametrize(
    ("doc", "tkt", "action", "result", "update", "reason_part"),
    [
        # nothing changed anywhere
        ({}, {}, "none", "unchanged", (), ""),
        # document changed, ticket still holds what we wrote -> update
        ({"title": "Add disk alerting"}, {}, "update", "updated", ("title",), "updated title"),
        ({"due": date(2025, 6, 1)}, {}, "update", "updated", ("due",), ""),
        ({"priority": "P3"}, {}, "update", "updated", ("priority",), ""),
        # document changed, and a person changed the ticket too -> the person wins
        (
            {"due": date(2025, 6, 1)},
            {"due": date(2025, 7, 1)},
            "none",
            "conflict",
            (),
            "not overwritten: due",
        ),
        ({"title": "New"}, {"title": "Edited by Bo"}, "none", "conflict", (), "title"),
        # only the person changed it -> kept, nothing to report as a conflict
        ({}, {"assignee": "acc-bo"}, "none", "unchanged", (), "human edit of assignee kept"),
        ({}, {"priority": "Lowest"}, "none", "unchanged", (), "human edit of priority kept"),
        # mixed: one field updated, another held by a person
        (
            {"title": "T2", "due": date(2025, 6, 1)},
            {"due": date(2025, 7, 1)},
            "update",
            "conflict",
            ("title",),
            "updated title",
        ),
    ],
)
def test_resync_updates_only_fields_still_holding_our_value(
    doc: dict[str, object],
    tkt: dict[str, Any],
    action: str,
    result: str,
    update: tuple[str, ...],
    reason_part: str,
) -> None:
    [step] = plan(
        [record(item(**doc), **MAPPED)],  # type: ignore[arg-type]
        [ticket(**tkt)],
    )
    assert (step.action, step.result, step.update) == (action, result, update)
    assert reason_part in step.reason
    assert step.adopt is None


def test_owner_now_unresolved_never_unassigns() -> None:
    [step] = plan([record(item(owner="Zed"), **MAPPED)], [ticket()], resolution=NOBODY)  # type: ignore[arg-type]
    assert (step.action, step.result) == ("none", "unchanged") and "assignee kept" in step.reason


def test_owner_change_reassigns_when_ticket_holds_our_assignee() -> None:
    bo = OwnerResolution(assignee="acc-bo", how="alias", owner_as_written="Bo")
    [step] = plan([record(item(owner="Bo"), **MAPPED)], [ticket()], resolution=bo)  # type: ignore[arg-type]
    assert step.update == ("assignee",) and step.desired is not None and step.desired.assignee == "acc-bo"


def test_store_lost_recovers_mapping_and_never_overwrites() -> None:
    changed = item(title="Add disk alerting", due=date(2025, 6, 1))
    [step] = plan([record(changed)], [ticket()])
    assert step.action == "none" and step.result == "conflict"
    assert step.adopt is not None and step.adopt.owned == frozenset()
    assert step.ticket_key == "OPS-1" and "recovered from the tracker" in step.reason
    [same] = plan([record(item())], [ticket()])
    assert (same.action, same.result) == ("none", "unchanged") and same.adopt is not None


def test_lost_create_answer_is_adopted_with_our_values() -> None:
    rec = record(
        item(title="Add disk alerting"), written=WRITTEN, owned=frozenset(OWNED_FIELDS), attempted=True
    )
    [step] = plan([rec], [ticket()])
    assert step.adopt is not None and step.adopt.owned == frozenset(OWNED_FIELDS)
    assert (step.action, step.update) == ("update", ("title",))


def test_rerun_creates_nothing_and_stored_ticket_not_found_is_missing() -> None:
    assert [s.action for s in plan([record(item(), **MAPPED)], [ticket()])] == ["none"]  # type: ignore[arg-type]
    [step] = plan([record(item(), **MAPPED)], [])  # type: ignore[arg-type]
    assert (step.action, step.result) == ("none", "missing") and "not recreated" in step.reason


def test_offline_plan_uses_the_stored_mapping() -> None:
    steps = plan([record(item(), **MAPPED), record(item("f2", "Fix backup"))], None)  # type: ignore[arg-type]
    assert [(s.action, s.result) for s in steps] == [("none", "unchanged"), ("create", "created")]
    assert "not checked" in steps[0].reason


@pytest.mark.parametrize(
    ("labels", "notified", "action", "reason_part"),
    [
        (frozenset(), False, "comment-removed", "noted on the ticket"),
        (frozenset({REMOVED_LABEL}), False, "none", "already noted"),
        (frozenset(), True, "none", "already noted"),
    ],
)
def test_removed_item_is_commented_once(
    labels: frozenset[str], notified: bool, action: str, reason_part: str
) -> None:
    [step] = plan(
        [record(item(), removed=True, notified=notified, **MAPPED)],  # type: ignore[arg-type]
        [ticket(labels=labels)],
    )
    assert (step.action, step.result, step.removed) == (action, "removed", True)
    assert reason_part in step.reason


def test_removed_item_without_ticket_is_listed() -> None:
    [step] = plan([record(item(), removed=True)], [])
    assert (step.action, step.result) == ("none", "removed") and "no ticket" in step.reason


def test_ticket_unknown_to_the_store_is_treated_as_removed() -> None:
    steps = plan([record(item())], [ticket(), ticket("OPS-7", "f-old", title="Old action")])
    stray = steps[-1]
    assert (stray.fingerprint, stray.title, stray.action, stray.ticket_key) == (
        "f-old",
        "Old action",
        "comment-removed",
        "OPS-7",
    )
    assert stray.adopt is not None and stray.adopt.owned == frozenset()


def test_duplicate_tickets_are_reported_and_the_mapped_one_kept() -> None:
    [step] = plan([record(item(), **MAPPED)], [ticket("OPS-0"), ticket("OPS-1")])  # type: ignore[arg-type]
    assert step.ticket_key == "OPS-1" and "duplicate tickets also carry it: OPS-0" in step.reason


@pytest.mark.parametrize(
    ("flt", "it", "reason"),
    [
        (ItemFilter(), item(done=True), "done in the document"),
        (ItemFilter(skip_done=False), item(done=True), None),
        (ItemFilter(kinds=("detect", "PREVENT")), item(), None),
        (ItemFilter(kinds=("detect",)), item(), "kind 'prevent' is not tracked by this team"),
        (ItemFilter(kinds=("detect",)), item(kind=None), None),  # no kind stated: kept
        (ItemFilter(priorities=("p0",)), item(), "priority 'P1' is not tracked by this team"),
        (ItemFilter(priorities=("p0", "p1")), item(), None),
    ],
)
def test_filter(flt: ItemFilter, it: ActionItem, reason: str | None) -> None:
    assert filter_reason(flt, it) == reason


def test_skipped_item_keeps_its_existing_ticket() -> None:
    team = JIRA.model_copy(update={"filter": ItemFilter(skip_done=True)})
    [step] = plan([record(item(done=True), **MAPPED)], [ticket()], team=team)  # type: ignore[arg-type]
    assert (step.action, step.result) == ("none", "skipped") and "OPS-1 left as it is" in step.reason
    [new] = plan([record(item(done=True))], [], team=team)
    assert (new.action, new.result, new.draft) == ("none", "skipped", None)


@pytest.mark.parametrize(
    ("name", "a", "b", "team", "same"),
    [
        ("priority", "High", "p1", JIRA, True),
        ("priority", "high", "High", JIRA, True),
        ("priority", "High", "p2", JIRA, False),
        ("priority", "P1", "p1", GITHUB, True),
        ("priority", None, None, JIRA, True),
        ("title", "A  b", "A b", JIRA, True),
        ("title", "x" * 300, "x" * 254 + "…", JIRA, True),
        ("title", "y" * 300, "x" * 254 + "…", JIRA, False),
        ("assignee", "", None, JIRA, True),
        ("due", DUE, date(2025, 5, 2), JIRA, False),
    ],
)
def test_same_value(name: str, a: object, b: object, team: Team, same: bool) -> None:
    assert same_value(name, a, b, team) is same  # type: ignore[arg-type]


def test_github_priority_is_kept_as_written() -> None:
    [step] = plan([record(item())], [], team=GITHUB, resolution=replace(ANA, assignee="ana"))
    assert (
        step.draft is not None and step.draft.fields.priority == "P1" and step.draft.fields.assignee == "ana"
    )


def test_deferred_owner_waits_instead_of_creating_unassigned() -> None:
    deferred = OwnerResolution(assignee=None, how="deferred", owner_as_written="Ana", reason="lookup failed")
    [step] = plan([record(item())], [], resolution=deferred)
    assert (step.action, step.result, step.draft) == ("none", "pending", None)
