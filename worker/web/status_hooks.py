"""Signed status endpoints: Jira and GitHub ticket changes pushed into the store as they happen.

The event parsers are pure (connectors.github_events, connectors.jira_events); this module owns the
request handling: the body limit, the HMAC check, JSON errors and the store write. A replayed or late
delivery cannot roll a ticket back: changes older than what the store already holds are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.settings import Settings
from connectors.github_events import ticket_from_github_event
from connectors.jira_events import ticket_from_jira_event
from connectors.tracker import Ticket
from worker.web.body import HookError, check_declared_length, read_body
from worker.web.signatures import well_formed

if TYPE_CHECKING:
    from worker.store.tracked import FollowupStore

MAX_BODY = 1024 * 1024


def _verified(secret: SecretStr, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    digest = hmac.new(secret.get_secret_value().encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = header.strip().lower().encode("ascii", "replace")
    return hmac.compare_digest(f"sha256={digest}".encode("ascii"), given)


StoreOpener = Callable[[], AbstractContextManager["FollowupStore"]]


def status_routes(settings: Settings, open_store: StoreOpener, *,
                  prefix: str = "/hooks/status") -> list[Route]:
    """Signed endpoints `<prefix>/jira` and `<prefix>/github` that write ticket changes to the store."""

    def apply(ticket: Ticket) -> int:
        with open_store() as store:
            return store.apply_tickets([ticket], now=datetime.now(UTC), only_newer=True)

    async def receive(request: Request, secret: SecretStr | None, header: str,
                      parse: Callable[[Any], Ticket | None]) -> JSONResponse:
        # An empty secret is no secret: anyone can compute an HMAC with the empty key.
        if secret is None or not secret.get_secret_value():
            return JSONResponse({"status": "error", "reason": "no webhook secret is configured"}, 503)
        try:
            # Refused by Content-Length, by a header that cannot be a signature, or while streaming:
            # never buffered whole first.
            check_declared_length(request, MAX_BODY)
            if not well_formed(request.headers.get(header)):
                return JSONResponse({"status": "error", "reason": f"missing or bad {header}"}, 401)
            body = await read_body(request, MAX_BODY, timeout=settings.webhook_read_timeout_seconds)
        except HookError as exc:
            reason = "body too large" if exc.status == 413 else exc.reason
            return JSONResponse({"status": "error", "reason": reason}, exc.status)
        if not _verified(secret, body, request.headers.get(header)):
            return JSONResponse({"status": "error", "reason": f"missing or bad {header}"}, 401)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            return JSONResponse({"status": "error", "reason": "body is not valid JSON"}, 400)
        try:
            ticket = parse(payload)
        except (TypeError, AttributeError, ValueError, KeyError):
            # Signed, but not shaped like the tracker's event (a field of the wrong type): no traceback.
            return JSONResponse({"status": "error", "reason": "not a usable event payload"}, 400)
        if ticket is None:
            return JSONResponse({"status": "ignored"})
        changed = await run_in_threadpool(apply, ticket)
        return JSONResponse({"status": "updated" if changed else "unchanged", "ticket": ticket.key})

    async def jira(request: Request) -> JSONResponse:
        secret = settings.jira_webhook_secret or settings.webhook_secret
        return await receive(request, secret, "X-Hub-Signature",
                             lambda payload: ticket_from_jira_event(payload, server=settings.jira_url or ""))

    async def github(request: Request) -> JSONResponse:
        secret = settings.github_webhook_secret or settings.webhook_secret
        event = request.headers.get("X-GitHub-Event")
        return await receive(request, secret, "X-Hub-Signature-256",
                             lambda payload: ticket_from_github_event(event, payload))

    return [Route(f"{prefix}/jira", jira, methods=["POST"]),
            Route(f"{prefix}/github", github, methods=["POST"])]
