"""Bounding connections, not requests: uvicorn's h11 protocol with a connection cap and read deadlines.

Uvicorn's `limit_concurrency` counts open connections as well as requests, and answers 503 to every
request once either reaches the limit, `/healthz` included; and uvicorn never times out a connection
that has not sent a whole request head yet (its keep-alive timer only starts after a response). So a few
dozen idle sockets from anyone took the receiver down. This protocol replaces both, per connection:

- a connection cap well above the hook request cap: a connection past it is answered 503 and closed at
  once, before it can hold anything (the ones already open are served);
- a header deadline: a whole request head must arrive within `head_timeout` seconds of the connection
  opening (or of the previous response, on a kept-alive connection), or the connection is closed;
- a body deadline: a request whose body is still arriving `body_timeout` seconds after that is closed,
  whichever route it asked for (the hooks refuse a slow body themselves, 408, within the same time);
- idle kept-alive connections are closed by uvicorn's own `timeout_keep_alive`.

Requests in flight are bounded separately, by the app (worker/web/concurrency.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

import h11
from prometheus_client import Counter
from uvicorn.protocols.http.h11_impl import H11Protocol

RECEIVER_CONNECTIONS_CLOSED = Counter(
    "followthrough_receiver_connections_closed",
    "Connections the receiver closed itself, by reason (over_cap: past the connection cap; "
    "header_timeout: no whole request head in time; body_timeout: the body still arriving).",
    ["reason"],
)

_FULL = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nretry-after: 5\r\n"
         b"connection: close\r\ncontent-length: 32\r\n\r\ntoo many connections; try later\n")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and head and body deadlines (set per subclass)."""

    max_connections: ClassVar[int] = 1024
    head_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 10.0

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            RECEIVER_CONNECTIONS_CLOSED.labels(reason="over_cap").inc()
            transport.write(_FULL)
            transport.close()
            return
        self._arm(self.head_timeout, self._head_due)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            # The next request's head (and the rest of this one's body) has its own deadline again.
            self._arm(self.head_timeout, self._head_due)

    def _arm(self, delay: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _waiting_for_head(self) -> bool:
        idle = self.cycle is None or self.cycle.response_complete
        return idle and self.conn.their_state is h11.IDLE

    def _head_due(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._waiting_for_head():
            self._close("header_timeout")
        elif self.conn.their_state is h11.SEND_BODY:
            self._arm(self.body_timeout, self._body_due)

    def _body_due(self) -> None:
        self._deadline = None
        if not self.transport.is_closing() and self.conn.their_state is h11.SEND_BODY:
            self._close("body_timeout")

    def _close(self, reason: str) -> None:
        RECEIVER_CONNECTIONS_CLOSED.labels(reason=reason).inc()
        self.transport.close()


def guarded_protocol(*, max_connections: int, head_timeout: float,
                     body_timeout: float) -> type[GuardedH11Protocol]:
    """A GuardedH11Protocol class with these limits (uvicorn builds one protocol per connection)."""
    return type("ReceiverH11Protocol", (GuardedH11Protocol,), {
        "max_connections": max_connections, "head_timeout": head_timeout, "body_timeout": body_timeout})
