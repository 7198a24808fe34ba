"""Approval to tickets against its floor: postmortems approved by webhook, through `followthrough serve`,
Redis and worker processes, into the Jira stand-in.

    python bench/bench_service.py            # 50 postmortems x 8 items, 2 workers, Jira at 30 ms, 3 rounds
    python bench/bench_service.py --pool solo --concurrency 1     # the workers before issue 21
    python bench/bench_service.py --tracker github --postmortems 5 --rounds 1   # no floor: 1 write/s

Each round posts `--postmortems` signed approvals over HTTP to `followthrough serve` (real uvicorn, the
PostgreSQL store) and waits until every postmortem's tickets exist in the stand-in; it prints throughput
(items/s), p50/p95 time from approval (the 202) to all of a postmortem's tickets, and tracker calls per
item. The floor, run interleaved in the same stand-in at the same latency, is the latency-bound
minimum: `--workers` processes that each do, per postmortem, one search and ceil(items/50) bulk creates
(plain HTTP, nothing else). The computed ceiling, workers x items / ((1 + ceil(items/50)) x latency), is
printed beside it. Needs redis-server and PostgreSQL on 127.0.0.1:5432 (user postgres), like the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from floors import SERVE, Pair, Served, cpu_seconds

from config.celery_app import worker_pool
from tests.servers import RedisServer, postgres_database
from tests.service.harness import PEOPLE, WorkerProcess, postmortem_markdown, service_env, write_config

SECRET = "bench-secret"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def pm_label(pm_id: str) -> str:
    """The label sync puts on a postmortem's tickets (worker.sync: `ftpm-` + the postmortem key)."""
    from worker.sync.pipeline import postmortem_key

    return f"ftpm-{postmortem_key(pm_id)}"


@dataclass
class Round:
    items_per_second: float
    latencies: list[float]
    calls: int
    cpu: float = 0.0  # seconds used by the workers and the receiver during the round


# --- the floor: one search and ceil(N/50) bulk creates per postmortem, nothing else -----------------

_floor_session: Any = None
_floor_url = ""


def _floor_init(url: str, email: str, token: str) -> None:
    import requests

    global _floor_session, _floor_url
    _floor_session = requests.Session()
    _floor_session.auth = (email, token)
    _floor_session.headers["Content-Type"] = "application/json"
    _floor_url = url


def _floor_postmortem(job: tuple[str, int, str]) -> float:
    label, items, account = job
    search = {"jql": f'project = "OPS" AND labels = "{label}" ORDER BY key ASC', "maxResults": 100,
              "fields": ["summary", "labels", "status"]}
    _floor_session.post(f"{_floor_url}/rest/api/3/search/jql", data=json.dumps(search)).raise_for_status()
    fields = [{"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"},
                          "summary": f"Floor action {n} of {label}", "labels": [label, "followthrough"],
                          "duedate": "2030-01-01", "assignee": {"accountId": account}}}
              for n in range(items)]
    for start in range(0, items, 50):
        response = _floor_session.post(f"{_floor_url}/rest/api/2/issue/bulk",
                                       data=json.dumps({"issueUpdates": fields[start:start + 50]}))
        response.raise_for_status()
    return time.monotonic()


class Bench:
    """The stand-in, the served receiver, the workers and the floor's processes, for several rounds."""

    def __init__(self, args: argparse.Namespace, folder: Path, redis_url: str, database_url: str) -> None:
        self.args = args
        if args.tracker == "jira":
            from tests.standins.jira import JiraStandIn

            self.standin: Any = JiraStandIn(projects=("OPS",), latency=args.latency).start()
            people = [dict(p, jira_account_id=self.standin.add_user(p["name"], email=p["email"]))
                      for p in PEOPLE]
            self.account = people[0]["jira_account_id"]
            team = {"tracker": "jira", "jira": {"project": "OPS"}}
            creds = {"JIRA_URL": self.standin.url, "JIRA_EMAIL": self.standin.email,
                     "JIRA_API_TOKEN": self.standin.api_token}
        else:
            from tests.standins.github import GitHubStandIn

            self.standin = GitHubStandIn(repo="acme/ops", collaborators={"ann", "bob"}, latency=args.latency)
            self.standin.start()
            people = list(PEOPLE)
            team = {"tracker": "github", "github": {"repo": "acme/ops"}}
            creds = {"GITHUB_TOKEN": "test-token", "GITHUB_API_URL": self.standin.url}
        config = write_config(folder, teams={"ops": team}, default_team="ops", people=people)
        env = service_env(config, REDIS_URL=redis_url, FOLLOWTHROUGH_DATABASE_URL=database_url,
                          FOLLOWTHROUGH_WEBHOOK_SECRET=SECRET, **creds)
        self.workers = [WorkerProcess(env, folder / f"worker{n}.log", name=f"bench{n}", loglevel="WARNING",
                                      pool=args.pool, concurrency=args.concurrency).start()
                        for n in range(args.workers)]
        self.served = Served("serve", [*SERVE, "--log-level", "warning"], env, folder)
        self.floor_pool: Any = None
        if args.tracker == "jira":
            self.floor_pool = multiprocessing.get_context("spawn").Pool(
                args.workers, initializer=_floor_init,
                initargs=(self.standin.url, self.standin.email, self.standin.api_token))

    def label_counts(self) -> Counter[str]:
        with self.standin.lock:
            if self.args.tracker == "jira":
                return Counter(label for fields in self.standin.issues.values()
                               for label in fields.get("labels", []))
        return Counter()

    def done_times(self, labels: dict[str, float], count: Callable[[str], int]) -> dict[str, float]:
        done: dict[str, float] = {}
        deadline = time.monotonic() + self.args.timeout
        while len(done) < len(labels):
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out: {len(done)} of {len(labels)} postmortems done; see worker logs")
            counts = self.label_counts()
            now = time.monotonic()
            for label in labels:
                have = counts[label] if self.args.tracker == "jira" else count(label)
                if label not in done and have >= self.args.items:
                    done[label] = now
            time.sleep(0.02)
        return done

    def service_cpu(self) -> float:
        pids = [w.process.pid for w in self.workers if w.process is not None] + [self.served.process.pid]
        return sum(cpu_seconds(pid) for pid in pids)

    def product(self, n: int) -> Round:
        args = self.args
        calls = len(self.standin.calls)
        cpu = self.service_cpu()
        approved: dict[str, float] = {}
        with httpx.Client(base_url=self.served.url, timeout=30) as client:
            started = time.monotonic()
            for m in range(args.postmortems):
                pm_id = f"BENCH-{n}-{m}"
                content = postmortem_markdown(pm_id, args.items, seed=f"{n}-{m}-")
                body = json.dumps({"id": pm_id, "title": pm_id, "content": content}).encode()
                stamp = int(time.time())
                mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
                response = client.post("/hooks/postmortem-approved", content=body,
                                       headers={"X-Followthrough-Signature": f"t={stamp},v1={mac}",
                                                "Content-Type": "application/json"})
                if response.status_code != 202:
                    raise SystemExit(f"approval answered {response.status_code}: {response.text[:200]}")
                approved[pm_label(pm_id)] = time.monotonic()

        def issues(label: str) -> int:
            return len(self.standin.issues_labelled(label))

        done = self.done_times(approved, issues)
        elapsed = max(done.values()) - started
        return Round(args.postmortems * args.items / elapsed, [done[k] - approved[k] for k in approved],
                     len(self.standin.calls) - calls, self.service_cpu() - cpu)

    def floor(self, n: int) -> Round:
        args = self.args
        jobs = [(f"floor-{n}-{m}", args.items, self.account) for m in range(args.postmortems)]
        started = time.monotonic()
        finished = self.floor_pool.map(_floor_postmortem, jobs, chunksize=1)
        elapsed = max(finished) - started
        return Round(args.postmortems * args.items / elapsed, [t - started for t in finished], 0)

    def stop(self) -> None:
        if self.floor_pool is not None:
            self.floor_pool.terminate()
        self.served.stop()
        for worker in self.workers:
            worker.stop()
        self.standin.stop()


