"""What the receiver adds to be watched: /metrics, /readyz, delivery counting and the log context.

`DeliveryObserver` is plain ASGI middleware around the hooks: it binds the delivery id (from the sender's
delivery header) to the log context for the request, and counts each answered delivery by route and result.
The result is the `status` word of our JSON answer (queued, duplicate, ignored, ...) or, for a refusal, the
HTTP status. Bodies are never read, only our own short answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.logs import log_context
from config.metrics import WEBHOOK_DELIVERIES
from config.settings import Settings
from worker.tasks.names import INGEST_QUEUE, TRACKER_QUEUE
from worker.web.readiness import readyz_endpoint
from worker.web.scrape import SystemCollector, metrics_endpoint

#: Where each sender puts its delivery id (GitHub, Jira, our generic hook).
DELIVERY_HEADERS = (b"x-github-delivery", b"x-atlassian-webhook-identifier", b"x-followthrough-delivery")
#: The answers' status words counted as they are; anything else is counted by HTTP status.
RESULTS = frozenset({"queued", "accepted", "duplicate", "ignored", "pong", "updated", "unchanged"})
_ANSWER_LIMIT = 4096


def _delivery_id(scope: Scope) -> str | None:
    headers = dict(scope.get("headers") or ())
    for name in DELIVERY_HEADERS:
        value = headers.get(name)
        if value:
            return bytes(value).decode("latin-1")
    return None


@lru_cache(maxsize=256)  # our answers are a few short bodies ({"status":"queued"} for most deliveries)
def result_of(status: int | None, answer: bytes) -> str:
    """The result label of one delivery from our answer's status code and JSON body."""
    if status is None:
        return "500"
    if 200 <= status < 300:
        try:
            word = json.loads(answer).get("status")
        except (ValueError, AttributeError):
            word = None
        return word if isinstance(word, str) and word in RESULTS else str(status)
    return str(status)


class DeliveryObserver:
    """Counts webhook deliveries and binds their delivery id to the log context."""

    def __init__(self, app: ASGIApp, *, routes: Collection[str]) -> None:
        self.app = app
        self.routes = frozenset(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/hooks/"):
            await self.app(scope, receive, send)
            return
        route = path if path in self.routes else "unmatched"
        seen: dict[str, Any] = {"status": None, "answer": b""}

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = int(message["status"])
            elif message["type"] == "http.response.body" and len(seen["answer"]) < _ANSWER_LIMIT:
                seen["answer"] += message.get("body", b"")
            await send(message)

        with log_context(delivery_id=_delivery_id(scope)):
            try:
                await self.app(scope, receive, observed)
            finally:
                result = result_of(seen["status"], seen["answer"])
                WEBHOOK_DELIVERIES.labels(route=route, result=result).inc()


def observability(settings: Settings, *, redis: Any, engine: Callable[[], Engine],
                  hook_paths: Collection[str]) -> tuple[list[Route], list[Middleware]]:
    """The routes (/metrics, /readyz) and the middleware to mount on the receiver app.

    `engine` returns the store's SQLAlchemy engine (opening and migrating the store on first use).
    """
    collector = SystemCollector(settings=settings, queues=(INGEST_QUEUE, TRACKER_QUEUE), redis=redis,
                                engine=engine)
    routes = [
        Route("/metrics", metrics_endpoint(collector, token=settings.metrics_token), methods=["GET"]),
        Route("/readyz", readyz_endpoint(engine=engine, redis=redis, token=settings.metrics_token),
              methods=["GET"]),
    ]
    return routes, [Middleware(DeliveryObserver, routes=hook_paths)]
