"""The service's Prometheus metrics (prometheus-client), shared by the receiver, the workers and beat.

Counters live here so every layer records into the same names: the web layer counts deliveries, the
connectors count tracker calls and rate-limit waits, the Celery signals (config/task_signals.py) count
ingests, syncs and tickets created. Gauges that describe the system rather than one process (queue depth,
overdue items) are computed at scrape time by the receiver (worker/web/scrape.py).

Workers run several processes (Celery's prefork pool). prometheus-client's multiprocess mode makes their
counters visible to one scrape: set PROMETHEUS_MULTIPROC_DIR to an empty directory before the process
starts (the library reads it when it is first imported) and every process writes its samples there.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, multiprocess

#: The environment variable prometheus-client itself reads at import time.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

WEBHOOK_DELIVERIES = Counter(
    "followthrough_webhook_deliveries",
    "Webhook deliveries answered, by route and result (queued, duplicate, ignored, updated, "
    "unchanged, pong, or the HTTP status of a refusal).",
    ["route", "result"],
)
INGESTS = Counter(
    "followthrough_ingests",
    "Ingest tasks finished, by result (changed, unchanged, stale: an older version dropped, retry, "
    "invalid: a refused document or source, failed).",
    ["result"],
)
SYNCS = Counter(
    "followthrough_syncs",
    "Sync tasks finished, by result (ok, partial: some items failed, retry, failed).",
    ["result"],
)
TICKETS_CREATED = Counter(
    "followthrough_tickets_created",
    "Tickets created in a tracker by sync tasks.",
)
TRACKER_CALLS = Counter(
    "followthrough_tracker_calls",
    "HTTP calls to a tracker, by tracker (jira, github) and status (the HTTP status code, or "
    "'error' when no response came back).",
    ["tracker", "status"],
)
RATE_LIMIT_WAITS = Counter(
    "followthrough_rate_limit_waits",
    "Waits forced by a rate limit, by source (throttle: the shared write budget slept; retry: a task "
    "rescheduled because a tracker or the budget said to slow down).",
    ["source"],
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "followthrough_rate_limit_wait_seconds",
    "Seconds of those waits, by source.",
    ["source"],
)


#: Counters only workers record (the Celery signals and the tracker connectors run there): the receiver
#: leaves them out of its /metrics rather than export a `tickets_created_total 0` it never counts.
WORKER_ONLY = ("followthrough_ingests", "followthrough_syncs", "followthrough_tickets_created",
               "followthrough_tracker_calls", "followthrough_rate_limit_waits",
               "followthrough_rate_limit_wait_seconds")


def receiver_registry() -> CollectorRegistry:
    """What the receiver's /metrics reads: `process_registry()` without the WORKER_ONLY counters."""
    registry = process_registry()
    names = [sample.name for family in registry.collect() if family.name not in WORKER_ONLY
             for sample in family.samples]
    view: CollectorRegistry = registry.restricted_registry(names)  # type: ignore[assignment]
    return view


def multiprocess_dir() -> str | None:
    """The multiprocess directory in use, if any (as prometheus-client sees it)."""
    return os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower()) or None


def process_registry() -> CollectorRegistry:
    """What one scrape should read: every process's samples in multiprocess mode, else this process's."""
    if multiprocess_dir() is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def mark_process_dead(pid: int) -> None:
    """Drop a finished process's live gauges from the multiprocess directory (counters are kept)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def status_label(status: int | None) -> str:
    """A bounded label for an HTTP status: the code, or 'error' when there was no response."""
    if status is None or not 100 <= status <= 599:
        return "error"
    return str(status)
