"""Builders for end-to-end sync tests: postmortem documents and settings pointing at a stand-in."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from config.settings import Settings
from connectors.errors import TrackerError
from connectors.throttle import NoThrottle
from worker.sync import pipeline
from worker.sync.pipeline import SyncResult
from worker.sync.settle import Settling

BASE_DUE = date(2025, 5, 1)


def item_title(i: int) -> str:
    return f"Harden component {i} against disk exhaustion"


def document(
    n: int,
    *,
    owners: Sequence[str] = ("Ana Lima",),
    changes: Mapping[int, Mapping[str, str]] | None = None,
    drop: set[int] | frozenset[int] = frozenset(),
    title: str = "Database outage on 2025-03-01",
) -> bytes:
    """A Markdown postmortem with an action table of `n` items (owner, due, priority, kind)."""
    rows = []
    for i in range(n):
        if i in drop:
            continue
        row = {
            "title": item_title(i),
            "owner": owners[i % len(owners)],
            "due": (BASE_DUE + timedelta(days=i % 30)).isoformat(),
            "priority": ("P1", "P2", "P3")[i % 3],
            "kind": ("prevent", "detect", "process")[i % 3],
        }
        row.update((changes or {}).get(i, {}))
        rows.append(f"| {row['title']} | {row['owner']} | {row['due']} | {row['priority']} | {row['kind']} |")
    return (
        f"# {title}\n\n**Postmortem owner:** Ana Lima\n\n"
        "## Summary\nThe primary database ran out of disk.\n\n"
        "## Action items\n\n| Action | Owner | Due | Priority | Kind |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    ).encode()


#: Settling window of the tests (the stand-ins' search lag is 0 unless a test sets one).
TEST_SETTLE_SECONDS = 0.2


def settings_for(db_url: str, **values: Any) -> Settings:
    """Settings built in code (no .env, no YAML), with a short tracker timeout and settling window."""
    values.setdefault("create_settle_seconds", TEST_SETTLE_SECONDS)
    return Settings(database_url=db_url, tracker_timeout=1.0, _env_file=None, **values)  # type: ignore[call-arg]


def ingest_and_sync(settings: Settings, content: bytes, *, dry_run: bool = False) -> SyncResult:
    ingested = pipeline.ingest(settings, content=content, source="inline:test-pm")
    return pipeline.sync(settings, ingested.postmortem_key, dry_run=dry_run, throttle=NoThrottle())


def sync_until_settled(
    settings: Settings, content: bytes, *, max_runs: int = 15, between: Callable[[], None] | None = None
) -> list[SyncResult]:
    """Re-run sync (as the worker's retries would) until nothing is left to retry; bounded."""
    results: list[SyncResult] = []
    for _ in range(max_runs):
        try:
            result = ingest_and_sync(settings, content)
        except TrackerError as exc:  # e.g. the client's first call (serverInfo) was faulted
            assert exc.retryable, exc
            continue
        results.append(result)
        if result.retry_error is None and not result.failed:
            return results
        if isinstance(result.retry_error, Settling):
            time.sleep(result.retry_error.retry_after)  # as the worker's countdown would
        if between is not None:
            between()
    raise AssertionError(
        f"sync did not settle in {max_runs} runs: {results[-1].counts() if results else None}"
    )


def by_result(result: SyncResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in result.items:
        out.setdefault(item.result, []).append(item.title)
    return out
