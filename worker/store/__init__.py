"""The state store (SQLAlchemy 2 + Alembic): postmortems, action items, tickets, last-written values."""

from worker.store.records import ItemRecord, ParseFailureRecord, PostmortemRecord
from worker.store.store import StaleVersion, Store, alembic_config, normalise_url

__all__ = [
    "ItemRecord",
    "ParseFailureRecord",
    "PostmortemRecord",
    "StaleVersion",
    "Store",
    "alembic_config",
    "normalise_url",
]
