"""Receiver under hostile load: unsigned floods of large bodies, slow senders, and a real delivery meanwhile.

    python bench/bench_receiver.py                      # this checkout
    python bench/bench_receiver.py --root /tmp/old      # another checkout (e.g. `git archive` of a base)

Runs `followthrough serve` as a child process (private Redis, SQLite store) and prints, per scenario:
- unsigned flood: N connections at once each POST a body of SIZE bytes with no signature, to the generic
  hook and to /hooks/github: the server's peak RSS above its idle RSS, and how long until every answer;
- slow senders: M connections send headers and one byte of a body, then stall: how many the server
  closed within the wait, and the median time it took;
- a correctly signed delivery sent while the slow senders hold their connections: status and latency.
Needs redis-server, like the tests. Intake throughput against its floor is bench/bench_intake.py.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import RedisServer, free_port  # noqa: E402

SECRET = "bench-secret"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class PeakRss:
    """Samples a process's resident memory every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_kib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def read_status(conn: socket.socket) -> int | None:
    try:
        head = conn.recv(4096)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def flood_one(port: int, path: str, size: int, statuses: list[int | None]) -> None:
    chunk = b"x" * 65536
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            conn.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         f"X-GitHub-Event: pull_request\r\nContent-Length: {size}\r\n\r\n".encode())
            sent = 0
            try:
                while sent < size:
                    conn.sendall(chunk[: min(len(chunk), size - sent)])
                    sent += min(len(chunk), size - sent)
            except OSError:
                pass  # the server answered and closed early: what a limit should do
            statuses.append(read_status(conn))
    except OSError:
        statuses.append(None)


def flood(port: int, pid: int, path: str, *, connections: int, size: int) -> str:
    statuses: list[int | None] = []
    idle = rss_kib(pid)
    started = time.monotonic()
    with PeakRss(pid) as peak:
        threads = [threading.Thread(target=flood_one, args=(port, path, size, statuses))
                   for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - started
    counts = {str(s): statuses.count(s) for s in sorted(set(statuses), key=str)}
    grown = (peak.peak - idle) / 1024
    return (f"{connections} x {size / 1e6:.1f} MB unsigned to {path}: peak RSS +{grown:.0f} MiB"
            f" (idle {idle / 1024:.0f} MiB), all answered in {elapsed:.1f} s, statuses {counts}")


def signature(body: bytes, *, timestamped: bool) -> str:
    if not timestamped:
        return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    t = int(time.time())
    return f"t={t},v1=" + hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def slow_senders(port: int, *, connections: int, wait: float) -> tuple[str, list[socket.socket]]:
    conns: list[socket.socket] = []
    bogus = f"t={int(time.time())},v1={'0' * 64}"
    for _ in range(connections):
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=wait)
            conn.sendall(f"POST /hooks/postmortem-approved HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                         f"X-Followthrough-Signature: {bogus}\r\n\r\n{{".encode())
            conns.append(conn)
        except OSError:
            pass
    return f"{len(conns)} of {connections} slow connections opened", conns


def watch_closed(conns: list[socket.socket], opened_at: float, wait: float) -> str:
    answered: dict[str, list[float]] = {}
    lock = threading.Lock()

    def watch(conn: socket.socket) -> None:
        conn.settimeout(max(0.1, wait - (time.monotonic() - opened_at)))
        status = read_status(conn)
        if status is not None:
            with lock:
                answered.setdefault(str(status), []).append(time.monotonic() - opened_at)

    threads = [threading.Thread(target=watch, args=(conn,)) for conn in conns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for conn in conns:
        conn.close()
    total = sum(len(times) for times in answered.values())
    detail = ", ".join(f"{status}: {len(times)} (median {statistics.median(times):.1f} s)"
                       for status, times in sorted(answered.items()))
    return f"answered by the server within {wait:.0f} s: {total} of {len(conns)} [{detail}]"


def signed_delivery(port: int) -> str:
    import httpx

    payload = {"id": "BENCH-1", "title": "t", "content": "# PM\n\n## Action items\n- fix it"}
    body = json.dumps(payload).encode()
    results = []
    for timestamped in (True, False):  # this checkout signs t=,v1=; an older one sha256=
        started = time.monotonic()
        try:
            headers = {"X-Followthrough-Signature": signature(body, timestamped=timestamped),
                       "Content-Type": "application/json"}
            response = httpx.post(f"http://127.0.0.1:{port}/hooks/postmortem-approved", content=body,
                                  headers=headers, timeout=60)
            results.append((response.status_code, time.monotonic() - started))
        except httpx.HTTPError as exc:
            results.append((type(exc).__name__, time.monotonic() - started))  # type: ignore[arg-type]
        if results[-1][0] != 401:
            break
    status, elapsed = results[-1]
    return f"a signed delivery meanwhile: {status} in {elapsed:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose receiver to run")
    parser.add_argument("--flood", type=int, default=40, help="unsigned connections at once")
    parser.add_argument("--size", type=int, default=10_000_000, help="bytes each unsigned body sends")
    parser.add_argument("--slow", type=int, default=200, help="slow connections")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to watch the slow connections")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ft-bench-receiver-"))
    redis = RedisServer(folder / "redis").start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLLOWTHROUGH_", "JIRA_", "GITHUB_"))}
    env.update({"PYTHONPATH": str(args.root.resolve()), "REDIS_URL": redis.url,
                "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{folder / 'store.db'}",
                "FOLLOWTHROUGH_WEBHOOK_SECRET": SECRET, "FOLLOWTHROUGH_CONFIG": ""})
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from worker.cli.main import main; sys.exit(main(sys.argv[1:]))",
         "serve", "--port", str(port), "--log-level", "warning"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=(folder / "serve.log").open("wb"))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"the receiver did not start; see {folder / 'serve.log'}") from None
                time.sleep(0.1)
        print(f"receiver of {args.root}")
        print(flood(port, server.pid, "/hooks/postmortem-approved", connections=args.flood, size=args.size))
        print(flood(port, server.pid, "/hooks/github", connections=args.flood, size=args.size))
        opened_at = time.monotonic()
        line, conns = slow_senders(port, connections=args.slow, wait=args.wait)
        print(line)
        time.sleep(0.5)
        print(signed_delivery(port))
        print(watch_closed(conns, opened_at, args.wait))
        tracebacks = (folder / "serve.log").read_text(errors="replace").count("Traceback")
        print(f"receiver still running: {server.poll() is None}; traceback lines in its log: {tracebacks}")
    finally:
        server.terminate()
        server.wait(10)
        redis.stop()


if __name__ == "__main__":
    main()
