"""`followthrough migrate [--check]`: bring the store's schema to this release's revision, explicitly.

For rolling upgrades: with FOLLOWTHROUGH_MIGRATE_ON_START=false the services never migrate; the operator
runs this once with the new release, then restarts them.
"""

from __future__ import annotations

import click

from worker.cli.exits import EXIT_OK, EXIT_PARTIAL


@click.command(
    "migrate",
    help="Bring the store (FOLLOWTHROUGH_DATABASE_URL) to this release's schema revision, creating it when "
    "there is none; safe to run twice and while services run (migrations are additive and locked). "
    "--check only says whether it is needed (exit 1 when it is). Exit 3 when the database cannot be reached.",
)
@click.option("--check", is_flag=True, help="Change nothing: print the revisions, exit 1 when behind.")
def command(check: bool) -> int:
    from config.settings import load_settings
    from worker.store import Store

    settings = load_settings()
    if check and _no_sqlite_file(settings.database_url):
        click.echo("no store yet: `followthrough migrate` creates it")
        return EXIT_PARTIAL
    store = Store(settings.database_url, migrate=False)
    try:
        before, head = store.revisions()
        current = ", ".join(before) or "none (empty store)"
        if head in before:
            click.echo(f"store at revision {head}: up to date")
            return EXIT_OK
        if check:
            click.echo(f"store at revision {current}; this release needs {head}: run `followthrough migrate`")
            return EXIT_PARTIAL
        store.migrate()
        after, _ = store.revisions()
        click.echo(f"migrated the store from revision {current} to {', '.join(after)}")
        return EXIT_OK
    finally:
        store.close()


def _no_sqlite_file(url: str) -> bool:
    """A SQLite store whose file does not exist (a check must not create it)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return False  # the store reports the bad URL
    database = parsed.database
    return parsed.get_backend_name() == "sqlite" and bool(database) and database != ":memory:" and not Path(
        str(database)).exists()
