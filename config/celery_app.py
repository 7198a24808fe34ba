"""The Celery app: broker, queues, routes, reliability settings and the beat schedule.

`make_celery(settings)` builds an app from explicit settings (tests, the bench, `followthrough worker`).
The module-level `app` is for `celery -A config.celery_app worker|beat`: it is created at import time
but reads the settings lazily (Celery's `add_defaults` promise), the first time its configuration is
needed, so importing this module never reads the environment.

Broker: `CELERY_BROKER_URL`, else `REDIS_URL`, else the embedded `sqla+sqlite:///` transport. Both kombu
5.7 virtual transports that need no server (`sqla+sqlite://`, `filesystem://`) run a worker here; SQLite
was chosen because a claim is one `BEGIN IMMEDIATE` transaction, so two workers on one host never take the
same message, while `filesystem://` moves files between folders and can hand a file to two consumers when
the folders sit on different file systems. Neither redelivers a message whose worker was killed mid-task
(only a clean shutdown restores unacked messages), so the embedded broker is for a single host and a
trial run; use Redis in production. The beat lock and the shared GitHub write throttle need Redis.
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cached_property
from typing import Any

from celery import Celery
from kombu.entity import Exchange, Queue

from config.settings import ConfigError, Settings, load_settings
from worker.followup.schedule import REMIND_EVERY, PeriodSchedule
from worker.tasks.names import (
    DEFAULT_QUEUE,
    INGEST_QUEUE,
    INGEST_TASK,
    INGEST_TASKS,
    PREVIEW_SWEEP_TASK,
    RECONCILE_TASK,
    REFRESH_TASK,
    REMIND_TASK,
    RESYNC_TASK,
    SEND_TASK,
    SYNC_TASK,
    TRACKER_QUEUE,
    TRACKER_TASK_PATTERNS,
)

#: kombu's Redis transport with the restart fix of config/redis_transport.py.
REDIS_TRANSPORT = "config.redis_transport:Transport"


def is_redis_url(url: str | None) -> bool:
    """Whether a broker URL points at Redis (the only broker with the beat lock and the shared throttle)."""
    return bool(url) and str(url).startswith(("redis://", "rediss://", "redis+socket://", "unix://"))


def broker_url(settings: Settings) -> str:
    """The broker in use: CELERY_BROKER_URL, REDIS_URL, or the embedded SQLite transport."""
    return settings.broker_url or settings.embedded_broker_url


def private_broker_file(url: str) -> None:
    """Create the embedded broker's SQLite file readable by its owner only (0600), or narrow an existing
    one: its messages hold inline documents. SQLite gives its journal files the same mode."""
    prefix = "sqla+sqlite:///"
    path = url[len(prefix):].split("?", 1)[0] if url.startswith(prefix) else ""
    if not path or path == ":memory:":
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        return  # the transport reports an unusable path itself, in its own words


def redis_url(settings: Settings) -> str | None:
    """The Redis server for the beat lock, throttle and results, if one is configured."""
    if settings.redis_url:
        return settings.redis_url
    return settings.celery_broker_url if is_redis_url(settings.celery_broker_url) else None


def _check_timeouts(settings: Settings) -> None:
    # Redis redelivers a message that stays unacked longer than the visibility timeout. A retry with a
    # countdown sits unacked in a worker until it runs, then runs up to the hard time limit, so the
    # timeout must exceed both together or the task would run again and again.
    longest = settings.max_retry_countdown_seconds + settings.task_time_limit_seconds
    if settings.visibility_timeout_seconds <= longest:
        raise ConfigError(
            "invalid setting FOLLOWTHROUGH_VISIBILITY_TIMEOUT_SECONDS: must exceed "
            f"max_retry_countdown_seconds + task_time_limit_seconds ({longest} s)"
        )
    if settings.sync_lock_seconds < 2:
        raise ConfigError("invalid setting FOLLOWTHROUGH_SYNC_LOCK_SECONDS: must be at least 2")


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery configuration for these settings."""
    from worker.store.registry import migrate_on_open

    # Every service builds its Celery configuration at start (the receiver too): the one place to apply
    # FOLLOWTHROUGH_MIGRATE_ON_START before any store is opened.
    migrate_on_open(settings.migrate_on_start)
    _check_timeouts(settings)
    broker = broker_url(settings)
    redis = redis_url(settings)
    visibility = settings.visibility_timeout_seconds
    transport_options: dict[str, Any] = {}
    if is_redis_url(broker):
        transport_options = {
            "visibility_timeout": visibility,
            # Sweep for messages whose worker died at least every tenth of the timeout (at most a
            # minute), instead of kombu's default of every ~100 s.
            "unacked_restore_interval": max(1, min(60, visibility // 10)),
            "unacked_restore_throttle": 1,
        }
    hard = settings.task_time_limit_seconds
    config: dict[str, Any] = {
        "broker_url": broker,
        # The stock Redis transport, but a worker survives a broker restart (config/redis_transport.py).
        "broker_transport": REDIS_TRANSPORT if broker.startswith("redis://") else None,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "result_backend": redis,
        "result_backend_transport_options": {"visibility_timeout": visibility} if redis else {},
        "result_expires": timedelta(days=1),
        "task_ignore_result": redis is None,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # Redelivery on a lost worker: every task is idempotent (ingest keys on the content hash, sync
        # searches the tracker before creating).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # Never cancel a running task when the broker connection drops: a cancelled task cannot record
        # its retry while Redis is away, is treated as revoked and its message acknowledged, so the
        # work is lost. Left running, its ack goes nowhere, the message stays in Redis's unacked set
        # (kept by AOF across a restart) and comes back after the visibility timeout; every task is
        # idempotent, so a second run only finds what the first one did.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": hard,
        "task_soft_time_limit": max(1, hard - max(1, hard // 10)),
        "task_queues": tuple(_queue(name) for name in (INGEST_QUEUE, TRACKER_QUEUE, DEFAULT_QUEUE)),
        "task_default_queue": INGEST_QUEUE,
        "task_routes": _routes(),
        "task_track_started": True,
        # No task events by default: three event messages per task (received, started, succeeded) that
        # nothing here reads, and a "task-sent" message on every webhook's publish (a quarter of the
        # receiver's throughput). Flower turns the workers' events on when it connects (enable_events).
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "imports": ("worker.tasks.pipeline", "worker.tasks.followup", "worker.tasks.sources",
                    "worker.tasks.contract"),
        "beat_scheduler": "config.beat:LockedScheduler",
        "beat_schedule_filename": settings.beat_schedule_file,
        "beat_schedule": beat_schedule(settings),
        "timezone": "UTC",
        "enable_utc": True,
    }
    return config


def _queue(name: str) -> Queue:
    # Each queue gets its own direct exchange and routing key; left unset, Celery binds every queue to
    # the default queue's key, so a message published by that key would land in both queues.
    return Queue(name, Exchange(name, type="direct"), routing_key=name)  # type: ignore[no-untyped-call]


def _routes() -> dict[str, dict[str, str]]:
    # Routed by name, so `send_task(INGEST_TASK, ...)` with this app's configuration needs no queue.
    routes = {name: {"queue": TRACKER_QUEUE} for name in TRACKER_TASK_PATTERNS}
    routes.update({name: {"queue": INGEST_QUEUE} for name in INGEST_TASKS})
    return routes


#: The pool `followthrough worker` runs when it consumes the tracker queue and no --pool is given. A sync
#: waits on the tracker and the store most of its time, so threads run several syncs per process for the
#: memory and CPU of one, where prefork needs a process per sync and solo runs one at a time.
TRACKER_POOL = "threads"
#: Threads per tracker worker process. Jira Cloud limits by cost per hour and answers 429 with
#: Retry-After, which a sync turns into a retry, never a sleep; GitHub writes go through one budget per
#: token shared by every worker (Redis: 1 s apart, 80 a minute), so more threads make no more writes.
#: Eight keep a postmortem's search and bulk create overlapping with others' at the bench's 30 ms a call.
TRACKER_THREADS = 8


def worker_pool(queues: str, *, pool: str | None, concurrency: int | None) -> tuple[str | None, int | None]:
    """The pool and its size for a worker of these queues: what was asked for, else threads (TRACKER_THREADS)
    when the tracker queue is consumed, else Celery's default (prefork, one process per CPU)."""
    names = {name.strip() for name in queues.split(",")}
    if pool is None and TRACKER_QUEUE in names:
        pool = TRACKER_POOL
    if pool == TRACKER_POOL and concurrency is None:
        concurrency = TRACKER_THREADS
    return pool, concurrency


def worker_queues(queues: str) -> str:
    """The queues a worker consumes: those asked for, plus Celery's default queue when `ingest` is one.

    A client without our routes (another system's own Celery app) publishes by name to `celery`;
    the ingest workers take those messages too, so nothing waits in a queue nobody reads.
    """
    names = [name.strip() for name in queues.split(",") if name.strip()]
    if INGEST_QUEUE in names and DEFAULT_QUEUE not in names:
        names.append(DEFAULT_QUEUE)
    return ",".join(names)


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Periodic tasks: the reconcile sweep and the follow-up entries."""
    reconcile = settings.reconcile_every_minutes * 60
    schedule: dict[str, dict[str, Any]] = {
        "reconcile": {
            "task": RECONCILE_TASK,
            "schedule": reconcile,
            # A sweep that waited a whole period in the queue is superseded by the next one.
            "options": {"expires": reconcile},
        },
    }
    sources = settings.sources
    if (sources.confluence is not None and sources.confluence.contract.preview) or (
            sources.gdocs is not None and sources.gdocs.contract.preview):
        # Confluence pages and Google Docs under review have no review event: their previews are swept.
        schedule["preview-reviews"] = {"task": PREVIEW_SWEEP_TASK, "schedule": reconcile,
                                       "options": {"expires": reconcile}}
    schedule.update(beat_entries(settings))
    return schedule


def beat_entries(settings: Settings, *,
                 refresh_every_minutes: float | None = None) -> dict[str, dict[str, Any]]:
    """Beat entries: one `send_reports` per team on its own schedule, a periodic bulk refresh, and the
    owner reminders every half hour."""
    if refresh_every_minutes is None:
        refresh_every_minutes = settings.refresh_every_minutes
    entries: dict[str, dict[str, Any]] = {
        "followup-refresh": {
            "task": REFRESH_TASK,
            "schedule": timedelta(minutes=refresh_every_minutes),
            "options": {"expires": refresh_every_minutes * 60},
        },
    }
    if any(settings.followup_policy(team).enabled for team in settings.teams.values()):
        entries["followup-reminders"] = {
            "task": REMIND_TASK,
            "schedule": REMIND_EVERY,
            "options": {"expires": REMIND_EVERY.total_seconds()},
        }
    for name, team in sorted(settings.teams.items()):
        policy = settings.followup_policy(team)
        if not policy.enabled:
            continue
        entries[f"followup-report-{name}"] = {
            "task": SEND_TASK,
            "schedule": PeriodSchedule(policy.schedule, policy.timezone or "UTC"),
            "kwargs": {"team": name},
        }
    return entries


class FollowthroughCelery(Celery):  # type: ignore[misc]
    """A Celery app that carries the project's Settings (loaded on first use when not given)."""

    def __init__(
        self, main: str = "followthrough", *, settings: Settings | None = None, **kwargs: Any
    ) -> None:
        super().__init__(main, **kwargs)
        self._ft_settings = settings
        from config.task_signals import install  # log context, metrics, JSON logs, Sentry

        install(ingest_tasks=(INGEST_TASK, RESYNC_TASK), sync_tasks=(SYNC_TASK,))

    @property
    def settings(self) -> Settings:
        if self._ft_settings is None:
            self._ft_settings = load_settings()
        return self._ft_settings

    @cached_property
    def redis(self) -> Any:
        """A redis-py client for the shared write throttle, or None without a Redis server."""
        url = redis_url(self.settings)
        if url is None:
            return None
        import redis

        return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5,
                                    health_check_interval=30)


def make_celery(settings: Settings) -> FollowthroughCelery:
    """A configured Celery app for these settings."""
    private_broker_file(broker_url(settings))
    celery = FollowthroughCelery(settings=settings, set_as_current=False)
    celery.conf.update(celery_config(settings))
    return celery


def _lazy_app() -> FollowthroughCelery:
    celery = FollowthroughCelery()
    # A promise: evaluated when the configuration is first read (worker or beat start, or a send).
    celery.add_defaults(lambda: celery_config(celery.settings))
    return celery


app = _lazy_app()
