"""The Jira stand-in as a separate process for the chaos benchmark, steered over a multiprocessing pipe.

The service under test only sees Jira's REST API on `url`. The benchmark sends commands:
- ("faults", rate): fault a `rate` share of tracker requests at random (429, 5xx, timeouts, resets, lost
  replies: `tests.standins.jira_faults.RANDOM_KINDS`), seeded;
- ("calm", None): stop injecting tracker faults (the search lag stays: it is how Jira is);
- ("dump", None): answer with the issues as Jira holds them (live, not as searches see them), the number
  of comments per issue and the faults served;
- ("stop", None): shut down.
"""

from __future__ import annotations

from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

PEOPLE = (("Ann Example", "ann@example.com"), ("Bob Example", "bob@example.com"))
#: The repository of the GitHub team (every other postmortem goes there).
GITHUB_REPO = "acme/chaos"


def serve(conn: Connection, *, seed: int, search_lag: float, search_jitter: float, hang: float) -> None:
    """Process entry point: run the stand-in until told to stop."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.standins.github import GitHubStandIn
    from tests.standins.jira import JiraStandIn

    jira = JiraStandIn(projects=("OPS",), search_lag=search_lag, search_jitter=search_jitter, seed=seed,
                       hang=hang)
    jira.start()
    # A killed client resets its connections: not worth a traceback per request in the bench's output.
    server = jira._server
    if server is not None:
        server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    users = {email: jira.add_user(name, email=email) for name, email in PEOPLE}
    # GitHub as well: the same faults, and the reads and writes of a second tracker.
    github = GitHubStandIn(repo=GITHUB_REPO, collaborators={"ann", "bob"}, list_lag=search_lag)
    github.faults.timeout_delay = hang
    github.start()
    conn.send({"url": jira.url, "email": jira.email, "api_token": jira.api_token, "users": users,
               "github_url": github.url, "github_token": github.token})
    try:
        while True:
            command, argument = conn.recv()
            if command == "faults":
                jira.faults.random(rate=float(argument), seed=seed)
                github.faults.random(rate=float(argument), seed=seed)
                conn.send(True)
            elif command == "calm":
                jira.faults.clear()
                github.faults.clear()
                conn.send(True)
            elif command == "dump":
                conn.send(_dump(jira, github))
            elif command == "stop":
                conn.send(True)
                return
    except EOFError:  # the benchmark went away
        return
    finally:
        jira.stop()
        github.stop()


def _dump(jira: Any, github: Any) -> dict[str, Any]:
    dumped = _dump_jira(jira)
    from connectors.github_markup import parse_due

    with github.lock:
        for number, issue in github.issues.items():
            if issue.is_pull_request:
                continue
            due = parse_due(issue.body)
            dumped["issues"][f"{GITHUB_REPO}#{number}"] = {
                "labels": list(issue.labels),
                "summary": issue.title,
                "duedate": due.isoformat() if due else None,
                "comments": len(issue.comments),
            }
        faults = Counter(kind for _, _, kind in github.faults.injected)
        for kind, count in faults.items():
            dumped["faults"][f"github {kind}"] = count
        dumped["requests"] += len(github.calls)
    return dumped


def _dump_jira(jira: Any) -> dict[str, Any]:
    with jira.lock:
        issues = {
            key: {
                "labels": list(fields.get("labels") or []),
                "summary": fields.get("summary"),
                "duedate": fields.get("duedate"),
                "comments": len(jira.comments.get(key, [])),
            }
            for key, fields in jira.issues.items()
        }
        faults = Counter(f.kind for f in jira.faults.injected)
        return {
            "issues": issues,
            "faults": dict(faults),
            "stale_searches": jira.stale_searches,
            "requests": len(jira.calls),
        }
