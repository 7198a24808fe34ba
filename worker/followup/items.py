"""Where a tracked action item stands on a given day (the item itself is a store record, `TrackedItem`)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ItemState"]


class ItemState(StrEnum):
    """Where an item stands on a given day (see `rules.state`)."""

    DONE = "done"
    DROPPED = "dropped"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    OPEN = "open"
