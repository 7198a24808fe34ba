"""The receiver's smaller holes, each tried: a non-ASCII digit in `t=`, the outbox's caps and emptied rows,
expected refusals logged as one line, and the embedded broker's file mode."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings
from tests.service.harness import wait_for
from tests.service.test_webhooks import GENERIC, SECRET, SIG, generic_body, make_settings
from worker.store import Store
from worker.store.models import OutboxRow
from worker.web.app import create_app
from worker.web.signatures import sign_timestamped


def signed(body: bytes) -> dict[str, str]:
    return {SIG: sign_timestamped(SECRET, body, timestamp=int(time.time()))}


@pytest.mark.parametrize("stamp", ["\u00b2", "\u0661\u0662", "1\u00b3"])  # ², Arabic-Indic 12, 1³
def test_a_non_ascii_digit_in_t_is_401_not_a_traceback(redis_url: str, redis_client: Redis, tmp_path: Path,
                                                        stamp: str) -> None:
    settings = make_settings(redis_url, f"sqlite:///{tmp_path / 's.db'}")
    header = f"t={stamp},v1={'0' * 64}".encode()
    app = create_app(settings, celery=make_celery(settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post(GENERIC, content=generic_body(), headers=[(SIG.encode(), header)])
    assert answer.status_code == 401
    assert "not a number of seconds" in answer.json()["reason"]


def outbox_payloads(database_url: str) -> list[tuple[str, str]]:
    with Store(database_url) as store, store.session() as s:
        return [(row.state, row.payload) for row in s.scalars(select(OutboxRow).order_by(OutboxRow.id))]


def test_pending_rows_are_capped_with_a_metric(redis_url: str, redis_client: Redis, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 's.db'}"
    settings = make_settings(redis_url, database_url, webhook_outbox_max_rows=2)
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        answers = []
        for n in range(3):  # no worker: every accepted row stays pending
            body = generic_body(id=f"PM-cap-{n}")
            answers.append(client.post(GENERIC, content=body, headers=signed(body)).status_code)
        again = generic_body(id="PM-cap-0")  # a duplicate is still answered as one
        duplicate = client.post(GENERIC, content=again, headers=signed(again))
        scrape = client.get("/metrics").text
    assert answers == [202, 202, 503]
    assert duplicate.json() == {"status": "duplicate"}
    assert 'followthrough_outbox_full_total{kind="generic"} 1.0' in scrape
    assert len(outbox_payloads(database_url)) == 2


def test_pending_bytes_are_capped(redis_url: str, redis_client: Redis, tmp_path: Path) -> None:
    settings = make_settings(redis_url, f"sqlite:///{tmp_path / 's.db'}", webhook_outbox_max_bytes=300)
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        small = generic_body(id="PM-small")
        big = generic_body(id="PM-big", content="# PM\n" + "x" * 400)
        assert client.post(GENERIC, content=small, headers=signed(small)).status_code == 202
        assert client.post(GENERIC, content=big, headers=signed(big)).status_code == 503


@pytest.fixture
def worker_settings(redis_url: str, redis_client: Redis, tmp_path: Path) -> Settings:
    return make_settings(redis_url, f"sqlite:///{tmp_path / 's.db'}", max_document_bytes=20_000)


def test_a_row_keeps_its_document_only_until_the_ingest_succeeds(worker_settings: Settings,
                                                                 redis_client: Redis) -> None:
    from celery.contrib.testing.worker import start_worker

    import worker.tasks.pipeline  # noqa: F401  (registers the shared tasks)

    app = make_celery(worker_settings)
    body = generic_body(id="PM-kept", content="# PM\n\n## Action items\n\n- [ ] Keep less (@ann)\n")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
            TestClient(create_app(worker_settings, celery=app)) as client:
        assert client.post(GENERIC, content=body, headers=signed(body)).status_code == 202
        wait_for(lambda: outbox_payloads(worker_settings.database_url)[0][0] == "done", timeout=30,
                 what="the ingest")
    assert outbox_payloads(worker_settings.database_url) == [("done", "[]")]


class Kept(logging.Handler):
    """Keeps the records of the loggers it is added to (Celery's worker takes over the root logger, and
    with it pytest's capture)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_expected_refusal_is_one_warning_and_a_parse_failure(worker_settings: Settings,
                                                                 redis_client: Redis) -> None:
    from celery.contrib.testing.worker import start_worker

    import worker.tasks.pipeline  # noqa: F401

    app = make_celery(worker_settings)
    body = generic_body(id="PM-binary", content="\u0000\u0001\u0002" * 50)
    kept = Kept()
    watched = [logging.getLogger(name) for name in ("worker.tasks.pipeline", "celery.app.trace", "celery")]
    for logger in watched:  # the test worker runs at level ERROR; a deployed one at INFO
        logger.addHandler(kept)
        logger.setLevel(logging.INFO)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
                TestClient(create_app(worker_settings, celery=app)) as client:
            assert client.post(GENERIC, content=body, headers=signed(body)).status_code == 202
            wait_for(lambda: outbox_payloads(worker_settings.database_url)[0][0] == "failed", timeout=30,
                     what="the refusal")
    finally:
        for logger in watched:
            logger.removeHandler(kept)
            logger.setLevel(logging.NOTSET)
    with Store(worker_settings.database_url) as store:
        failures = store.parse_failures()
    assert [f.source for f in failures] == ["inline:PM-binary"] and "binary" in failures[0].reason
    refusals = [r for r in kept.records if r.name == "worker.tasks.pipeline" and "refused" in r.getMessage()]
    assert "binary" in refusals[0].getMessage()
    assert len(refusals) == 1 and refusals[0].levelno == logging.WARNING
    crashes = [r for r in kept.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not crashes, "a task crash was logged"
    # The failed row gives its key back and keeps nothing.
    assert outbox_payloads(worker_settings.database_url) == [("failed", "[]")]


def test_the_embedded_broker_file_is_private(tmp_path: Path) -> None:
    fresh, old = tmp_path / "fresh.db", tmp_path / "old.db"
    old.write_bytes(b"")
    os.chmod(old, 0o644)
    for path in (fresh, old):
        settings = make_settings("", embedded_broker_url=f"sqla+sqlite:///{path}")
        make_celery(settings)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_request_data_cannot_forge_a_text_log_line() -> None:
    import io

    from config.logs import TEXT_FORMAT, TextFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter(fmt=TEXT_FORMAT))
    logger = logging.getLogger("tests.forge")
    logger.disabled, logger.propagate = False, False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        logger.warning("%s: refused", "/hooks/x\n2026-12-06 23:00:00,000 CRITICAL forged: line\r")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and "\\n2026-12-06 23:00:00,000 CRITICAL forged: line\\r" in lines[0]
