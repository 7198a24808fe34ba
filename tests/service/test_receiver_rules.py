"""Pure rules of the receiver and the broker boundary: signatures, trusted sources, queues, the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.celery_app import make_celery, worker_queues
from config.settings import load_settings
from tests.servers import postgres_database
from worker.errors import UserError
from worker.service.requests import IngestRequest, parse_request
from worker.service.trust import Refused, check_source
from worker.store import Store
from worker.store.outbox import DONE, FAILED, PENDING, Claim, Outbox, OutboxFull
from worker.tasks.names import DEFAULT_QUEUE, INGEST_TASK
from worker.web.signatures import BadSignature, sign, sign_timestamped, verify_timestamped

SECRET = SecretStr("s3cret")
NOW = 1_800_000_000


# --- timestamped signatures --------------------------------------------------------------------

def test_a_timestamped_signature_covers_the_time_and_the_body() -> None:
    header = sign_timestamped(SECRET, b"{}", timestamp=NOW)
    assert header.startswith(f"t={NOW},v1=")
    assert verify_timestamped(SECRET, b"{}", header, now=NOW + 299) == NOW
    with pytest.raises(BadSignature, match="bad signature"):
        verify_timestamped(SECRET, b"{ }", header, now=NOW)
    moved = header.replace(f"t={NOW}", f"t={NOW + 1}")
    with pytest.raises(BadSignature, match="bad signature"):
        verify_timestamped(SECRET, b"{}", moved, now=NOW)


@pytest.mark.parametrize("now", [NOW + 301, NOW - 301])
def test_a_signature_more_than_five_minutes_off_is_refused(now: int) -> None:
    header = sign_timestamped(SECRET, b"{}", timestamp=NOW)
    with pytest.raises(BadSignature, match="300 s from now"):
        verify_timestamped(SECRET, b"{}", header, now=now)


@pytest.mark.parametrize("header", [None, "", "sha256=" + "0" * 64, "t=1", "v1=ab", "t=x,v1=ab",
                                    "t=99999999999999,v1=ab"])
def test_malformed_or_old_form_headers_are_refused(header: str | None) -> None:
    with pytest.raises(BadSignature):
        verify_timestamped(SECRET, b"{}", header, now=NOW)


def test_the_sha256_form_is_refused_even_when_it_is_right() -> None:
    with pytest.raises(BadSignature, match="no longer accepted"):
        verify_timestamped(SECRET, b"{}", sign(SECRET, b"{}"), now=NOW)


# --- trusted sources ---------------------------------------------------------------------------

def _settings() -> object:
    return load_settings(sources={"github": {"repo": "acme/postmortems", "path": "docs/pm"},
                                  "jira": {"projects": ["PIR"]}})


@pytest.mark.parametrize("source", ["github:acme/postmortems@main:docs/pm/a.md",
                                    "github:ACME/Postmortems@0123abc:docs/pm/2030/b.md", "jira:PIR-12"])
def test_configured_sources_pass(source: str) -> None:
    check_source(_settings(), IngestRequest(source=source))  # type: ignore[arg-type]


@pytest.mark.parametrize("source", [
    "github:acme/hr-private@main:salaries/notes.md", "github:acme/postmortems@main:docs/pm/../../x.md",
    "github:acme/postmortems@main:docs/pm/./a.md", "github:acme/postmortems@main:docs/pm//a.md",
    "github:acme/postmortems@main:docs/pmx/a.md", "github:acme/postmortems@main:docs/pm/a.png",
    "jira:SEC-1", "file:/etc/passwd", "inline:PM-1",
])
def test_everything_else_is_refused(source: str) -> None:
    with pytest.raises(Refused):
        check_source(_settings(), IngestRequest(source=source))  # type: ignore[arg-type]


def test_nothing_is_readable_when_no_source_is_configured() -> None:
    with pytest.raises(Refused):
        check_source(load_settings(), IngestRequest(source="jira:PIR-1"))


@pytest.mark.parametrize("pm_id", ["jira:PIR-1", "github:a/b:c.md", " File:/x", "inline:y"])
def test_caller_ids_may_not_take_a_source_namespace(pm_id: str) -> None:
    with pytest.raises(UserError, match="must not start with a source kind"):
        parse_request({"id": pm_id, "content": "x"})


def test_plain_ids_are_fine() -> None:
    assert parse_request({"id": "PM-1: DB outage", "content": "x"}).id == "PM-1: DB outage"


# --- queues ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("asked", "consumed"), [
    ("ingest,tracker", "ingest,tracker,celery"), ("ingest", "ingest,celery"), ("tracker", "tracker"),
    ("ingest,celery", "ingest,celery"),
])
def test_ingest_workers_also_consume_the_default_queue(asked: str, consumed: str) -> None:
    assert worker_queues(asked) == consumed


def test_broker_settings_for_restarts_and_names() -> None:
    conf = make_celery(load_settings(redis_url="redis://127.0.0.1:1/0", celery_broker_url=None)).conf
    # A running task is never cancelled (and its message acknowledged) because the broker went away.
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is False
    assert conf.broker_transport == "config.redis_transport:Transport"
    assert DEFAULT_QUEUE in {queue.name for queue in conf.task_queues}
    router = make_celery(load_settings(redis_url="redis://127.0.0.1:1/0")).amqp.router
    assert router.route({}, INGEST_TASK)["queue"].name == "ingest"


# --- the outbox --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_database("ft_outbox") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outbox]:
    """An outbox on each store the receiver runs on (PostgreSQL claims through the driver directly)."""
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        store = Store(request.getfixturevalue("postgres_url"))
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM outbox")
    with store:
        yield Outbox(store, max_rows=3)


def test_the_caps_are_never_passed_and_never_refuse_on_a_stale_count(outbox: Outbox) -> None:
    entries = [outbox.accept("generic", f"cap-{n}", task=INGEST_TASK, args=[{}]) for n in range(3)]
    first = entries[0]
    assert first is not None and None not in entries
    with pytest.raises(OutboxFull, match="3 pending rows"):
        outbox.accept("generic", "cap-3", task=INGEST_TASK, args=[{}])
    assert outbox.accept("generic", "cap-0", task=INGEST_TASK, args=[{}]) is None  # a duplicate still is one
    outbox.finish(first)  # a worker drains a row: room at once, not after the usage is read again
    assert outbox.accept("generic", "cap-3", task=INGEST_TASK, args=[{}]) is not None


def test_a_refused_claim_gives_its_connection_back_with_transactions_on(postgres_url: str) -> None:
    """The claim runs in autocommit on the driver connection; a refused one must not hand the pool a
    connection still in autocommit, where a later session's rollback would undo nothing."""
    import psycopg
    from sqlalchemy import text

    with Store(postgres_url, pool_size=1) as store:
        with pytest.raises(psycopg.DataError):
            Outbox(store).accept("k" * 30, "too-long-kind", task=INGEST_TASK, args=[{}])  # kind: 20 chars
        with pytest.raises(RuntimeError), store.session() as s:
            s.execute(text("CREATE TABLE rolled_back (n int)"))
            raise RuntimeError("undo")
        with store.session() as s:
            assert s.execute(text("SELECT to_regclass('rolled_back')")).scalar() is None


