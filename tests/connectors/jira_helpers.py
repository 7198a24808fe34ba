"""Small builders shared by the Jira connector tests."""

from __future__ import annotations

from datetime import date

from connectors.tracker import TicketBody, TicketDraft, TicketFields


def draft(
    n: int,
    *,
    postmortem: str = "pm-2024-001",
    title: str | None = None,
    assignee: str | None = None,
    due: date | None = None,
    priority: str | None = None,
    description: str | None = None,
    url: str | None = None,
    labels: tuple[str, ...] = (),
) -> TicketDraft:
    """Draft number `n` (fingerprint `fp<n>`) of one postmortem."""
    return TicketDraft(
        fingerprint=f"fp{n:04d}",
        postmortem_key=postmortem,
        fields=TicketFields(title=title or f"Action item {n}", due=due, assignee=assignee, priority=priority),
        body=TicketBody(
            description=description,
            postmortem_title="Checkout outage",
            postmortem_url=url,
            owner_as_written="Ada",
        ),
        labels=labels,
    )
