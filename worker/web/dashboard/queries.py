"""The dashboard's one read of its own: the filter menus, with stored kinds mapped onto the kinds vocabulary.

Every other read lives with the store (`worker.store.reads`); this one adds only the menu's presentation.
"""

from collections.abc import Sequence

from sqlalchemy import Connection

from config.kinds import normalise_kind
from worker.store import reads


def distinct_values(conn: Connection, teams: Sequence[str]) -> tuple[list[str], list[str]]:
    """The kinds and priorities written on ticketed items of these teams (for the filter menus)."""
    kinds, priorities = reads.distinct_values(conn, teams)
    # Kinds stored before the vocabulary ("Prevention") are offered, and filtered, as that vocabulary.
    return sorted({kind for value in kinds if (kind := normalise_kind(value))}), priorities
