"""Shared builders for follow-up tests: items with hostile text, and a policy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from config.teams import FollowupPolicy
from connectors.tracker import TicketStatus
from worker.store.records import TrackedItem

HOSTILE = "<!channel> *bold* [x](http://evil.example) <script>alert(1)</script> & <at>all</at> `code` |pipe|"
NOW = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # Monday 09:00 in Berlin, just after the spring change


def policy(**changes: Any) -> FollowupPolicy:
    return FollowupPolicy(**{"timezone": "Europe/Berlin", **changes})


def tracked(n: int, **changes: Any) -> TrackedItem:
    values: dict[str, Any] = {
        "fingerprint": f"fp{n}", "title": f"Action {n}", "team": "ops", "postmortem_key": "pm1",
        "postmortem_title": "DB outage", "postmortem_url": "https://wiki.example/pm1", "tracker": "jira",
        "ticket_key": f"OPS-{n}", "ticket_url": f"https://jira.example/browse/OPS-{n}", "assignee": f"acc{n}",
        "assignee_name": "Dana", "kind": "prevent", "priority": "P2",
        "approved_at": datetime(2026, 1, 5, 9, tzinfo=UTC),
    }
    values.update(changes)
    return TrackedItem(**values)


def sample_items() -> list[TrackedItem]:
    """A team's items at NOW (Monday Mar 30 2026, Berlin): a mix of every state."""
    return [
        tracked(1, due=date(2026, 3, 1)),  # 29 days overdue -> escalated (threshold 14)
        tracked(2, due=date(2026, 3, 25), assignee_name="Ben"),  # 5 days overdue
        tracked(3, due=date(2026, 4, 2), postmortem_key="pm2", postmortem_title="Cache stampede",
                postmortem_url=None),  # due soon, 3 days left
        tracked(4, due=None, priority="P3"),  # default: approval Jan 5 + 56 days = Mar 2 -> overdue 28
        tracked(5, due=date(2026, 5, 1)),  # open, 32 days left
        tracked(6, due=date(2026, 3, 27), status=TicketStatus.DONE,
                resolved_at=datetime(2026, 3, 24, 10, tzinfo=UTC)),  # done on time, in the last period
        tracked(7, due=date(2026, 3, 10), status=TicketStatus.DONE,
                resolved_at=datetime(2026, 3, 12, 10, tzinfo=UTC)),  # done late, earlier period
        tracked(8, due=date(2026, 3, 10), status=TicketStatus.DROPPED,
                resolved_at=datetime(2026, 3, 25, 10, tzinfo=UTC)),  # dropped in the last period
        tracked(9, due=date(2026, 3, 1), kind="investigate"),  # not followed up
        tracked(10, due=date(2026, 3, 29), title=HOSTILE, assignee=None, assignee_name=None,
                owner=None),  # 1 day overdue, unassigned, hostile title
    ]
