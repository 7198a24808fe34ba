"""The intake floor (issue 21): the least a signed webhook receiver can do, as its own process.

    python bench/intake_floor.py --port P --dsn postgresql://... --secret S [--connections 32]
        [--log-level info] [--limit-concurrency 64]

A minimal Starlette app under uvicorn with the settings `followthrough serve` uses: it reads the body,
checks the same `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` signature (5 minutes of tolerance) and
runs one INSERT of the delivery into PostgreSQL, on one of `--connections` asynchronous connections
opened at start, then answers 202. No broker, no thread hand-off, no ORM.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

HEADER = "x-followthrough-signature"
TOLERANCE = 300


def valid(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        stamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - stamp) > TOLERANCE:
        return False
    expected = hmac.new(secret, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


def build(dsn: str, secret: bytes, connections: int) -> Starlette:
    pool: asyncio.Queue[psycopg.AsyncConnection[object]] = asyncio.Queue()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for _ in range(connections):
            pool.put_nowait(await psycopg.AsyncConnection.connect(dsn, autocommit=True))
        yield
        while not pool.empty():
            await pool.get_nowait().close()

    async def hook(request: Request) -> JSONResponse:
        body = await request.body()
        if not valid(secret, body, request.headers.get(HEADER)):
            return JSONResponse({"status": "error"}, status_code=401)
        conn = await pool.get()
        try:
            await conn.execute("INSERT INTO floor_deliveries (delivery, body) VALUES (%s, %s)",
                               (hashlib.sha256(body).hexdigest(), body))
        finally:
            pool.put_nowait(conn)
        return JSONResponse({"status": "queued"}, status_code=202)

    return Starlette(routes=[Route("/hooks/postmortem-approved", hook, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--limit-concurrency", type=int, default=64)
    args = parser.parse_args()
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS floor_deliveries (delivery text PRIMARY KEY, body bytea,"
                     " received timestamptz NOT NULL DEFAULT now())")
    app = build(args.dsn, args.secret.encode(), args.connections)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level=args.log_level, proxy_headers=True,
                limit_concurrency=args.limit_concurrency, timeout_keep_alive=5)


if __name__ == "__main__":
    main()
