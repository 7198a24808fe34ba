"""GET /metrics on the receiver: delivery counters, queue depth and overdue items read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis
from sqlalchemy import Engine, event, text, update
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings
from tests.servers import postgres_database
from tests.service.observe_support import count, sample
from tests.service.test_webhooks import GENERIC, SECRET, SIG, generic_body, make_settings, post
from worker.store.models import ActionItemRow
from worker.sync import pipeline
from worker.web.app import create_app
from worker.web.scrape import overdue_by_team

TEAMS = {
    "payments": {"tracker": "jira", "jira": {"project": "PAY"}},
    "checkout": {"tracker": "jira", "jira": {"project": "CHK"}},
}

POSTMORTEM = """# Postmortem: card declines

Team: {team}

## Action items

| Action | Owner | Due |
|---|---|---|
| Add an alert on decline rate | ann@example.com | 2020-01-10 |
| Load test the card service | ann@example.com | 2020-02-10 |
| Write the runbook for declines | ann@example.com | 2020-03-10 |
| Move the card vault to the new region | ann@example.com | 2999-01-10 |
"""


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def _settings(redis_url: str, database_url: str) -> Settings:
    return make_settings(redis_url, database_url=database_url, teams=TEAMS, default_team="payments")


@pytest.fixture
def store_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'store.db'}"
    pipeline.close_stores()


@pytest.fixture
def app_client(redis_url: str, redis_client: Redis, store_url: str) -> Iterator[TestClient]:
    settings = _settings(redis_url, store_url)
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        yield client


def _ticketed(settings: Settings, team: str, *, done_titles: tuple[str, ...] = ()) -> None:
    """Ingest the postmortem for `team` and give its items tickets, as a sync would have."""
    result = pipeline.ingest(settings, content=POSTMORTEM.format(team=team).encode(), source=f"inline:{team}",
                             postmortem_id=f"PM-{team}", team=team)
    store = pipeline.open_store(settings)
    with store.engine.begin() as conn:
        rows = conn.execute(text("SELECT id, title FROM action_items WHERE postmortem_key = :k"),
                            {"k": result.postmortem_key}).all()
        for item_id, title in rows:
            conn.execute(update(ActionItemRow).where(ActionItemRow.id == item_id).values(
                ticket_key=f"PAY-{item_id}", tracker="jira",
                status="done" if title in done_titles else "open"))


def test_deliveries_are_counted_by_route_and_result(app_client: TestClient) -> None:
    before = app_client.get("/metrics").text
    body = generic_body(id="PM-metrics-1")
    assert post(app_client, GENERIC, body, header=SIG, secret=SECRET).status_code == 202
    assert post(app_client, GENERIC, body, header=SIG, secret=SECRET).status_code == 200
    assert post(app_client, GENERIC, body, header=None, secret=None).status_code == 401
    after = app_client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain; version=")
    name = "followthrough_webhook_deliveries_total"
    for result in ("queued", "duplicate", "401"):
        delta = count(after.text, name, route=GENERIC, result=result) - count(before, name, route=GENERIC,
                                                                               result=result)
        assert delta == 1, result


def test_queue_depth_is_the_redis_queue_length(app_client: TestClient, redis_client: Redis) -> None:
    for n in range(3):
        body = generic_body(id=f"PM-depth-{n}")
        assert post(app_client, GENERIC, body, header=SIG, secret=SECRET).status_code == 202
    scrape = app_client.get("/metrics").text
    assert redis_client.llen("ingest") == 3
    assert sample(scrape, "followthrough_queue_depth", queue="ingest") == 3
    assert sample(scrape, "followthrough_queue_depth", queue="tracker") == 0
    assert sample(scrape, "followthrough_scrape_ok", source="redis") == 1


def test_overdue_items_per_team_in_one_query(app_client: TestClient, redis_url: str, store_url: str) -> None:
    settings = _settings(redis_url, store_url)
    _ticketed(settings, "payments", done_titles=("Load test the card service",))
    store = pipeline.open_store(settings)
    with store.engine.begin() as conn:  # an item without a ticket is not followed up
        conn.execute(text("UPDATE action_items SET ticket_key = NULL WHERE title LIKE 'Write the runbook%'"))
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    # Every engine: the receiver opens its own store.
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        scrape = app_client.get("/metrics").text
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    # Past due: the alert (open), the load test (done), the runbook (no ticket); the vault is due in 2999.
    assert sample(scrape, "followthrough_overdue_items", team="payments") == 1
    assert sample(scrape, "followthrough_overdue_items", team="checkout") == 0  # configured, nothing overdue
    assert sample(scrape, "followthrough_scrape_ok", source="store") == 1
    assert len([s for s in statements if "action_items" in s]) == 1


def test_overdue_query_on_postgresql(redis_url: str) -> None:
    with postgres_database("ft_metrics") as url:
        settings = _settings(redis_url, url)
        try:
            _ticketed(settings, "payments")
            _ticketed(settings, "checkout", done_titles=("Add an alert on decline rate",))
            engine = pipeline.open_store(settings).engine
            assert overdue_by_team(engine, settings, _at(2026, 1, 1)) == {"payments": 3, "checkout": 2}
            assert overdue_by_team(engine, settings, _at(2020, 1, 10)) == {}  # due today is not overdue yet
        finally:
            pipeline.close_stores()


def test_a_dead_redis_does_not_break_the_scrape(redis_client: Redis, store_url: str) -> None:
    settings = _settings("redis://127.0.0.1:1/0", store_url)
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert sample(response.text, "followthrough_scrape_ok", source="redis") == 0
    assert sample(response.text, "followthrough_queue_depth", queue="ingest") is None
    assert sample(response.text, "followthrough_scrape_ok", source="store") == 1


def test_a_metrics_token_is_required_when_set(redis_url: str, redis_client: Redis, store_url: str) -> None:
    settings = _settings(redis_url, store_url).model_copy(update={"metrics_token": SecretStr("scrape-me")})
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Basic scrape-me"}).status_code == 401
        answer = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert answer.status_code == 200 and "followthrough_overdue_items" in answer.text
        assert client.get("/readyz").status_code == 200  # probes need no token
