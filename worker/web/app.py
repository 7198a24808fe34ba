"""The Starlette app: `POST /hooks/postmortem-approved`, `/hooks/github`, `/hooks/jira`, `GET /healthz`,
and the dashboard's pages at `/` (worker/web/dashboard).

Each hook reads the raw body under a size and time limit, checks its signature, decides whether the
event approves a postmortem and which configured source it may read, writes the accepted delivery to the
store's outbox (the durable dedupe: a repeated delivery finds its row), and only then answers 202 and
publishes the task. It never calls a tracker or parses a document. Bodies and secrets are never logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.celery_app import INGEST_PULL_TASK, INGEST_TASK, make_celery
from config.logs import bind as bind_log_context
from config.sentry import init_sentry
from config.settings import Settings
from worker.errors import UserError
from worker.service.enqueue import republish
from worker.service.requests import parse_request
from worker.service.trust import check_source
from worker.store import registry
from worker.store.outbox import Outbox, OutboxEntry
from worker.store.tracked import open_followup_store
from worker.web import events
from worker.web.body import HookError, check_declared_length, read_body
from worker.web.dashboard import dashboard_routes
from worker.web.limits import HookConcurrencyLimit
from worker.web.observe import observability
from worker.web.signatures import (
    BadSignature,
    check_timestamped_header,
    signed_payload,
    verify,
    verify_timestamped,
    well_formed,
)
from worker.web.status_hooks import status_routes

#: Header of the generic hook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
SIGNATURE_HEADER = "X-Followthrough-Signature"
#: Room for the JSON envelope and escaping around a document of max_document_bytes.
ENVELOPE_BYTES = 64 * 1024
#: GitHub's and Jira's events carry no document: 1 MiB is ample (GitHub caps payloads at 25 MB, but a
#: pull_request or issue_updated event is a few tens of KB).
TRACKER_HOOK_BYTES = 1024 * 1024
# A publish must not hang the request when the broker is away: the outbox row is already durable, so
# give up fast and let the sweep publish it again.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

log = logging.getLogger(__name__)


def body_limit(settings: Settings) -> int:
    """Largest generic body: a document JSON-escaped (up to twice its size) plus the envelope."""
    return 2 * settings.max_document_bytes + ENVELOPE_BYTES


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # RecursionError: nesting too deep
        raise HookError(400, "body is not valid JSON") from None


def _secret(secret: SecretStr | None) -> SecretStr:
    # An empty secret is no secret: anyone can compute an HMAC with the empty key.
    if secret is None or not secret.get_secret_value():
        raise HookError(503, "no webhook secret is configured for this hook")
    return secret


class Receiver:
    """The hooks' shared machinery: settings, the Celery app to publish with, and the store's outbox."""

    def __init__(self, settings: Settings, *, celery: Any) -> None:
        self.settings = settings
        self.celery = celery
        self.limit = body_limit(settings)
        self._outbox: Outbox | None = None
        self._outbox_guard = threading.Lock()

    def outbox(self) -> Outbox:
        """The outbox of the store in `database_url` (opened, and migrated, on first use)."""
        with self._outbox_guard:
            if self._outbox is None:
                self._outbox = Outbox(registry.open_store(self.settings.database_url))
            return self._outbox

    async def body(self, request: Request, limit: int) -> bytes:
        return await read_body(request, limit, timeout=self.settings.webhook_read_timeout_seconds)

    async def signed_body(self, request: Request, secret: SecretStr | None, header: str, limit: int) -> bytes:
        """The body of a GitHub or Jira hook, checked against its `sha256=` signature."""
        key = _secret(secret)
        check_declared_length(request, limit)
        if not well_formed(request.headers.get(header)):  # refused before any body is buffered
            raise HookError(401, f"missing or bad {header}")
        body = await self.body(request, limit)
        if not verify(key, body, request.headers.get(header)):
            raise HookError(401, f"missing or bad {header}")
        return body

    async def accept(self, kind: str, delivery: str, task: str, args: list[Any]) -> JSONResponse:
        """Write the delivery to the outbox (the dedupe claim), then publish its task; 202 once durable."""
        try:
            entry_id = await run_in_threadpool(
                lambda: self.outbox().accept(kind, delivery, task=task, args=args))
        except Exception as exc:  # the store is down: nothing was accepted, the sender retries later
            log.warning("%s hook: store unavailable: %s", kind, type(exc).__name__)
            raise HookError(503, "temporarily unavailable") from None
        if entry_id is None:
            log.info("%s hook: repeated delivery ignored", kind)
            return JSONResponse({"status": "duplicate"}, status_code=200)
        entry = OutboxEntry(id=entry_id, kind=kind, task=task, args=args, attempts=0)
        try:
            await run_in_threadpool(self.publish, entry)
        except Exception as exc:
            # Accepted all the same: the row is in the store and the sweep publishes it again.
            log.warning("%s hook: publish failed (%s); the sweep will publish it", kind, type(exc).__name__)
            return JSONResponse({"status": "accepted"}, status_code=202)
        log.info("%s hook: queued", kind)
        return JSONResponse({"status": "queued"}, status_code=202)

    def publish(self, entry: OutboxEntry) -> None:
        republish(self.celery, entry, retry_policy=_PUBLISH_RETRY)

    # --- endpoints ---------------------------------------------------------------------------

    async def healthz(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def generic(self, request: Request) -> JSONResponse:
        secret = _secret(self.settings.webhook_secret)
        header = request.headers.get(SIGNATURE_HEADER)
        try:
            # Too large, or a signature missing, malformed or stale: refused before the (up to ~10 MB)
            # body is buffered.
            check_declared_length(request, self.limit)
            check_timestamped_header(header, now=time.time())
            body = await self.body(request, self.limit)
            signed_at = verify_timestamped(secret, body, header, now=time.time())
        except BadSignature as exc:
            raise HookError(401, f"{SIGNATURE_HEADER}: {exc}") from None
        try:
            ingest = parse_request(_json(body))
            check_source(self.settings, ingest)
        except UserError as exc:
            raise HookError(422, str(exc)) from None
        bind_log_context(postmortem_id=ingest.id)
        size = len(ingest.content.encode("utf-8")) if ingest.content is not None else 0
        if size > self.settings.max_document_bytes:
            raise HookError(413, "content over max_document_bytes")
        if ingest.team and self.settings.teams and ingest.team not in self.settings.teams:
            raise HookError(422, f"team {ingest.team[:100]!r} is not configured")
        # The signed time orders this postmortem's versions: a replayed older delivery never wins.
        ingest = ingest.model_copy(update={"version": datetime.fromtimestamp(signed_at, UTC)})
        # Dedupe on what is signed, never on unsigned headers.
        delivery = hashlib.sha256(signed_payload(signed_at, body)).hexdigest()
        return await self.accept("generic", delivery, INGEST_TASK, [ingest.to_task()])

    async def github(self, request: Request) -> JSONResponse:
        secret = self.settings.github_webhook_secret or self.settings.webhook_secret
        body = await self.signed_body(request, secret, "X-Hub-Signature-256", TRACKER_HOOK_BYTES)
        payload = _json(body)
        event = request.headers.get("X-GitHub-Event")
        if event == "ping":
            return JSONResponse({"status": "pong"})
        merged = events.github_merged_pull(event, payload, self.settings.sources.github)
        if merged is None:
            return JSONResponse({"status": "ignored"})
        # GitHub signs the body only; a replay with a new delivery id is made harmless by the merge time.
        delivery = request.headers.get("X-GitHub-Delivery") or hashlib.sha256(body).hexdigest()
        return await self.accept("github", delivery, INGEST_PULL_TASK, [merged.repo, merged.number])

    async def jira(self, request: Request) -> JSONResponse:
        secret = self.settings.jira_webhook_secret or self.settings.webhook_secret
        body = await self.signed_body(request, secret, "X-Hub-Signature", TRACKER_HOOK_BYTES)
        payload = _json(body)
        source = self.settings.sources.jira
        key = events.jira_approved_issue(payload, source)
        if key is None or source is None:
            return JSONResponse({"status": "ignored"})
        delivery = request.headers.get("X-Atlassian-Webhook-Identifier") or hashlib.sha256(body).hexdigest()
        try:
            # The key comes from the payload: validate it like any request (a bad one is a 422, no traceback).
            ingest = parse_request({"source": f"jira:{key}", "team": source.team})
            check_source(self.settings, ingest)
        except UserError as exc:
            raise HookError(422, str(exc)) from None
        bind_log_context(postmortem_id=key)
        return await self.accept("jira", delivery, INGEST_TASK, [ingest.to_task()])


def _guard(handler: Any) -> Any:
    async def endpoint(request: Request) -> JSONResponse:
        try:
            response: JSONResponse = await handler(request)
        except HookError as exc:
            return JSONResponse({"status": "error", "reason": exc.reason}, status_code=exc.status)
        return response

    return endpoint


def _store_engine(settings: Settings) -> Engine:
    with open_followup_store(settings) as store:
        return store.engine


def create_app(settings: Settings, *, celery: Any = None) -> Starlette:
    """The receiver app; publishes with `celery` (default: one built from the settings)."""
    celery = celery if celery is not None else make_celery(settings)
    receiver = Receiver(settings, celery=celery)
    routes = [
        Route("/healthz", _guard(receiver.healthz), methods=["GET"]),
        Route("/hooks/postmortem-approved", _guard(receiver.generic), methods=["POST"]),
        Route("/hooks/github", _guard(receiver.github), methods=["POST"]),
        Route("/hooks/jira", _guard(receiver.jira), methods=["POST"]),
        # Ticket status changes for follow-up reports (Jira issue_updated, GitHub issues events).
        *status_routes(settings, lambda: open_followup_store(settings)),
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
    app = Starlette(routes=[*routes, *extra_routes], middleware=middleware)
    app.state.receiver = receiver
    return app
