"""Webhook intake against its floor: signed deliveries accepted per second, and server CPU per delivery.

    python bench/bench_intake.py [--deliveries 2000] [--connections 32] [--rounds 3] [--log-level info]

Starts, side by side, `followthrough serve` (real uvicorn, PostgreSQL store, private Redis broker) and the
floor (bench/intake_floor.py: a minimal Starlette app under the same uvicorn settings, the same HMAC check
and one INSERT). Each round sends `--deliveries` distinct, correctly signed deliveries over `--connections`
kept-alive connections to the floor, then to the product; every answer must be 202, and every
delivery's task must be in the broker at the end. Prints, per round and as medians: deliveries per
second (goal: product >= 0.6 of the floor) and the server process's CPU milliseconds per delivery
(goal: at most 2x the floor's). The load generator is this process (asyncio,
raw HTTP/1.1), the same for both. Needs redis-server and PostgreSQL on 127.0.0.1:5432 (user postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from floors import SERVE, Pair, Served  # noqa: E402
from redis import Redis  # noqa: E402

from tests.servers import RedisServer, postgres_database  # noqa: E402
from worker.tasks.names import INGEST_QUEUE  # noqa: E402

SECRET = "bench-secret"
PATH = "/hooks/postmortem-approved"


def request_bytes(port: int, n: int, tag: str) -> bytes:
    content = f"# Postmortem {tag}-{n}\n\n## Action items\n\n- [ ] Add an alert on queue depth (owner: Ann)\n"
    body = json.dumps({"id": f"INTAKE-{tag}-{n}", "title": f"Intake {n}", "content": content}).encode()
    stamp = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-Followthrough-Signature: t={stamp},v1={mac}\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


async def _connection(port: int, queue: list[bytes], statuses: Counter[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            writer.write(queue.pop())
            head = await reader.readuntil(b"\r\n\r\n")
            statuses[int(head.split(b" ", 2)[1])] += 1
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if b"connection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def blast(port: int, requests: list[bytes], connections: int) -> tuple[float, Counter[int]]:
    """Send every request over `connections` kept-alive connections; seconds until all are answered."""
    statuses: Counter[int] = Counter()

    async def run() -> None:
        await asyncio.gather(*(_connection(port, requests, statuses) for _ in range(connections)))

    started = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - started, statuses


class Server(Served):
    """One receiver under test and a round of deliveries against it."""

    def round(self, tag: str, deliveries: int, connections: int) -> tuple[float, float]:
        """Deliveries per second and server CPU ms per delivery, every answer checked to be 202."""
        requests = [request_bytes(self.port, n, tag) for n in range(deliveries)]
        cpu = self.cpu()
        elapsed, statuses = blast(self.port, requests, connections)
        used = self.cpu() - cpu
        if set(statuses) != {202}:
            raise SystemExit(f"{self.name}: answers {dict(statuses)}; see {self.log}")
        return deliveries / elapsed, used * 1000 / deliveries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=2000, help="per round and server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--log-level", default="info", help="both servers' log level (serve's default)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ft-bench-intake-"))
    redis = RedisServer(folder / "redis").start()
    servers: list[Server] = []
    try:
        with postgres_database("ft_bench_intake") as url:
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("FOLLOWTHROUGH_", "JIRA_", "GITHUB_"))}
            env.update({"PYTHONPATH": str(ROOT), "REDIS_URL": redis.url, "FOLLOWTHROUGH_DATABASE_URL": url,
                        "FOLLOWTHROUGH_WEBHOOK_SECRET": SECRET, "FOLLOWTHROUGH_CONFIG": ""})
            floor = Server("floor", [sys.executable, str(ROOT / "bench" / "intake_floor.py"),
                                     "--dsn", url.replace("+psycopg", ""), "--secret", SECRET,
                                     "--connections", str(args.connections), "--log-level", args.log_level],
                           env, folder)
            servers.append(floor)
            # Nothing ingests during the bench, so every round's deliveries stay pending: the product's
            # cap on pending rows (10,000 by default) must hold them all, or the later rounds measure 503s.
            room = (args.rounds + 1) * args.deliveries + 10_000
            product = Server("product", [*SERVE, "--log-level", args.log_level],
                             {**env, "FOLLOWTHROUGH_WEBHOOK_OUTBOX_MAX_ROWS": str(room)}, folder)
            servers.append(product)
            for server in servers:  # warm-up: the store's first open (and migration), imports, connections
                server.round("warm", 200, args.connections)
            rate = Pair(f"intake, {args.connections} connections", "deliveries/s", higher_is_better=True)
            cpu = Pair("server CPU per delivery", "ms", higher_is_better=False)
            for n in range(args.rounds):
                for server, rates, cpus in ((floor, rate.floor, cpu.floor),
                                            (product, rate.product, cpu.product)):
                    per_second, ms = server.round(f"r{n}", args.deliveries, args.connections)
                    rates.append(per_second)
                    cpus.append(ms)
            print(f"{args.deliveries} signed deliveries per round, {args.rounds} rounds, PostgreSQL store")
            print(rate.line() + "  (goal >= 0.6)")
            print(cpu.line() + "  (goal <= 2x)")
            tracebacks = sum(s.tracebacks() for s in servers)
            print(f"traceback lines in the servers' logs: {tracebacks}")
            sent = 200 + args.rounds * args.deliveries
            published = Redis.from_url(redis.url).llen(INGEST_QUEUE)
            print(f"tasks published by the product: {published} of {sent} deliveries")
            if published != sent:
                raise SystemExit(f"the product published {published} tasks for {sent} deliveries")
            for server in servers:
                server.stop()
            servers.clear()
    finally:
        for server in servers:
            server.stop()
        redis.stop()


if __name__ == "__main__":
    main()