def test_a_dropped_postgresql_connection_fails_one_claim_and_not_the_next(postgres_url: str) -> None:
    import psycopg

    with Store(postgres_url, pool_size=1) as store:
        outbox = Outbox(store)
        assert outbox.accept("generic", "before", task=INGEST_TASK, args=[{}]) is not None
        with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        with pytest.raises(psycopg.OperationalError):
            outbox.accept("generic", "during", task=INGEST_TASK, args=[{}])
        assert outbox.accept("generic", "after", task=INGEST_TASK, args=[{}]) is not None


def test_a_delivery_is_accepted_once(outbox: Outbox) -> None:
    first = outbox.accept("generic", "d-1", task=INGEST_TASK, args=[{"id": "PM-1", "content": "x"}])
    assert first is not None
    assert outbox.accept("generic", "d-1", task=INGEST_TASK, args=[{}]) is None
    assert outbox.accept("github", "d-1", task=INGEST_TASK, args=[{}]) is not None  # another hook
    assert outbox.state(first) == PENDING
    outbox.finish(first)
    assert outbox.state(first) == DONE
    assert outbox.accept("generic", "d-1", task=INGEST_TASK, args=[{}]) is None


def test_a_failed_delivery_gives_its_key_back(outbox: Outbox) -> None:
    entry = outbox.accept("generic", "d-2", task=INGEST_TASK, args=[{"id": "PM-2"}])
    assert entry is not None
    outbox.fail(entry, "no action items")
    assert outbox.state(entry) == FAILED
    again = outbox.accept("generic", "d-2", task=INGEST_TASK, args=[{"id": "PM-2"}])
    assert again == entry and outbox.state(entry) == PENDING


