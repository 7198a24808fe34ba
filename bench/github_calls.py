"""Count GitHub API calls per synced item against the local stand-in, and print them.

Run from the repository root: `/work/venv/bin/python bench/github_calls.py [N ...] [--latency SECONDS]`.
Target (issue 3): creating N items costs 1 write per item plus at most ceil(N/100)+1 reads; an unchanged
resync costs at most ceil(N/100)+1 reads and 0 writes. Assignee checks are one read per distinct owner.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import load_settings
from config.teams import GitHubDestination
from connectors.github import GitHubTracker, connect_github
from connectors.throttle import NoThrottle
from connectors.tracker import TicketBody, TicketDraft, TicketFields
from tests.standins.github import WRITE_METHODS, GitHubStandIn

OWNERS = ("alice", "bob", "carol", "mallory")  # mallory is not assignable: needs-owner


def run(n: int, latency: float) -> None:
    with GitHubStandIn(collaborators={"alice", "bob", "carol"}, latency=latency) as api:
        settings = load_settings(github_token="test-token", github_api_url=api.url)
        tracker = GitHubTracker(
            connect_github(settings), GitHubDestination(repo="acme/ops"), throttle=NoThrottle()
        )
        drafts = [
            TicketDraft(
                fingerprint=f"fp{i:05d}",
                postmortem_key="bench01",
                fields=TicketFields(title=f"Action {i}", assignee=OWNERS[i % len(OWNERS)], priority="p2"),
                body=TicketBody(description="Context " * 50, owner_as_written=OWNERS[i % len(OWNERS)]),
            )
            for i in range(n)
        ]

        started = time.perf_counter()
        existing = {t.fingerprint for t in tracker.find_tickets("bench01")}
        tracker.create_tickets([d for d in drafts if d.fingerprint not in existing])
        first = _tally(api, time.perf_counter() - started)
        api.reset_calls()

        started = time.perf_counter()
        existing = {t.fingerprint for t in tracker.find_tickets("bench01")}
        tracker.create_tickets([d for d in drafts if d.fingerprint not in existing])
        again = _tally(api, time.perf_counter() - started)
        api.reset_calls()

        started = time.perf_counter()
        tracker.fetch_status(label="followthrough")
        status = _tally(api, time.perf_counter() - started)

    bound = math.ceil(n / 100) + 1
    print(f"N={n} (latency {latency * 1000:.0f} ms/call, {len(OWNERS)} distinct owners)")
    print(
        f"  first sync     : {first[0]:4d} reads {first[1]:4d} writes  ({first[1] / n:.2f} writes/item, "
        f"{first[0] / n:.3f} reads/item; target {n} writes + <= {bound} reads + owner checks) {first[2]:.2f}s"
    )
    print(
        f"  unchanged sync : {again[0]:4d} reads {again[1]:4d} writes  (target <= {bound} reads, 0 writes) "
        f"{again[2]:.2f}s"
    )
    print(f"  status refresh : {status[0]:4d} reads {status[1]:4d} writes  (pages of 100) {status[2]:.2f}s")


def _tally(api: GitHubStandIn, elapsed: float) -> tuple[int, int, float]:
    writes = sum(1 for method, _ in api.calls if method in WRITE_METHODS)
    return len(api.calls) - writes, writes, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 100, 250])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the stand-in adds per call")
    args = parser.parse_args()
    for n in args.sizes:
        run(n, args.latency)


if __name__ == "__main__":
    main()
