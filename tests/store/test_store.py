"""The state store against SQLite and PostgreSQL: migrations, upserts, ticket mapping, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from connectors.tracker import OWNED_FIELDS, Ticket, TicketFields, TicketStatus
from worker.errors import UserError
from worker.models import ActionItem, Postmortem
from worker.store import Store
from worker.store import store as store_module
from worker.store.models import Base

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _pm(*titles: str, owner: str | None = "Ana") -> Postmortem:
    items = tuple(
        ActionItem(title=t, fingerprint=f"fp{t.split()[0].lower()}", owner=owner, due=date(2025, 4, 1))
        for t in titles
    )
    return Postmortem(identity="pm-1", title="DB outage", owner="Lead", action_items=items)


def _save(store: Store, pm: Postmortem, *, content_hash: str = "h1", team: str = "ops") -> bool:
    return store.save_postmortem(
        pm, key="k1", source="inline:1", team=team, content_hash=content_hash, content=b"doc", now=T0
    )


def _ticket(key: str, fp: str, **fields: object) -> Ticket:
    return Ticket(
        key=key,
        url=f"https://t/{key}",
        fingerprint=fp,
        fields=TicketFields(**{"title": "x", **fields}),  # type: ignore[arg-type]
        status=TicketStatus.OPEN,
        status_name="To Do",
        updated=T0,
    )


def test_migrations_match_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diffs == []
        tables = set(inspect(conn).get_table_names())
    assert {"postmortems", "action_items", "sync_runs", "owner_lookups", "alembic_version"} <= tables


def test_reopening_is_idempotent(db_url: str) -> None:
    Store(db_url).close()
    with Store(db_url) as again:
        assert again.list_postmortems() == []


def test_concurrent_first_open_migrates_once(db_url: str) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Store(db_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_save_reports_change_and_tracks_removed_items(store: Store) -> None:
    assert _save(store, _pm("Add alert", "Fix backup")) is True
    assert _save(store, _pm("Add alert", "Fix backup")) is False
    record = store.get_postmortem("k1")
    assert record is not None
    assert (record.team, record.title, record.owner, record.has_content) == ("ops", "DB outage", "Lead", True)
    assert record.ingested_at == T0 and record.ingested_at.tzinfo is not None
    assert store.load_content("k1") == b"doc"

    assert _save(store, _pm("Add alert"), content_hash="h2") is True
    items = store.items("k1")
    assert [(i.item.title, i.removed) for i in items] == [("Add alert", False), ("Fix backup", True)]
    assert items[1].removed_at == T0

    _save(store, _pm("Fix backup", "Add alert"), content_hash="h3")
    assert [(i.item.title, i.removed, i.position) for i in store.items("k1")] == [
        ("Fix backup", False, 0),
        ("Add alert", False, 1),
    ]


def test_team_change_counts_as_change(store: Store) -> None:
    _save(store, _pm("Add alert"))
    assert _save(store, _pm("Add alert"), team="payments") is True


def test_ticket_mapping_and_written_values(store: Store) -> None:
    _save(store, _pm("Add alert", "Fix backup"))
    fields = TicketFields(title="Add alert", due=date(2025, 4, 1), assignee="acc-1", priority="High")
    store.mark_create_attempted("k1", {"fpadd": fields}, tracker="jira", now=T0)
    item = store.items("k1")[0]
    assert item.create_attempted and item.ticket_key is None
    assert item.written == fields and item.owned == frozenset(OWNED_FIELDS)

    store.record_ticket(
        "k1",
        "fpadd",
        _ticket("OPS-1", "fpadd", assignee="acc-1", due=date(2025, 4, 2)),
        tracker="jira",
        written=fields,
        owned=OWNED_FIELDS,
    )
    item = store.items("k1")[0]
    assert (item.ticket_key, item.ticket_url, item.tracker) == ("OPS-1", "https://t/OPS-1", "jira")
    assert (item.status, item.status_name, item.ticket_assignee, item.ticket_due) == (
        "open",
        "To Do",
        "acc-1",
        date(2025, 4, 2),
    )

    # A recovered ticket: nothing owned, so nothing will be written.
    store.record_ticket("k1", "fpfix", _ticket("OPS-2", "fpfix"), tracker="jira", owned=())
    fix = store.items("k1")[1]
    assert fix.owned == frozenset() and fix.written is None

    newer = TicketFields(title="Add alerting", due=None, assignee="acc-2", priority="Low")
    store.record_written("k1", "fpadd", newer, only=("title", "due"))
    item = store.items("k1")[0]
    assert item.written == TicketFields(title="Add alerting", due=None, assignee="acc-1", priority="High")

    store.record_written("k1", "fpfix", newer, only=("assignee",))
    assert store.items("k1")[1].owned == frozenset({"assignee"})


def test_many_new_tickets_recorded_at_once(store: Store) -> None:
    _save(store, _pm("Add alert", "Fix backup"))
    alert = TicketFields(title="Add alert", due=date(2025, 4, 1), assignee="acc-1", priority="High")
    backup = TicketFields(title="Fix backup", due=None, assignee=None, priority=None)
    store.mark_create_attempted("k1", {"fpadd": alert, "fpfix": backup}, tracker="jira", now=T0)

    store.record_tickets("k1", [
        ("fpadd", _ticket("OPS-1", "fpadd", assignee="acc-1", due=date(2025, 4, 2)), alert),
        ("fpfix", _ticket("OPS-2", "fpfix"), backup),
        ("fpgone", _ticket("OPS-3", "fpgone", title="Old action"), backup),  # an item the store never saw
    ], tracker="jira", now=T0)

    add, fix, gone = store.items("k1")
    assert (add.ticket_key, add.ticket_url, add.tracker, add.ticket_due) == (
        "OPS-1", "https://t/OPS-1", "jira", date(2025, 4, 2))
    assert add.written == alert and add.owned == frozenset(OWNED_FIELDS)
    assert (fix.ticket_key, fix.written, fix.status, fix.status_name) == ("OPS-2", backup, "open", "To Do")
    assert (gone.fingerprint, gone.ticket_key, gone.removed) == ("fpgone", "OPS-3", True)


def test_unknown_ticket_is_kept_as_removed_item(store: Store) -> None:
    _save(store, _pm("Add alert"))
    store.record_ticket(
        "k1", "fpgone", _ticket("OPS-9", "fpgone", title="Old action"), tracker="jira", owned=()
    )
    gone = store.items("k1")[-1]
    assert (gone.fingerprint, gone.item.title, gone.removed, gone.ticket_key) == (
        "fpgone",
        "Old action",
        True,
        "OPS-9",
    )
    store.mark_removal_notified("k1", "fpgone")
    assert store.items("k1")[-1].removal_notified


def test_status_sync_log_and_owner_cache(store: Store) -> None:
    _save(store, _pm("Add alert"))
    store.record_ticket("k1", "fpadd", _ticket("OPS-1", "fpadd"), tracker="jira", owned=())
    done = Ticket(
        key="OPS-1",
        url="u",
        fingerprint="fpadd",
        fields=TicketFields(title="x", assignee="a9"),
        status=TicketStatus.DONE,
        status_name="Done",
        updated=T0 + timedelta(days=1),
    )
    store.record_status("k1", [done], now=T0)
    item = store.items("k1")[0]
    assert (item.status, item.status_name, item.ticket_assignee) == ("done", "Done", "a9")
    assert item.ticket_updated == T0 + timedelta(days=1)

    store.record_sync(
        "k1", started_at=T0, finished_at=T0, dry_run=True, counts={"created": 1}, retry_error=None
    )
    assert store.get_postmortem("k1").synced_at is None  # type: ignore[union-attr]
    later = T0 + timedelta(hours=1)
    store.record_sync("k1", started_at=T0, finished_at=T0, dry_run=False, counts={}, retry_error=None)
    assert store.get_postmortem("k1").synced_at == T0  # type: ignore[union-attr]
    # A run that left items pending is not a complete sync: the sweep must still see it as unsynced.
    store.record_sync("k1", started_at=later, finished_at=later, dry_run=False, counts={"pending": 1},
                      retry_error="Settling: search index settling for 60s")
    assert store.get_postmortem("k1").synced_at == T0  # type: ignore[union-attr]
    # A complete run is stamped with its start: it planned from the items as they were then, so a version
    # ingested while it ran stays newer than synced_at and the sweep syncs it again.
    store.record_sync("k1", started_at=later, finished_at=later + timedelta(minutes=5), dry_run=False,
                      counts={}, retry_error=None)
    assert store.get_postmortem("k1").synced_at == later  # type: ignore[union-attr]

    assert store.get_owner_lookup("jira:OPS", "users:ana", max_age=timedelta(days=1)) is None
    store.put_owner_lookup("jira:OPS", "users:ana", user_id="acc-1", outcome="found", now=T0)
    store.put_owner_lookup("jira:OPS", "users:ana", user_id="acc-2", outcome="found again", now=T0)
    assert store.get_owner_lookup("jira:OPS", "users:ana", max_age=timedelta(days=1), now=T0) == (
        "acc-2",
        "found again",
    )
    assert (
        store.get_owner_lookup("jira:OPS", "users:ana", max_age=timedelta(days=1), now=T0 + timedelta(days=2))
        is None
    )


def test_concurrent_upserts_make_one_row_per_item(store: Store) -> None:
    pm = _pm(*(f"Item{i} do it" for i in range(20)))
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(3):
                store.save_postmortem(
                    pm, key="k1", source="inline:1", team="ops", content_hash=f"h{n}", content=None
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    items = store.items("k1")
    assert len(items) == 20 and len({i.fingerprint for i in items}) == 20


def test_rejects_naive_datetimes(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store.save_postmortem(
            _pm("Add alert"),
            key="k1",
            source="s",
            team="t",
            content_hash="h",
            content=None,
            now=datetime(2025, 1, 1),
        )


@pytest.mark.parametrize("url", ["mysql://x/y", "not a url at all"])
def test_unsupported_or_bad_url_is_a_user_error(url: str) -> None:
    with pytest.raises(UserError, match="FOLLOWTHROUGH_DATABASE_URL"):
        Store(url)


def test_unreachable_postgres_is_unavailable_not_bad_config() -> None:
    from worker.errors import Unavailable

    with pytest.raises(Unavailable, match="cannot open the store"):
        Store("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")


def test_parse_failures_are_recorded_counted_listed_and_cleared(store: Store) -> None:
    from datetime import UTC, datetime

    first = datetime(2026, 1, 1, tzinfo=UTC)
    store.record_parse_failure("jira:PIR-1", content_hash="a" * 64, reason="malformed HTML", now=first)
    gh = "github:acme/ops@main:pm.md"
    store.record_parse_failure(gh, content_hash="b" * 64, reason="budget", now=first)
    later = datetime(2026, 1, 2, tzinfo=UTC)
    store.record_parse_failure("jira:PIR-1", content_hash="c" * 64, reason="still malformed", now=later)
    failures = store.parse_failures()
    assert [f.source for f in failures] == ["jira:PIR-1", "github:acme/ops@main:pm.md"]
    assert (failures[0].attempts, failures[0].content_hash) == (2, "c" * 64)
    assert failures[0].reason == "still malformed"
    assert (failures[0].first_failed_at, failures[0].last_failed_at) == (first, later)
    store.clear_parse_failure("jira:PIR-1")
    assert [f.source for f in store.parse_failures()] == ["github:acme/ops@main:pm.md"]


def _save_version(store: Store, pm: Postmortem, version: datetime | None, content_hash: str) -> bool:
    return store.save_postmortem(pm, key="k1", source="inline:1", team="ops", content_hash=content_hash,
                                 content=b"doc", now=T0, version=version)


def test_an_older_version_never_replaces_a_newer_one(store: Store) -> None:
    from worker.store import StaleVersion

    v1, v2 = T0, T0 + timedelta(minutes=5)
    assert _save_version(store, _pm("Add alert"), v1, "h1") is True
    assert _save_version(store, _pm("Add alert", "Fix backup"), v2, "h2") is True
    # v1 again (a replay, or a retried ingest landing late): refused, nothing written, nothing removed.
    with pytest.raises(StaleVersion):
        _save_version(store, _pm("Add alert"), v1, "h1")
    record = store.get_postmortem("k1")
    assert record is not None and (record.content_hash, record.version) == ("h2", v2)
    items = [(i.item.title, i.removed) for i in store.items("k1")]
    assert items == [("Add alert", False), ("Fix backup", False)]
    # An unversioned ingest (CLI, resync at head) is applied and keeps the known version.
    assert _save_version(store, _pm("Add alert", "Fix backup", "Rotate keys"), None, "h3") is True
    record = store.get_postmortem("k1")
    assert record is not None and record.version == v2
    with pytest.raises(StaleVersion):
        _save_version(store, _pm("Add alert"), v1, "h1")
    # The same version again (a redelivered message) is applied: it is not older.
    assert _save_version(store, _pm("Add alert", "Fix backup"), v2, "h2") is True


def test_an_idle_postgresql_connection_the_server_dropped_is_replaced(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    _save(store, _pm("Add alert"))
    with store.engine.connect() as conn:  # the pool's one connection so far
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(store.engine.url, poolclass=NullPool)  # not from the store's pool
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()
    monkeypatch.setattr(store_module, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle

    # No ping per checkout, but the idle ones are pinged: the dead connection is replaced, not used.
    assert [i.fingerprint for i in store.items("k1")] == ["fpadd"]
    assert len(store.items("k1")) == 1
