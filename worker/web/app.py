"""The Starlette app: `POST /hooks/postmortem-approved`, `/hooks/github`, `/hooks/jira`, `GET /healthz`,
and the dashboard's pages at `/` (worker/web/dashboard).

Each hook reads the raw body under a size limit, checks its HMAC-SHA256 signature, decides whether the
event approves a postmortem, drops repeated deliveries, and enqueues; it never calls a tracker or parses
a document, so it answers well within a second. Bodies and secrets are never logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from typing import Any

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.celery_app import INGEST_PULL_TASK, INGEST_QUEUE, make_celery
from config.settings import Settings
from worker.errors import UserError
from worker.followup.storage import open_followup_store
from worker.service.enqueue import enqueue_ingest
from worker.service.requests import IngestRequest, parse_request
from worker.web import events
from worker.web.body import HookError, read_body
from worker.web.dashboard import dashboard_routes
from worker.web.dedupe import Deduper, MemoryDeduper, RedisDeduper
from worker.web.signatures import verify
from worker.web.status_hooks import status_routes

#: Header of the generic hook's signature: `sha256=<hex HMAC-SHA256 of the raw body>`.
SIGNATURE_HEADER = "X-Followthrough-Signature"
#: Optional id of a generic delivery; without it, id + content hash identify the delivery.
DELIVERY_HEADER = "X-Followthrough-Delivery"
#: Room for the JSON envelope and escaping around a document of max_document_bytes.
ENVELOPE_BYTES = 64 * 1024
# A publish must not hang the request when the broker is away: fail fast, answer 503, the sender retries.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

log = logging.getLogger(__name__)


def body_limit(settings: Settings) -> int:
    """Largest raw body accepted: a document JSON-escaped (up to twice its size) plus the envelope."""
    return 2 * settings.max_document_bytes + ENVELOPE_BYTES


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # RecursionError: nesting too deep
        raise HookError(400, "body is not valid JSON") from None


class Receiver:
    """The hooks' shared machinery: settings, the Celery app to publish with, and the dedupe store."""

    def __init__(self, settings: Settings, *, celery: Any, deduper: Deduper) -> None:
        self.settings = settings
        self.celery = celery
        self.deduper = deduper
        self.limit = body_limit(settings)

    async def signed_body(self, request: Request, secret: SecretStr | None, header: str) -> bytes:
        if secret is None or not secret.get_secret_value():
            raise HookError(503, "no webhook secret is configured for this hook")
        body = await read_body(request, self.limit)
        if not verify(secret, body, request.headers.get(header)):
            raise HookError(401, f"missing or bad {header}")
        return body

    async def enqueue_once(self, kind: str, delivery: str, publish: Any) -> JSONResponse:
        """Claim the delivery, publish, and undo the claim if publishing failed."""
        ttl = self.settings.webhook_dedupe_ttl_seconds
        try:
            first = await run_in_threadpool(self.deduper.claim, kind, delivery, ttl=ttl)
        except Exception as exc:  # the dedupe store is down: let the sender retry later
            log.warning("%s hook: dedupe store unavailable: %s", kind, type(exc).__name__)
            raise HookError(503, "temporarily unavailable") from None
        if not first:
            log.info("%s hook: repeated delivery ignored", kind)
            return JSONResponse({"status": "duplicate"}, status_code=200)
        try:
            await run_in_threadpool(publish)
        except Exception as exc:
            log.warning("%s hook: enqueue failed: %s", kind, type(exc).__name__)
            with contextlib.suppress(Exception):
                await run_in_threadpool(self.deduper.release, kind, delivery)
            raise HookError(503, "temporarily unavailable") from None
        log.info("%s hook: queued", kind)
        return JSONResponse({"status": "queued"}, status_code=202)

    def publish_ingest(self, request: IngestRequest) -> None:
        enqueue_ingest(self.celery, request, retry_policy=_PUBLISH_RETRY)

    # --- endpoints ---------------------------------------------------------------------------

    async def healthz(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def generic(self, request: Request) -> JSONResponse:
        body = await self.signed_body(request, self.settings.webhook_secret, SIGNATURE_HEADER)
        try:
            ingest = parse_request(_json(body))
        except UserError as exc:
            raise HookError(422, str(exc)) from None
        if ingest.reads_local_file():
            raise HookError(422, "file: sources are not accepted from webhooks")
        size = len(ingest.content.encode("utf-8")) if ingest.content is not None else 0
        if size > self.settings.max_document_bytes:
            raise HookError(413, "content over max_document_bytes")
        if ingest.team and self.settings.teams and ingest.team not in self.settings.teams:
            raise HookError(422, f"team {ingest.team[:100]!r} is not configured")
        delivery = request.headers.get(DELIVERY_HEADER)
        if not delivery:
            what = ingest.content if ingest.content is not None else str(ingest.source)
            delivery = f"{ingest.id}:{hashlib.sha256(what.encode('utf-8')).hexdigest()}"
        return await self.enqueue_once("generic", delivery, lambda: self.publish_ingest(ingest))

    async def github(self, request: Request) -> JSONResponse:
        secret = self.settings.github_webhook_secret or self.settings.webhook_secret
        body = await self.signed_body(request, secret, "X-Hub-Signature-256")
        payload = _json(body)
        event = request.headers.get("X-GitHub-Event")
        if event == "ping":
            return JSONResponse({"status": "pong"})
        merged = events.github_merged_pull(event, payload, self.settings.sources.github)
        if merged is None:
            return JSONResponse({"status": "ignored"})
        delivery = request.headers.get("X-GitHub-Delivery") or hashlib.sha256(body).hexdigest()

        def publish() -> None:
            self.celery.send_task(INGEST_PULL_TASK, args=[merged.repo, merged.number], queue=INGEST_QUEUE,
                                  retry=True, retry_policy=_PUBLISH_RETRY)

        return await self.enqueue_once("github", delivery, publish)

    async def jira(self, request: Request) -> JSONResponse:
        secret = self.settings.jira_webhook_secret or self.settings.webhook_secret
        body = await self.signed_body(request, secret, "X-Hub-Signature")
        payload = _json(body)
        source = self.settings.sources.jira
        key = events.jira_approved_issue(payload, source)
        if key is None or source is None:
            return JSONResponse({"status": "ignored"})
        delivery = request.headers.get("X-Atlassian-Webhook-Identifier") or hashlib.sha256(body).hexdigest()
        try:
            # The key comes from the payload: validate it like any request (a bad one is a 422, no traceback).
            ingest = parse_request({"source": f"jira:{key}", "team": source.team})
        except UserError as exc:
            raise HookError(422, str(exc)) from None
        return await self.enqueue_once("jira", delivery, lambda: self.publish_ingest(ingest))


def _guard(handler: Any) -> Any:
    async def endpoint(request: Request) -> JSONResponse:
        try:
            response: JSONResponse = await handler(request)
        except HookError as exc:
            return JSONResponse({"status": "error", "reason": exc.reason}, status_code=exc.status)
        return response

    return endpoint


def create_app(settings: Settings, *, celery: Any = None, deduper: Deduper | None = None) -> Starlette:
    """The receiver app; publishes with `celery` (default: one built from the settings)."""
    celery = celery if celery is not None else make_celery(settings)
    if deduper is None:
        client = getattr(celery, "redis", None)
        deduper = RedisDeduper(client) if client is not None else MemoryDeduper()
    receiver = Receiver(settings, celery=celery, deduper=deduper)
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
    app = Starlette(routes=routes)
    app.state.receiver = receiver
    return app
