"""`GET /readyz`: can this receiver do its job? The store opens at the current schema and Redis answers.

`/healthz` stays a liveness check that touches nothing. A load balancer routes by `/readyz`: 200 when every
check passes, else 503 with the reason of each failing check. Reasons are one line, with any credentials in
a URL masked, and only with the metrics token (`Authorization: Bearer <metrics_token>`): without it a
failing check just says `unavailable`, since the reason can name the database host, port and role, and
the receiver listens on every address in compose.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)[^/@\s]+@")


def reason(exc: BaseException) -> str:
    """One safe line about a failure: its class and the first line of its message, credentials masked."""
    first = (str(exc).strip().splitlines() or [""])[0]
    first = _CREDENTIALS.sub(r"\g<scheme>***@", first)[:400]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def check_store(engine: Callable[[], Engine]) -> str | None:
    """None when the store opens (migrated) and answers a query, else why not."""
    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return reason(exc)
    return None


def check_redis(client: Any) -> str | None:
    """None when Redis answers PING (or none is configured: the embedded broker), else why not."""
    if client is None:
        return None
    try:
        client.ping()
    except Exception as exc:
        return reason(exc)
    return None


def _authorized(request: Request, token: SecretStr | None) -> bool:
    if token is None or not token.get_secret_value():
        return False  # no token configured: reasons are never shown to the network
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8"),
                                                               token.get_secret_value().encode("utf-8"))


def readyz_endpoint(*, engine: Callable[[], Engine], redis: Any,
                    token: SecretStr | None = None) -> Callable[[Request], Any]:
    """The /readyz handler; failing checks give their reasons only to a request with `token`."""

    def run_checks() -> dict[str, str | None]:
        return {"store": check_store(engine), "redis": check_redis(redis)}

    async def endpoint(request: Request) -> JSONResponse:
        results = await run_in_threadpool(run_checks)
        detailed = _authorized(request, token)
        checks = {name: "ok" if not problem else problem if detailed else "unavailable"
                  for name, problem in results.items()}
        if redis is None:
            checks["redis"] = "not configured (embedded broker)"
        if any(results.values()):
            return JSONResponse({"status": "not ready", "checks": checks}, status_code=503)
        return JSONResponse({"status": "ready", "checks": checks})

    return endpoint
