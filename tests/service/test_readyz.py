"""GET /readyz checks the store and Redis for real; /healthz stays a liveness check that touches nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import text
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings
from tests.service.test_webhooks import make_settings
from worker.store import Store
from worker.sync import pipeline
from worker.web.app import create_app
from worker.web.readiness import reason


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    pipeline.close_stores()


TOKEN = "readyz-metrics-token"


def _get(settings: Settings, path: str, *, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        return client.get(path, headers=headers)


def test_ready_when_store_and_redis_answer(redis_url: str, redis_client: Redis, tmp_path: Path) -> None:
    response = _get(make_settings(redis_url, database_url=f"sqlite:///{tmp_path / 's.db'}"), "/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"store": "ok", "redis": "ok"}}


def test_not_ready_without_redis_but_still_alive(tmp_path: Path) -> None:
    settings = make_settings("redis://127.0.0.1:1/0", database_url=f"sqlite:///{tmp_path / 's.db'}",
                             metrics_token=TOKEN)
    response = _get(settings, "/readyz", token=TOKEN)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["store"] == "ok"
    assert body["checks"]["redis"].startswith("ConnectionError")
    # Without the token the reason stays generic: it may name hosts, ports and roles.
    anonymous = _get(settings, "/readyz")
    assert anonymous.status_code == 503
    assert anonymous.json()["checks"] == {"store": "ok", "redis": "unavailable"}
    assert _get(settings, "/healthz").status_code == 200


def test_not_ready_when_the_store_is_from_a_newer_release(redis_url: str, redis_client: Redis,
                                                          tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    store = Store(url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    store.close()
    response = _get(make_settings(redis_url, database_url=url, metrics_token=TOKEN), "/readyz", token=TOKEN)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"] == "ok"
    assert "0099_from_the_future" in checks["store"]


def test_unreachable_database_reason_never_shows_the_password(redis_url: str, redis_client: Redis) -> None:
    settings = make_settings(redis_url, database_url="postgresql://ft:s3cret-pw@127.0.0.1:1/ft")
    response = _get(settings, "/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["store"] == "unavailable"  # no host, port or role without a token
    assert "s3cret-pw" not in response.text and "127.0.0.1" not in response.text


def test_embedded_broker_needs_no_redis(tmp_path: Path) -> None:
    settings = make_settings(None, database_url=f"sqlite:///{tmp_path / 's.db'}",  # type: ignore[arg-type]
                             embedded_broker_url=f"sqla+sqlite:///{tmp_path / 'broker.db'}")
    response = _get(settings, "/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"store": "ok", "redis": "not configured (embedded broker)"}


@pytest.mark.parametrize(("message", "expected"), [
    ("could not connect to postgresql://ft:pw@db:5432/ft\ndetail", "OSError: could not connect to "
                                                                   "postgresql://***@db:5432/ft"),
    ("", "OSError"),
    ("redis://:hunter2@redis:6379/0 refused", "OSError: redis://***@redis:6379/0 refused"),
])
def test_reasons_are_one_line_without_credentials(message: str, expected: str) -> None:
    assert reason(OSError(message)) == expected
