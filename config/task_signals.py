"""Celery signal handlers: log context, task metrics, JSON logs, Sentry and the worker's /metrics port.

Connected once per process by `install()` (config/celery_app.py calls it for every app it builds). The
handlers find the settings on the app that sent the signal, so they work for `followthrough worker` and
for `celery -A config.celery_app worker` alike. Task results are counted here, outside the tasks, so the
tasks stay thin and a retry or failure is counted exactly as Celery saw it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from typing import Any

from celery import signals

from config import logs
from config.metrics import (
    INGESTS,
    RATE_LIMIT_WAIT_SECONDS,
    RATE_LIMIT_WAITS,
    SYNCS,
    TICKETS_CREATED,
    mark_process_dead,
    multiprocess_dir,
    process_registry,
)
from config.settings import ConfigError, Settings
from connectors.errors import RateLimited

log = logging.getLogger(__name__)

_UID = "followthrough.task_signals"
_names: dict[str, frozenset[str]] = {"ingest": frozenset(), "sync": frozenset()}


def _settings(app: Any) -> Settings | None:
    try:
        settings = getattr(app, "settings", None)
    except ConfigError:
        return None
    return settings if isinstance(settings, Settings) else None


def delivery_of(request: Any) -> str | None:
    """The delivery id a task's message carries (custom headers land on the request, or in its headers)."""
    from worker.service.enqueue import DELIVERY_HEADER

    value = getattr(request, DELIVERY_HEADER, None)
    if value is None:
        headers = getattr(request, "headers", None)
        value = headers.get(DELIVERY_HEADER) if isinstance(headers, Mapping) else None
    return value if isinstance(value, str) else None


def postmortem_of(task_name: str, args: Any, kwargs: Mapping[str, Any] | None) -> str | None:
    """The postmortem a task works on, as its store key: the key a sync or resync is given, or the key
    an ingest payload's id or source implies (the receiver's and the sync's lines carry the same)."""
    first = args[0] if isinstance(args, list | tuple) and args else None
    kwargs = kwargs or {}
    if task_name in _names["sync"] or task_name.endswith("resync"):
        value = first if first is not None else kwargs.get("postmortem_key")
        return value if isinstance(value, str) else None
    if task_name in _names["ingest"]:
        payload = first if first is not None else kwargs.get("payload")
        if isinstance(payload, Mapping):
            from worker.service.requests import IngestRequest

            try:
                return IngestRequest.model_validate(payload).log_key()
            except ValueError:  # a bad payload: the task itself says so
                return None
    return None


# --- log context -----------------------------------------------------------------------------------

def _prerun(task_id: str | None = None, task: Any = None, args: Any = None, kwargs: Any = None,
            **_: Any) -> None:
    logs.clear()
    name = getattr(task, "name", "") or ""
    logs.bind(task_id=task_id, postmortem_id=postmortem_of(name, args, kwargs),
              delivery_id=delivery_of(getattr(task, "request", None)))


def _postrun(**_: Any) -> None:
    logs.clear()


# --- task metrics --------------------------------------------------------------------------------

def _ingest_result(outcome: Mapping[str, Any]) -> str:
    """An ingest's label: refused (`invalid`, as a failed one), dropped as older (`stale`), or changed."""
    if outcome.get("refused"):
        return "invalid"
    if outcome.get("stale"):
        return "stale"
    return "changed" if outcome.get("changed") else "unchanged"


def _success(sender: Any = None, result: Any = None, **_: Any) -> None:
    name = getattr(sender, "name", "")
    outcome = result if isinstance(result, Mapping) else {}
    if name in _names["ingest"]:
        INGESTS.labels(result=_ingest_result(outcome)).inc()
    elif name in _names["sync"]:
        created = outcome.get("created", 0)
        if isinstance(created, int) and created > 0:
            TICKETS_CREATED.inc(created)
        if any(str(key).startswith("planned") for key in outcome):
            result_label = "dry-run"  # the worker has no credentials for the team's tracker
        elif outcome.get("failed") or outcome.get("pending"):
            result_label = "partial"
        else:
            result_label = "ok"
        SYNCS.labels(result=result_label).inc()


def _failure(sender: Any = None, exception: BaseException | None = None, **_: Any) -> None:
    from worker.errors import UserError  # the pipeline's error for bad input

    name = getattr(sender, "name", "")
    label = "invalid" if isinstance(exception, UserError) else "failed"
    if name in _names["ingest"]:
        INGESTS.labels(result=label).inc()
    elif name in _names["sync"]:
        SYNCS.labels(result=label).inc()