def report(args: argparse.Namespace, product: list[Round], floor: list[Round]) -> None:
    total = args.postmortems * args.items
    print(f"tracker={args.tracker} postmortems={args.postmortems} items/postmortem={args.items} "
          f"workers={args.workers} pool={args.pool}x{args.concurrency} latency={args.latency * 1000:.0f}ms "
          f"rounds={args.rounds}")
    for n, r in enumerate(product):
        p50 = statistics.median(r.latencies)
        print(f"round {n}: product {r.items_per_second:.1f} items/s, p50 {p50:.2f} s,"
              f" p95 {percentile(r.latencies, 0.95):.2f} s, tracker calls per item {r.calls / total:.2f},"
              f" service CPU per postmortem {r.cpu * 1000 / args.postmortems:.0f} ms")
    p50 = statistics.median(statistics.median(r.latencies) for r in product)
    p95 = statistics.median(percentile(r.latencies, 0.95) for r in product)
    print(f"approval->tickets (median of rounds): p50 {p50:.2f} s, p95 {p95:.2f} s  (goal p50 < 1 s)")
    if args.tracker != "jira":
        print("ceiling: 1 item/s (GitHub: 1 write/s per token, shared by all workers); "
              f"throughput {statistics.median(r.items_per_second for r in product):.2f} items/s")
        return
    pair = Pair("approval -> tickets", "items/s", higher_is_better=True,
                product=[r.items_per_second for r in product], floor=[r.items_per_second for r in floor])
    print(pair.line() + "  (goal >= 0.7)")
    floor_p50 = statistics.median(statistics.median(r.latencies) for r in floor)
    print(f"floor p50 (from the round's start) {floor_p50:.2f} s")
    per_pm_calls = 1 + math.ceil(args.items / 50)
    ceiling = args.workers * args.items / (per_pm_calls * args.latency)
    print(f"computed ceiling: {ceiling:.0f} items/s ({args.workers} workers x {args.items} items / "
          f"({per_pm_calls} calls x {args.latency * 1000:.0f} ms)); product / ceiling "
          f"{statistics.median(pair.product) / ceiling:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracker", choices=["jira", "github"], default="jira")
    parser.add_argument("--postmortems", type=int, default=50)
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (and floor processes)")
    pool, concurrency = worker_pool("ingest,tracker", pool=None, concurrency=None)
    parser.add_argument("--pool", default=pool,
                        help=f"each worker's Celery pool (solo, prefork, threads; default: {pool}, as "
                             "`followthrough worker` runs it)")
    parser.add_argument("--concurrency", type=int, default=concurrency,
                        help=f"each worker's pool size (default: {concurrency})")
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ft-bench-service-"))
    redis = RedisServer(folder / "redis").start()
    product: list[Round] = []
    floor: list[Round] = []
    try:
        with postgres_database("ft_bench") as database_url:
            bench = Bench(args, folder, redis.url, database_url)
            try:
                time.sleep(3)  # let the workers connect before the clock starts
                for n in range(args.rounds):
                    if bench.floor_pool is not None:
                        floor.append(bench.floor(n))
                    product.append(bench.product(n))
            finally:
                bench.stop()
    finally:
        redis.stop()
    report(args, product, floor)


if __name__ == "__main__":
    main()
