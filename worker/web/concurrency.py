"""A cap on webhook requests in flight per receiver process: the rest get 503 at once, not a queue.

Every hook buffers a body of up to its size limit, so the number of requests at once bounds memory.
Uvicorn's `limit_concurrency` (set by `followthrough serve`) caps connections as well.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)


class HookConcurrencyLimit:
    """ASGI middleware: at most `limit` requests under `prefix` at once; more are answered 503."""

    def __init__(self, app: ASGIApp, *, limit: int, prefix: str = "/hooks/") -> None:
        self.app = app
        self.limit = limit
        self.prefix = prefix
        # Requests run on one event loop, so a plain counter needs no lock.
        self.active = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            log.warning("%s: %d webhook requests in flight; refused with 503", scope.get("path"), self.active)
            await _busy(send)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


async def _busy(send: Send) -> None:
    body = json.dumps({"status": "error", "reason": "too many requests in flight"}).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", b"5"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
