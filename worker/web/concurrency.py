"""A cap on webhook requests in flight per receiver process that buffer big bodies: the rest get 503 at
once, not a queue.

Every hook buffers a body of up to its size limit, so the number of big bodies at once bounds memory. A
small body (its Content-Length at most `SMALL_BODY`) is read without a slot: uvicorn already buffers that
much per connection (its flow-control high-water mark), so reading it costs no more than the connection
itself, which the connection cap bounds (worker/web/connections.py). This is what keeps real senders
served while forged signatures hold every slot: the header check before the body only tests that a
signature is well formed and fresh, which anyone can forge, and a forged slow body of 100 kB holds its
slot until the read timeout. GitHub's and Jira's events and a generic delivery of an ordinary postmortem
are small; a big one competes for the slots as before, never for more.

Why this and not the alternatives: fairness per client fails when the attacker and the sender share an
address (a NAT, or the reverse proxy every request comes through); a short first-byte deadline does
not stop one byte and then a stall; a separate pool for bodies that fail verification needs the body
read first, which is this.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from config.logs import printable

log = logging.getLogger(__name__)

#: Bodies up to this many bytes (by Content-Length) are read without taking a slot: uvicorn's per
#: connection buffer (`uvicorn.protocols.http.flow_control.HIGH_WATER_LIMIT`).
SMALL_BODY = 64 * 1024


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, or None when it has none or it is not a plain number."""
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            text = bytes(value).strip()
            return int(text) if text.isdigit() and len(text) < 16 else None
    return None


class HookConcurrencyLimit:
    """ASGI middleware: at most `limit` big-body requests under `prefix` at once; more are answered 503."""

    def __init__(self, app: ASGIApp, *, limit: int, prefix: str = "/hooks/",
                 small_body: int = SMALL_BODY) -> None:
        self.app = app
        self.limit = limit
        self.prefix = prefix
        self.small_body = small_body
        # Requests run on one event loop, so a plain counter needs no lock.
        self.active = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length <= self.small_body:
            await self.app(scope, receive, send)  # read before any slot: see the module docstring
            return
        if self.active >= self.limit:
            log.warning("%s: %d webhook requests with big bodies in flight; refused with 503",
                        printable(str(scope.get("path")), 200), self.active)
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
                            (b"connection", b"close"),  # the body is never read
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
