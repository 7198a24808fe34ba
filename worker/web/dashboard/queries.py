"""The dashboard's reads, which live with the store (`worker.store.reads`): re-exported for the pages, with
the filter menus' kinds mapped onto the kinds vocabulary."""

from collections.abc import Sequence

from sqlalchemy import Connection

from config.kinds import normalise_kind
from worker.store import reads
from worker.store.outcomes import failed_items as sync_failures
from worker.store.reads import (
    NEEDS_OWNER,
    ItemFilter,
    ItemInfo,
    PostmortemInfo,
    SyncInfo,
    conflicts,
    has_table,
    history,
    last_sync,
    needs_owner,
    parse_failures,
    postmortem,
    postmortem_items,
    postmortems,
    removed_still_open,
    tracked_items,
)


def distinct_values(conn: Connection, teams: Sequence[str]) -> tuple[list[str], list[str]]:
    """The kinds and priorities written on ticketed items of these teams (for the filter menus)."""
    kinds, priorities = reads.distinct_values(conn, teams)
    # Kinds stored before the vocabulary ("Prevention") are offered, and filtered, as that vocabulary.
    return sorted({kind for value in kinds if (kind := normalise_kind(value))}), priorities


__all__ = [
    "NEEDS_OWNER",
    "ItemFilter",
    "ItemInfo",
    "PostmortemInfo",
    "SyncInfo",
    "conflicts",
    "distinct_values",
    "has_table",
    "history",
    "last_sync",
    "needs_owner",
    "parse_failures",
    "postmortem",
    "postmortem_items",
    "postmortems",
    "removed_still_open",
    "sync_failures",
    "tracked_items",
]