def test_deliveries_claimed_together_each_get_their_own_answer(outbox: Outbox) -> None:
    """A batch as the receiver claims it: one earlier delivery, one that failed for good, one twice in
    the batch, and more than the cap of 3 pending rows allows."""
    earlier = outbox.accept("generic", "b-0", task=INGEST_TASK, args=[{}])
    failed = outbox.accept("generic", "b-1", task=INGEST_TASK, args=[{}])
    assert earlier is not None and failed is not None
    outbox.fail(failed, "no action items")  # its key is given back: a retry is a new try
    claims = [Claim("generic", name, INGEST_TASK, [{"id": name}])
              for name in ("b-0", "b-1", "b-2", "b-2", "b-3", "b-0")]
    results = outbox.accept_many(claims)
    assert results[0] is None  # accepted before
    assert results[1] == failed and outbox.state(failed) == PENDING  # revived, in place
    assert isinstance(results[2], int) and results[3] is None  # the second of the same delivery
    assert isinstance(results[4], OutboxFull)  # b-0, b-1 and b-2 pending: the cap of 3 is reached
    assert results[5] is None  # a duplicate is still one when the outbox is full
    assert [row for row in results if isinstance(row, int)] == [failed, results[2]]


def test_a_store_error_in_a_batch_accepts_none_of_it(postgres_url: str) -> None:
    import psycopg

    with Store(postgres_url) as store:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM outbox")
        outbox = Outbox(store)
        with pytest.raises(psycopg.DataError):
            outbox.accept_many([Claim("generic", "fine", INGEST_TASK, [{}]),
                                Claim("k" * 30, "too-long-kind", INGEST_TASK, [{}])])  # kind: 20 chars
        assert outbox.accept("generic", "fine", task=INGEST_TASK, args=[{}]) is not None  # not claimed


def test_unfinished_rows_wait_out_the_grace_period(outbox: Outbox) -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    args = [{"id": "PM-3", "content": "é"}]
    entry = outbox.accept("generic", "d-3", task=INGEST_TASK, args=args, now=start)
    assert entry is not None
    grace = timedelta(minutes=10)
    assert outbox.unfinished(older_than=grace, now=start + timedelta(minutes=9)) == []
    [due] = outbox.unfinished(older_than=grace, now=start + timedelta(minutes=11))
    assert (due.id, due.task, due.args, due.attempts) == (entry, INGEST_TASK, args, 0)
    # Published again by the sweep: the next try waits another grace period.
    outbox.mark_sent(entry, now=start + timedelta(minutes=11))
    assert outbox.unfinished(older_than=grace, now=start + timedelta(minutes=20)) == []
    [due] = outbox.unfinished(older_than=grace, now=start + timedelta(minutes=22))
    assert due.attempts == 1
    outbox.finish(entry)
    assert outbox.unfinished(older_than=grace, now=start + timedelta(days=1)) == []
    assert outbox.purge(older_than=timedelta(days=7), now=start + timedelta(days=8)) == 1


def test_the_sweep_grace_period_is_a_setting() -> None:
    from worker.service.sweep import grace

    assert grace(load_settings()) == timedelta(minutes=10)
    assert grace(load_settings(sweep_grace_minutes=2)) == timedelta(minutes=2)
