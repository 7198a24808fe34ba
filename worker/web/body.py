"""Reading a webhook's raw body under a size limit, and the error that answers a request with a status."""

from __future__ import annotations

from starlette.requests import Request


class HookError(Exception):
    """Answer the request with this status and one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it (or its Content-Length) passes `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise HookError(400, "bad Content-Length")
        if int(declared) > limit:
            raise HookError(413, f"body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HookError(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
