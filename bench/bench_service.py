"""Service throughput: postmortems approved by webhook, through Redis and worker processes, into a stand-in.

    python bench/bench_service.py                      # 200 postmortems x 10 items, Jira, 2 workers, 30 ms
    python bench/bench_service.py --tracker github --postmortems 10

Prints throughput (items/s), p50/p95 time from approval (webhook accepted) to all of a postmortem's
tickets existing, tracker calls per item, and throughput as a share of the ceiling the stand-in sets:
- Jira (no rate limit in the stand-in, bulk create): latency-bound. Each worker needs at least one search
  and ceil(items/50) bulk creates per postmortem, one call at a time, so the ceiling is
  workers * items / ((1 + ceil(items/50)) * latency) items/s.
- GitHub: one write per item and at most 1 write/s per token (shared by every worker): 1 item/s.
Needs redis-server and PostgreSQL on 127.0.0.1:5432 (user postgres), like the tests.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import load_settings
from tests.servers import RedisServer, postgres_database
from tests.service.harness import (
    PEOPLE,
    WorkerProcess,
    postmortem_markdown,
    service_env,
    wait_for,
    write_config,
)
from worker.web.app import SIGNATURE_HEADER, create_app
from worker.web.signatures import sign_timestamped

SECRET = SecretStr("bench-secret")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def start_standin(
    args: argparse.Namespace,
) -> tuple[Any, list[dict[str, Any]], dict[str, Any], dict[str, str], Callable[[str], int]]:
    """The tracker stand-in, the people and team config for it, its credentials, and a ticket counter."""
    if args.tracker == "jira":
        from tests.standins.jira import JiraStandIn

        standin: Any = JiraStandIn(projects=("OPS",), latency=args.latency).start()
        people = [dict(p, jira_account_id=standin.add_user(p["name"], email=p["email"])) for p in PEOPLE]
        team = {"tracker": "jira", "jira": {"project": "OPS"}}
        creds = {"JIRA_URL": standin.url, "JIRA_EMAIL": standin.email,
                 "JIRA_API_TOKEN": standin.api_token}

        def tickets(label: str) -> int:
            return len(standin.issues_with_label(label))
    else:
        from tests.standins.github import GitHubStandIn

        standin = GitHubStandIn(repo="acme/ops", collaborators={"ann", "bob"}, latency=args.latency)
        standin.start()
        people = list(PEOPLE)
        team = {"tracker": "github", "github": {"repo": "acme/ops"}}
        creds = {"GITHUB_TOKEN": "test-token", "GITHUB_API_URL": standin.url}

        def tickets(label: str) -> int:
            return len(standin.issues_labelled(label))

    return standin, people, team, creds, tickets


def run(args: argparse.Namespace) -> None:
    from worker.sync.pipeline import postmortem_key

    folder = Path(tempfile.mkdtemp(prefix="ft-bench-"))
    redis = RedisServer(folder / "redis").start()
    with postgres_database("ft_bench") as database_url:
        standin, people, team, creds, tickets = start_standin(args)
        config = write_config(folder, teams={"ops": team}, default_team="ops", people=people)
        env = service_env(config, REDIS_URL=redis.url, FOLLOWTHROUGH_DATABASE_URL=database_url, **creds)
        workers = [WorkerProcess(env, folder / f"worker{n}.log", name=f"bench{n}", loglevel="WARNING")
                   for n in range(args.workers)]
        settings = load_settings(redis_url=redis.url, celery_broker_url=None, webhook_secret=SECRET,
                                 database_url=database_url)
        try:
            for worker in workers:
                worker.start()
            time.sleep(3)  # let the workers connect before the clock starts
            approved: dict[str, float] = {}
            done: dict[str, float] = {}
            with TestClient(create_app(settings, celery=make_celery(settings))) as client:
                started = time.monotonic()
                for n in range(args.postmortems):
                    pm_id = f"BENCH-{n}"
                    content = postmortem_markdown(pm_id, args.items, seed=f"{n}-")
                    body = json.dumps({"id": pm_id, "title": pm_id, "content": content}).encode()
                    response = client.post("/hooks/postmortem-approved", content=body,
                                           headers={SIGNATURE_HEADER: sign_timestamped(
                                               SECRET, body, timestamp=int(time.time()))})
                    assert response.status_code == 202, response.text
                    approved[f"ftpm-{postmortem_key(pm_id)}"] = time.monotonic()
            posting = time.monotonic() - started

            def all_done() -> bool:
                now = time.monotonic()
                for label in approved:
                    if label not in done and tickets(label) >= args.items:
                        done[label] = now
                return len(done) == len(approved)

            wait_for(all_done, timeout=args.timeout, interval=0.05, what="every postmortem's tickets")
            elapsed = max(done.values()) - started
        finally:
            for worker in workers:
                worker.stop()
            standin.stop()
            redis.stop()
        calls = len(standin.calls)

    print_figures(args, approved, done, posting=posting, elapsed=elapsed, calls=calls)


def print_figures(args: argparse.Namespace, approved: dict[str, float], done: dict[str, float], *,
                  posting: float, elapsed: float, calls: int) -> None:
    """Throughput, latency and tracker calls of one run, against the tracker's ceiling."""
    total_items = args.postmortems * args.items
    latencies = [done[label] - approved[label] for label in approved]
    throughput = total_items / elapsed
    if args.tracker == "jira":
        per_pm_calls = 1 + math.ceil(args.items / 50)
        ceiling = args.workers * args.items / (per_pm_calls * args.latency)
        ceiling_text = (f"{ceiling:.0f} items/s (latency-bound: {args.workers} workers x {args.items} items"
                        " / "
                        f"({per_pm_calls} calls x {args.latency * 1000:.0f} ms))")
    else:
        ceiling = 1.0
        ceiling_text = "1 item/s (GitHub: 1 write/s per token, shared by all workers)"
    print(f"tracker={args.tracker} postmortems={args.postmortems} items/postmortem={args.items} "
          f"workers={args.workers} latency={args.latency * 1000:.0f}ms")
    print(f"webhooks posted in {posting:.2f} s ({args.postmortems / posting:.0f}/s)")
    print(f"items: {total_items} in {elapsed:.1f} s -> throughput {throughput:.1f} items/s")
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    print(f"approval->tickets: p50 {p50:.2f} s, p95 {p95:.2f} s")
    print(f"tracker calls: {calls} -> {calls / total_items:.2f} per item")
    print(f"ceiling: {ceiling_text}")
    print(f"throughput / ceiling: {throughput / ceiling:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracker", choices=["jira", "github"], default="jira")
    parser.add_argument("--postmortems", type=int, default=200)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--timeout", type=float, default=1800)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
