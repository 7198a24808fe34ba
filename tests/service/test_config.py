"""The Celery configuration the settings produce, and the retry policy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.celery_app import broker_url, celery_config, make_celery, worker_pool
from config.settings import ConfigError, load_settings
from connectors.errors import AuthError, RateLimited, Transient
from worker.tasks.names import INGEST_QUEUE, SYNC_TASK, TRACKER_QUEUE
from worker.tasks.retry import RETRYABLE, countdown_for

ROOT = Path(__file__).resolve().parents[2]


def test_reliability_settings_with_redis() -> None:
    settings = load_settings(redis_url="redis://127.0.0.1:1/0", celery_broker_url=None,
                             visibility_timeout_seconds=7200)
    conf = make_celery(settings).conf
    assert conf.broker_url == "redis://127.0.0.1:1/0"
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 7200
    assert conf.result_backend_transport_options["visibility_timeout"] == 7200
    assert conf.task_time_limit == settings.task_time_limit_seconds
    assert conf.task_soft_time_limit < conf.task_time_limit
    router = make_celery(settings).amqp.router
    assert router.route({}, SYNC_TASK)["queue"].name == TRACKER_QUEUE
    assert router.route({}, "followthrough.ingest_postmortem")["queue"].name == INGEST_QUEUE
    assert router.route({}, "followthrough.refresh_statuses")["queue"].name == TRACKER_QUEUE


def test_refresh_interval_setting_drives_the_beat_entry() -> None:
    from datetime import timedelta

    conf = make_celery(load_settings(redis_url=None, celery_broker_url=None, refresh_every_minutes=5)).conf
    entry = conf.beat_schedule["followup-refresh"]
    assert entry["schedule"] == timedelta(minutes=5)
    assert entry["options"]["expires"] == 300


@pytest.mark.parametrize(("queues", "pool", "concurrency", "expected"), [
    ("ingest,tracker", None, None, ("threads", 8)),  # what compose and `followthrough worker` run
    ("tracker", None, 4, ("threads", 4)),
    ("tracker", "prefork", None, ("prefork", None)),  # asked for: Celery's own default size
    ("ingest", None, None, (None, None)),  # parsing alone: Celery's prefork, one process per CPU
    (" ingest , tracker ", "solo", 1, ("solo", 1)),
])
def test_a_tracker_worker_runs_threads_unless_told_otherwise(
        queues: str, pool: str | None, concurrency: int | None,
        expected: tuple[str | None, int | None]) -> None:
    assert worker_pool(queues, pool=pool, concurrency=concurrency) == expected


def test_broker_precedence() -> None:
    assert broker_url(load_settings(redis_url=None, celery_broker_url=None)).startswith("sqla+sqlite:///")
    assert broker_url(load_settings(redis_url="redis://r:6379/0", celery_broker_url=None)) == "redis://r:6379/0"
    both = load_settings(redis_url="redis://r:6379/0", celery_broker_url="redis://b:6379/1")
    assert broker_url(both) == "redis://b:6379/1"


def test_embedded_broker_needs_no_server() -> None:
    conf = celery_config(load_settings(redis_url=None, celery_broker_url=None))
    assert conf["result_backend"] is None
    assert conf["task_ignore_result"] is True
    assert conf["broker_transport_options"] == {}


def test_visibility_timeout_must_exceed_longest_countdown_plus_time_limit() -> None:
    settings = load_settings(visibility_timeout_seconds=1000, max_retry_countdown_seconds=900,
                             task_time_limit_seconds=200)
    with pytest.raises(ConfigError, match="VISIBILITY_TIMEOUT"):
        celery_config(settings)


def test_importing_the_app_module_reads_no_settings() -> None:
    """`celery -A config.celery_app` must import even with a broken configuration around."""
    code = "import config.celery_app as m; print(type(m.app).__name__)"
    env = {"FOLLOWTHROUGH_CONFIG": "/nonexistent/config.yaml", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "FollowthroughCelery"


@pytest.mark.parametrize("retries", [0, 1, 3, 6, 20])
def test_transient_backoff_grows_with_jitter_and_a_cap(retries: int) -> None:
    low = countdown_for(Transient("502"), retries, cap=600, rand=lambda a, b: a)
    high = countdown_for(Transient("502"), retries, cap=600, rand=lambda a, b: b)
    assert 0 < low <= high <= 600
    if retries < 5:
        assert high == 5 * 2**retries
        assert low == high / 2


def test_rate_limited_waits_at_least_retry_after() -> None:
    for _ in range(50):
        wait = countdown_for(RateLimited("slow down", retry_after=42), 0, cap=600)
        assert 42 <= wait <= 42 + 30
    assert countdown_for(RateLimited("x", retry_after=5000), 0, cap=600) == 600


def test_only_transient_and_rate_limited_are_retried() -> None:
    assert isinstance(Transient("x"), RETRYABLE)
    assert isinstance(RateLimited("x", retry_after=1), RETRYABLE)
    assert not isinstance(AuthError("x"), RETRYABLE)
