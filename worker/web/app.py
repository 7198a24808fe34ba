"""The Starlette app: the webhooks (worker/web/hooks.py), `GET /healthz`, and the dashboard's pages at `/`
(worker/web/dashboard).

Every hook goes through the one receive path (worker/web/receive.py): the raw body under a size and time
limit, its signature, the hook's decision, and the accepted delivery written to the store's outbox (the
durable dedupe: a repeated delivery finds its row) before answering 202 and publishing the task, or, for
the status hooks, the ticket change written to the store. It never calls a tracker or parses a document.
Bodies and secrets are never logged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.celery_app import make_celery
from config.sentry import init_sentry
from config.settings import Settings
from worker.store import registry
from worker.store.tracked import open_followup_store
from worker.web.concurrency import HookConcurrencyLimit
from worker.web.dashboard import dashboard_routes
from worker.web.hooks import HOOKS, SIGNATURE_HEADER
from worker.web.observe import observability
from worker.web.receive import Receiver, hook_routes

__all__ = ["SIGNATURE_HEADER", "create_app"]


async def healthz(request: Request) -> JSONResponse:
    """Liveness: answers without touching anything."""
    return JSONResponse({"status": "ok"})


def _store_engine(settings: Settings) -> Engine:
    with open_followup_store(settings) as store:
        return store.engine


def create_app(settings: Settings, *, celery: Any = None) -> Starlette:
    """The receiver app; publishes with `celery` (default: one built from the settings)."""
    celery = celery if celery is not None else make_celery(settings)
    receiver = Receiver(settings, celery=celery, open_store=lambda: open_followup_store(settings))
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        # The approval hooks, and the status hooks for follow-up reports (Jira issue_updated, GitHub issues).
        *hook_routes(receiver, HOOKS),
        # The read-only dashboard at `/` (worker/web/dashboard), last so the hooks above match first.
        *dashboard_routes(settings, lambda: open_followup_store(settings)),
    ]
    # GET /metrics and /readyz, delivery counting and the log context (worker/web/observe.py); the
    # observer is outermost, so refusals of the concurrency limit are counted too.
    hook_paths = [route.path for route in routes
                  if isinstance(route, Route) and route.path.startswith("/hooks/")]
    extra_routes, observing = observability(
        settings, redis=getattr(celery, "redis", None), hook_paths=hook_paths,
        engine=lambda: _store_engine(settings))
    init_sentry(settings)  # only when SENTRY_DSN is set
    middleware = [*observing, Middleware(HookConcurrencyLimit, limit=settings.webhook_max_concurrency)]
    # One pooled store connection per webhook request let in at once: the status hooks' ticket writes run
    # on the receiver's threads (the approval hooks' claims share one, worker/web/batch.py).
    registry.size_pools(settings.webhook_max_concurrency)
    app = Starlette(routes=[*routes, *extra_routes], middleware=middleware)
    app.state.receiver = receiver
    return app
