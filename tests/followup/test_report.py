"""Report building: grouping, summary figures and their definitions, dropped and escalations."""

from __future__ import annotations

from datetime import UTC, date, datetime

from connectors.tracker import TicketStatus
from tests.followup.fixtures import NOW, policy, sample_items, tracked
from worker.followup.items import ItemState
from worker.followup.report import build_report, escalation_digest


def test_summary_counts_follow_the_documented_definitions() -> None:
    report = build_report("ops", sample_items(), policy(), NOW)
    s = report.summary
    assert (s.open, s.overdue, s.due_soon) == (6, 4, 1)
    assert s.done_this_period == 1  # item 6, resolved Mar 24 within [Mar 23 09:00, Mar 30 09:00) Berlin
    assert s.dropped == 1
    # due so far (not dropped, due <= Mar 30): items 1, 2, 4, 6, 7, 10; on time: item 6 only
    assert (s.due_so_far, s.done_on_time) == (6, 1)
    assert s.completion_rate == 1 / 6
    assert report.needs_attention


def test_grouped_by_owner_then_postmortem_worst_first() -> None:
    report = build_report("ops", sample_items(), policy(), NOW)
    owners = [group.owner for group in report.owners]
    assert owners == ["Dana", "Ben", "(unassigned)"]  # by their most overdue item: 29, 5 and 1 days
    dana = report.owners[0]
    assert [group.key for group in dana.postmortems] == ["pm1", "pm2"]
    pm1 = dana.postmortems[0]
    assert [line.item.ticket_key for line in pm1.lines] == ["OPS-1", "OPS-4", "OPS-5"]
    first = pm1.lines[0]
    assert (first.state, first.days_overdue, first.days_left) == (ItemState.OVERDUE, 29, None)
    assert first.escalate
    default_due = pm1.lines[1]
    assert default_due.due == date(2026, 3, 2) and default_due.days_overdue == 28
    assert dana.postmortems[1].lines[0].days_left == 3
    keys = {line.item.ticket_key for owner in report.owners for line in owner.lines}
    assert "OPS-9" not in keys and "OPS-6" not in keys and "OPS-8" not in keys


def test_dropped_listed_separately_and_escalations() -> None:
    report = build_report("ops", sample_items(), policy(escalate_to=["Mia Manager", "json://localhost"]), NOW)
    assert [line.item.ticket_key for line in report.dropped] == ["OPS-8"]
    assert [line.item.ticket_key for line in report.escalations] == ["OPS-1", "OPS-4"]
    assert report.escalate_to_names == ("Mia Manager",)
    digest = escalation_digest(report)
    assert digest.escalation and digest.title.startswith("Escalation")
    assert [line.item.ticket_key for owner in digest.owners for line in owner.lines] == ["OPS-1", "OPS-4"]


def test_nothing_due_means_no_attention_needed() -> None:
    items = [tracked(1, due=date(2026, 6, 1)), tracked(2, status=TicketStatus.DONE, due=date(2026, 3, 1),
                                                       resolved_at=datetime(2026, 2, 1, tzinfo=UTC))]
    report = build_report("ops", items, policy(), NOW)
    assert not report.needs_attention
    assert report.summary.completion_rate == 1.0


def test_completion_rate_undefined_when_nothing_is_due_yet() -> None:
    report = build_report("ops", [tracked(1, due=date(2026, 6, 1))], policy(), NOW)
    assert report.summary.completion_rate is None
