"""Reading a webhook's raw body under a size limit and a time limit, and the error that answers a request.

A body is refused by its Content-Length or while it streams, never buffered whole first, and must arrive
within the time limit: a slow sender cannot hold memory or a connection for long. A client that goes
away mid-body is one log line, not a traceback.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import ClientDisconnect, Request

#: Default time a body may take to arrive (the receiver passes its setting).
READ_TIMEOUT_SECONDS = 10.0

log = logging.getLogger(__name__)


class HookError(Exception):
    """Answer the request with this status and one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def _stream(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HookError(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def check_declared_length(request: Request, limit: int) -> None:
    """413 when the Content-Length header already says the body is over `limit` (nothing read)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.strip().isascii() and declared.strip().isdigit()):
            raise HookError(400, "bad Content-Length")
        if int(declared) > limit:
            raise HookError(413, f"body over {limit} bytes")


async def read_body(request: Request, limit: int, *, timeout: float = READ_TIMEOUT_SECONDS) -> bytes:
    """The raw body; 413 as soon as it (or its Content-Length) passes `limit`, 408 after `timeout` s."""
    check_declared_length(request, limit)
    try:
        async with asyncio.timeout(timeout):
            return await _stream(request, limit)
    except TimeoutError:
        log.info("%s: body not received within %.0f s; refused", request.url.path, timeout)
        raise HookError(408, f"body not received within {timeout:.0f} s") from None
    except ClientDisconnect:
        log.info("%s: client disconnected before the body was read", request.url.path)
        raise HookError(400, "client disconnected") from None
