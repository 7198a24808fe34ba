"""The view of one tracked action item that follow-up works on (a store record), and where it stands."""

from __future__ import annotations

from enum import StrEnum

from worker.store.records import TrackedItem

__all__ = ["ItemState", "TrackedItem"]


class ItemState(StrEnum):
    """Where an item stands on a given day (see `rules.state`)."""

    DONE = "done"
    DROPPED = "dropped"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    OPEN = "open"