def _retry(sender: Any = None, reason: Any = None, **_: Any) -> None:
    name = getattr(sender, "name", "")
    if name in _names["ingest"]:
        INGESTS.labels(result="retry").inc()
    elif name in _names["sync"]:
        SYNCS.labels(result="retry").inc()
    # `reason` is Celery's Retry: the original exception and the countdown in seconds.
    if isinstance(getattr(reason, "exc", None), RateLimited):
        RATE_LIMIT_WAITS.labels(source="retry").inc()
        when = getattr(reason, "when", None)
        if isinstance(when, int | float) and when > 0:
            RATE_LIMIT_WAIT_SECONDS.labels(source="retry").inc(float(when))


# --- process start and end -----------------------------------------------------------------------

def _worker_init(sender: Any = None, **_: Any) -> None:
    size_store_pool(str(getattr(sender, "pool_cls", "")), getattr(sender, "concurrency", None))
    settings = _settings(getattr(sender, "app", None))
    if settings is None:
        return
    from config.sentry import init_sentry

    init_sentry(settings)  # before the pool forks, so every child reports too
    if settings.metrics_port is not None:
        start_metrics_server(settings.metrics_port, pool=str(getattr(sender, "pool_cls", "")))


#: Store connections one task of a threads worker may hold at once: a sync keeps one for its postmortem's
#: lock (a session advisory lock) and takes another for each store call.
CONNECTIONS_PER_THREAD = 2


def size_store_pool(pool: str, concurrency: Any) -> None:
    """Keep enough store connections open for a threads worker's tasks running at once.

    SQLAlchemy keeps 5 and opens up to 10 more, closing each extra one when it is given back: with eight
    syncs at once, a connection (a PostgreSQL backend start and authentication) per store call. A prefork
    or solo process runs one task at a time, and the default suits it.
    """
    if "thread" in pool.lower() and isinstance(concurrency, int) and concurrency > 0:
        from worker.store import registry

        registry.size_pools(CONNECTIONS_PER_THREAD * concurrency)


def start_metrics_server(port: int, *, pool: str = "", host: str = "0.0.0.0") -> bool:  # noqa: S104
    """Serve this worker's /metrics (every pool process's samples in multiprocess mode)."""
    from prometheus_client import start_http_server

    if multiprocess_dir() is None and "prefork" in pool.lower():
        log.warning("metrics: PROMETHEUS_MULTIPROC_DIR is not set, so the pool processes' samples are "
                    "not visible on port %d; set it to an empty directory before starting the worker",
                    port)
    try:
        start_http_server(port, addr=host, registry=process_registry())
    except OSError as exc:
        log.error("metrics: cannot listen on port %d (%s); the worker runs without /metrics",
                  port, exc.strerror or type(exc).__name__)
        return False
    log.info("metrics: serving /metrics on port %d", port)
    return True


def _logger_ready(logger: logging.Logger | None = None, **_: Any) -> None:
    # Sent as soon as Celery has set up a logger (worker and beat), before their first lines. The
    # sender is not the app: use the current one (`celery -A config.celery_app` and `followthrough worker`
    # both read the same environment and YAML).
    from celery import current_app

    settings = _settings(current_app)
    if logger is not None:
        name = "" if logger.name == "root" else logger.name
        logs.restyle(settings.log_format if settings else "text", loggers=(name,))


def _after_setup(instance: Any = None, **_: Any) -> None:
    settings = _settings(getattr(instance, "app", None))
    logs.restyle(settings.log_format if settings else "text")


def _beat_init(sender: Any = None, **_: Any) -> None:
    settings = _settings(getattr(sender, "app", None))
    logs.restyle(settings.log_format if settings else "text")
    if settings is not None:
        from config.sentry import init_sentry

        init_sentry(settings)


def _process_shutdown(pid: int | None = None, **_: Any) -> None:
    mark_process_dead(pid if pid is not None else os.getpid())


def install(*, ingest_tasks: Collection[str], sync_tasks: Collection[str]) -> None:
    """Connect the handlers (once per process); `ingest_tasks` and `sync_tasks` name the counted tasks."""
    _names["ingest"] = frozenset(ingest_tasks)
    _names["sync"] = frozenset(sync_tasks)
    for signal, handler in (
        (signals.task_prerun, _prerun),
        (signals.task_postrun, _postrun),
        (signals.task_success, _success),
        (signals.task_failure, _failure),
        (signals.task_retry, _retry),
        (signals.worker_init, _worker_init),
        (signals.after_setup_logger, _logger_ready),
        (signals.after_setup_task_logger, _logger_ready),
        (signals.celeryd_after_setup, _after_setup),
        (signals.beat_init, _beat_init),
        (signals.worker_process_shutdown, _process_shutdown),
    ):
        signal.connect(handler, weak=False, dispatch_uid=f"{_UID}.{handler.__name__}")
