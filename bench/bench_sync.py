"""Tracker calls per synced item, counted at the Jira and GitHub stand-ins (via their `.calls`).

Targets (issue 3):
- Jira, creating N items: <= 1 search + ceil(N/50) bulk creates (+ 1 remote-link call per item);
- an unchanged resync: <= ceil(N/100) + 1 reads and 0 writes;
- GitHub: 1 write per item + <= ceil(N/100) + 1 reads.
Run: python bench/bench_sync.py [N ...]   (from the repository root)
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr

from config.settings import Settings
from config.teams import GitHubDestination, JiraDestination, Person, Team
from connectors.throttle import NoThrottle
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn
from tests.sync.support import document
from worker.sync import pipeline

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SOURCE = "https://wiki.example.com/postmortems/db-outage"


def classify(calls: list[tuple[str, str]]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for method, path in calls:
        if path.endswith("/search/jql") or (method == "GET" and path.endswith("/issues")):
            kinds["search"] += 1
        elif path.endswith("/issue/bulk") or (method == "POST" and path.endswith("/issues")):
            kinds["create"] += 1
        elif path.endswith("/remotelink"):
            kinds["link"] += 1
        elif "assignable" in path or "/assignees/" in path or "/user" in path:
            kinds["user"] += 1
        elif path.endswith("/serverInfo"):
            kinds["serverInfo"] += 1
        else:
            kinds[f"{method} other"] += 1
        kinds["writes" if method in WRITES and not path.endswith("/search/jql") else "reads"] += 1
    return kinds


def run(settings: Settings, content: bytes) -> tuple[pipeline.SyncResult, float]:
    started = time.perf_counter()
    key = pipeline.ingest(settings, content=content, source=SOURCE).postmortem_key
    result = pipeline.sync(settings, key, throttle=NoThrottle())
    return result, time.perf_counter() - started


def line(label: str, n: int, kinds: Counter[str], seconds: float, target: str) -> str:
    detail = ", ".join(f"{k}={v}" for k, v in sorted(kinds.items()) if k not in ("reads", "writes"))
    return (
        f"{label:<28} N={n:<4} reads={kinds['reads']:<4} writes={kinds['writes']:<4} "
        f"per item: {(kinds['reads'] + kinds['writes']) / n:5.2f}  [{detail}]  {seconds:5.2f}s  "
        f"target {target}"
    )


def bench_jira(n: int, tmp: Path) -> list[str]:
    with JiraStandIn() as jira:
        ana = jira.add_user("Ana Lima", email="ana@example.com")
        bob = jira.add_user("Bob Stone", email="bob@example.com")
        settings = Settings(
            jira_url=jira.url,
            jira_email=jira.email,
            jira_api_token=SecretStr(jira.api_token),
            database_url=f"sqlite:///{tmp / f'jira-{n}.db'}",
            default_team="ops",
            teams={"ops": Team(jira=JiraDestination(project="OPS"))},
            people=(
                Person(name="Ana Lima", jira_account_id=ana),
                Person(name="Bob Stone", jira_account_id=bob),
            ),
            _env_file=None,  # type: ignore[call-arg]
        )
        content = document(n, owners=("Ana Lima", "Bob Stone"))
        result, seconds = run(settings, content)
        assert result.counts() == {"created": n}, result.counts()
        create = classify(jira.calls)
        jira.reset_calls()
        result, seconds2 = run(settings, content)
        assert result.counts() == {"unchanged": n}, result.counts()
        resync = classify(jira.calls)
    c = math.ceil
    return [
        line(
            "jira create",
            n,
            create,
            seconds,
            f"search<=1 create<={c(n / 50)} link<={n} (+serverInfo, user checks)",
        ),
        line("jira unchanged resync", n, resync, seconds2, f"reads<={c(n / 100) + 1} writes=0"),
    ]


def bench_github(n: int, tmp: Path) -> list[str]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana", "bob"}) as gh:
        settings = Settings(
            github_token=SecretStr("test-token"),
            github_api_url=gh.url,
            database_url=f"sqlite:///{tmp / f'gh-{n}.db'}",
            default_team="web",
            teams={"web": Team(tracker="github", github=GitHubDestination(repo="acme/ops"))},
            people=(
                Person(name="Ana Lima", github_login="ana"),
                Person(name="Bob Stone", github_login="bob"),
            ),
            _env_file=None,  # type: ignore[call-arg]
        )
        content = document(n, owners=("Ana Lima", "Bob Stone"))
        result, seconds = run(settings, content)
        assert result.counts() == {"created": n}, result.counts()
        create = classify(gh.calls)
        gh.reset_calls()
        result, seconds2 = run(settings, content)
        assert result.counts() == {"unchanged": n}, result.counts()
        resync = classify(gh.calls)
    c = math.ceil
    return [
        line("github create", n, create, seconds, f"writes={n} reads<={c(n / 100) + 1} (+1 check per login)"),
        line("github unchanged resync", n, resync, seconds2, f"reads<={c(n / 100) + 1} writes=0"),
    ]


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10, 100, 250]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for text in bench_jira(n, Path(tmp)) + bench_github(n, Path(tmp)):
                print(text)
        pipeline.close_stores()


if __name__ == "__main__":
    main(sys.argv[1:])
