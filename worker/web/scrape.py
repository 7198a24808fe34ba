"""`GET /metrics`: the process's counters plus gauges read at scrape time (queue depth, overdue items).

The scrape-time gauges cost two cheap reads: one Redis pipeline of LLENs over the Celery queues and one
aggregate SQL query over the store. Overdue is the report's (`worker.followup.overdue.overdue_counts`):
followed kinds, each team's zone, default due dates from priority; so an alert links to a dashboard page
that shows the same number.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from config.metrics import process_registry
from config.settings import Settings
from worker.followup.overdue import overdue_counts

log = logging.getLogger(__name__)

#: kombu's Redis transport keeps a queue's prioritised messages in extra lists "<queue>\x06\x16<step>".
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)


def _queue_keys(queue: str) -> list[str]:
    return [queue if step == 0 else f"{queue}{_PRIORITY_SEP}{step}" for step in _PRIORITY_STEPS]


def queue_depths(client: Any, queues: Sequence[str]) -> dict[str, int]:
    """Messages waiting in each Celery queue (one Redis round trip)."""
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        for key in _queue_keys(queue):
            pipe.llen(key)
    lengths = pipe.execute()
    steps = len(_PRIORITY_STEPS)
    return {queue: int(sum(lengths[i * steps:(i + 1) * steps])) for i, queue in enumerate(queues)}


def overdue_by_team(engine: Engine, settings: Settings, now: datetime) -> dict[str, int]:
    """Teams with overdue items at `now` and how many, by the report's rules (one aggregate query)."""
    with engine.connect() as conn:
        counts = overdue_counts(conn, settings, list(settings.teams.values()), now)
    return {team: count for team, count in counts.items() if count}


class SystemCollector:
    """Gauges computed when scraped; a source that cannot be read reports followthrough_scrape_ok 0."""

    def __init__(self, *, settings: Settings, queues: Sequence[str], redis: Any,
                 engine: Callable[[], Engine], clock: Callable[[], datetime] = lambda: datetime.now(UTC)
                 ) -> None:
        self._settings = settings
        self._queues = tuple(queues)
        self._redis = redis
        self._engine = engine
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily("followthrough_scrape_ok",
                               "Whether this scrape could read the source (1) or not (0).", labels=["source"])
        depth = GaugeMetricFamily("followthrough_queue_depth", "Messages waiting in each Celery queue.",
                                  labels=["queue"])
        if self._redis is not None:
            try:
                depths = queue_depths(self._redis, self._queues)
            except Exception as exc:  # Redis down: the scrape still answers, and says so
                log.warning("metrics: queue depth unavailable: %s", type(exc).__name__)
                ok.add_metric(["redis"], 0)
            else:
                ok.add_metric(["redis"], 1)
                for queue, count in depths.items():
                    depth.add_metric([queue], count)
        overdue = GaugeMetricFamily("followthrough_overdue_items",
                                    "Action items overdue by the follow-up report's rules, per team.",
                                    labels=["team"])
        try:
            counts = overdue_by_team(self._engine(), self._settings, self._clock())
        except Exception as exc:
            log.warning("metrics: overdue items unavailable: %s", type(exc).__name__)
            ok.add_metric(["store"], 0)
        else:
            ok.add_metric(["store"], 1)
            for team in sorted(set(self._settings.teams) | set(counts)):
                overdue.add_metric([team], counts.get(team, 0))
        yield depth
        yield overdue
        yield ok


def authorized(request: Request, token: SecretStr | None) -> bool:
    """Whether the request may scrape: always without a token, else with `Authorization: Bearer <token>`."""
    if token is None or not token.get_secret_value():
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode("utf-8")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8"), expected)


def metrics_endpoint(collector: SystemCollector, *, token: SecretStr | None = None
                     ) -> Callable[[Request], Any]:
    """The /metrics handler: this process's (or every worker process's) counters plus `collector`."""
    system = CollectorRegistry(auto_describe=False)
    system.register(collector)  # type: ignore[arg-type]

    def render() -> bytes:
        return generate_latest(process_registry()) + generate_latest(system)

    async def endpoint(request: Request) -> Response:
        if not authorized(request, token):
            return Response("missing or bad bearer token\n", status_code=401,
                            headers={"WWW-Authenticate": "Bearer"}, media_type="text/plain")
        return Response(await run_in_threadpool(render), media_type=CONTENT_TYPE_LATEST)

    return endpoint
