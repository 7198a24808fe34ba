from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from tests.followup import receivers
from tests.servers import postgres_database
from worker.store.models import Base

metadata = Base.metadata


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    return receivers.tls_context(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def webhook() -> Iterator[receivers.HttpReceiver]:
    """A plain HTTP receiver (for json:// URLs)."""
    yield from receivers.serve()


@pytest.fixture
def teams_receiver(tls: ssl.SSLContext) -> Iterator[receivers.HttpReceiver]:
    """An HTTPS receiver standing in for a Teams Workflows endpoint."""
    yield from receivers.serve(tls=tls, wrap=True)


@pytest.fixture
def slack_receiver(tls: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[receivers.HttpReceiver]:
    """Slack's webhook host reached through a local TLS-terminating proxy (HTTPS_PROXY)."""
    for receiver in receivers.serve(tls=tls):
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{receiver.port}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        yield receiver


@pytest.fixture
def mailbox() -> Iterator[receivers.Mailbox]:
    yield from receivers.smtp_server()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A private PostgreSQL database for this test session (dropped at the end)."""
    with postgres_database("ft_reports") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The follow-up tables on SQLite and on PostgreSQL (emptied for each test)."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'followup.db'}")
    else:
        engine = create_engine(request.getfixturevalue("pg_url"))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()
