"""The one way to open the store: one `Store` (one engine, one pool) per database URL and process.

The sync pipeline, follow-up jobs and tasks, the receiver, the dashboard and the CLI all open the store
here, so a worker process holds one engine per database, and views are built on that one store.
"""

from __future__ import annotations

import os
import threading

from worker.store.store import Store, normalise_url, unreachable

_stores: dict[tuple[str, int], Store] = {}
_lock = threading.Lock()
#: Connections each PostgreSQL store opened from now on keeps (None: SQLAlchemy's 5 + 10 overflow).
_pool_size: int | None = None

#: The empty in-memory store a dry run reads when no store exists yet.
EMPTY_URL = "sqlite://"
#: Whether opening a store brings its schema up to date (FOLLOWTHROUGH_MIGRATE_ON_START; the services set
#: it at start). Off, a store older than this release is refused and `followthrough migrate` does it.
_migrate_on_open = True


def migrate_on_open(enabled: bool) -> None:
    """Whether this process migrates the stores it opens (see `_migrate_on_open`)."""
    global _migrate_on_open
    _migrate_on_open = enabled


def size_pools(connections: int) -> None:
    """Give every PostgreSQL store this process opens from now on a pool of `connections` kept open.

    A server that runs that much store work at once (the receiver: one per webhook request it lets in)
    calls this before its first request, so a burst never opens and closes connections of its own.
    """
    global _pool_size
    with _lock:
        _pool_size = connections


def open_store(url: str) -> Store:
    """The process's store for `url`, opened (and migrated) once per process and URL.

    Opening migrates the schema: too costly for every webhook delivery or task run. Keyed by pid too: a
    forked worker must not share its parent's connection pool.
    """
    key = (url, os.getpid())
    with _lock:
        store = _stores.get(key)
        if store is None:
            migrate = _migrate_on_open or url == EMPTY_URL
            store = Store(url, migrate=migrate, pool_size=_pool_size)
            if not migrate:
                store.check_schema()
            _stores[key] = store
        return store


def existing_store(url: str) -> Store | None:
    """The store if one exists already (a SQLite file, a PostgreSQL schema), else None; never creates one.

    Read-only commands and dry runs use this, so that a plan or a failing command leaves no empty
    migrated database (nor its `.locks` folder) behind.
    """
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, OperationalError

    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        return open_store(url)  # let the store report the bad URL (without echoing it)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not os.path.exists(database):
            return None
        return open_store(url)
    if parsed.get_backend_name() != "postgresql":
        return open_store(url)  # an unsupported dialect: the store names the setting
    probe = Store(url, migrate=False)
    try:
        created = inspect(probe.engine).has_table("alembic_version")
    except OperationalError as exc:
        raise unreachable(exc) from None
    finally:
        probe.close()
    return open_store(url) if created else None


def plan_store(url: str) -> Store:
    """The store a dry run reads: the existing one, else an empty in-memory one (no file is created)."""
    store = existing_store(url)
    return store if store is not None else open_store(EMPTY_URL)


def close_stores() -> None:
    """Close every store this process opened (e.g. before deleting a temporary database)."""
    with _lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
