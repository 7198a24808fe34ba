"""Redis-backed coordination: the shared GitHub write throttle, the per-postmortem lock, the beat lock."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from redis import Redis

from config.beat import LOCK_KEY
from connectors.errors import RateLimited
from connectors.redis_throttle import (
    GITHUB_WRITE_BUCKETS,
    RedisWriteThrottle,
    github_write_buckets,
    token_key,
)
from tests.servers import postgres_database
from worker.store.store import Store


class FakeSleep:
    """Records waits instead of sleeping (the bucket state lives in Redis, on Redis's clock)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_token_key_hides_the_token() -> None:
    key = token_key("ghp_secret_value")
    assert "ghp_secret_value" not in key
    assert key == token_key("ghp_secret_value")
    assert key != token_key("ghp_other")


def test_writes_are_spaced_by_the_minimum_interval(redis_client: Redis) -> None:
    sleep = FakeSleep()
    throttle = RedisWriteThrottle(redis_client, "t:1", min_interval=1.0, max_wait=100, sleep=sleep)
    for _ in range(4):
        throttle.acquire()
    # First write at once (no sleep); each next one reserved a second after the previous reservation.
    assert [round(w) for w in sleep.waits] == [1, 2, 3]


def test_two_workers_share_one_budget(redis_client: Redis) -> None:
    """Two throttles (as in two worker processes) on the same token queue up one after the other."""
    first = FakeSleep()
    second = FakeSleep()
    a = RedisWriteThrottle(redis_client, "t:shared", min_interval=1.0, max_wait=100, sleep=first)
    b = RedisWriteThrottle(redis_client, "t:shared", min_interval=1.0, max_wait=100, sleep=second)
    a.acquire()
    b.acquire()
    a.acquire()
    assert second.waits and round(second.waits[0]) == 1
    assert round(first.waits[-1]) == 2


def test_per_minute_bucket_caps_a_burst(redis_client: Redis) -> None:
    sleep = FakeSleep()
    throttle = RedisWriteThrottle(redis_client, "t:burst", min_interval=0.0, buckets=[(3, 60.0)],
                                  max_wait=100, sleep=sleep)
    for _ in range(3):
        throttle.acquire()
    assert sleep.waits == []
    throttle.acquire()
    # The 4th write waits for one token to refill: 60 s / 3 = 20 s.
    assert sleep.waits[-1] == pytest.approx(20.0, abs=0.5)


def test_the_minute_and_hour_budgets_scale_with_the_write_interval(redis_client: Redis) -> None:
    assert github_write_buckets(1.0) == GITHUB_WRITE_BUCKETS  # GitHub's own: 80 a minute, 500 an hour
    sleep = FakeSleep()
    fast = RedisWriteThrottle(redis_client, "t:scaled", min_interval=0.001, max_wait=100, sleep=sleep,
                              buckets=github_write_buckets(0.001))
    for _ in range(80):
        fast.acquire()
    fast.acquire()  # the 81st waits for the scaled minute (0.06 s / 80), not GitHub's 60 s / 80
    assert max(sleep.waits) < 0.5  # unscaled, it would wait about 0.83 s


def test_a_wait_over_the_bound_raises_rate_limited_without_reserving(redis_client: Redis) -> None:
    sleep = FakeSleep()
    throttle = RedisWriteThrottle(redis_client, "t:bound", min_interval=0.0, buckets=[(1, 60.0)],
                                  max_wait=5, sleep=sleep)
    throttle.acquire()
    with pytest.raises(RateLimited) as caught:
        throttle.acquire()
    assert caught.value.retry_after == pytest.approx(60.0, abs=0.5)
    # Refused slots are not reserved: the next refusal names the same wait, not a later one.
    with pytest.raises(RateLimited) as again:
        throttle.acquire()
    assert again.value.retry_after == pytest.approx(60.0, abs=0.5)


def test_concurrent_acquires_get_distinct_slots(redis_client: Redis) -> None:
    sleep_lock = threading.Lock()
    waits: list[float] = []

    def record(seconds: float) -> None:
        with sleep_lock:
            waits.append(seconds)

    throttles = [RedisWriteThrottle(redis_client, "t:race", min_interval=1.0, max_wait=100, sleep=record)
                 for _ in range(8)]
    threads = [threading.Thread(target=t.acquire) for t in throttles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 8 writes, one per second: the slots are 0..7 s away, never two in the same second.
    assert sorted(round(w) for w in waits) == list(range(1, 8))


# The sync task takes no lock of its own: the store's sync lock keeps two syncs of a document apart, for
# every worker and the CLI alike (worker/tasks/pipeline.py). These pin what the task relies on.

_HOLD = """
import sys, time
from worker.store.store import Store
store = Store(sys.argv[1])
with store.sync_lock("held") as taken:
    print("taken" if taken else "busy", flush=True)
    time.sleep(60)
"""


def _sync_lock_guarantees(url: str) -> None:
    store, other = Store(url), Store(url, migrate=False)
    try:
        with store.sync_lock("abc") as first, other.sync_lock("abc") as second:
            assert (first, second) == (True, False)
        # Released at the end of the block: taken again at once.
        with store.sync_lock("abc") as again:
            assert again is True
        # A holder killed with SIGKILL frees the lock: no TTL to wait out.
        holder = subprocess.Popen([sys.executable, "-c", _HOLD, url], stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "taken"
            with store.sync_lock("held") as taken:
                assert taken is False
        finally:
            holder.kill()
            holder.wait(10)
        deadline = time.monotonic() + 10
        while True:
            with store.sync_lock("held") as taken:
                if taken or time.monotonic() > deadline:
                    break
            time.sleep(0.1)
        assert taken is True
    finally:
        other.close()
        store.close()


def test_store_sync_lock_on_sqlite(tmp_path: Any) -> None:
    _sync_lock_guarantees(f"sqlite:///{tmp_path / 'ft.db'}")


def test_store_sync_lock_on_postgresql() -> None:
    with postgres_database("ft_lock") as url:
        _sync_lock_guarantees(url)


def test_only_one_beat_sends(redis_url: str, redis_client: Redis, tmp_path: Any,
                             caplog: pytest.LogCaptureFixture) -> None:
    from config.beat import LockedScheduler
    from config.celery_app import make_celery
    from tests.service.test_webhooks import make_settings

    settings = make_settings(redis_url, beat_schedule_file=str(tmp_path / "beat-schedule"))
    app = make_celery(settings)
    first = LockedScheduler(app=app, schedule_filename=str(tmp_path / "one"))
    second = LockedScheduler(app=app, schedule_filename=str(tmp_path / "two"))
    try:
        assert first._hold() is True
        with caplog.at_level(logging.INFO, logger="config.beat"):
            assert second._hold() is False
            assert second._hold() is False  # standing by is said once per holder, not every tick
        standby = [r.getMessage() for r in caplog.records if "stands by" in r.getMessage()]
        assert standby == [f"beat {second._identity} stands by: the scheduler lock is held by "
                           f"{first._identity}; it takes over within 30 s of that beat stopping"]
        assert redis_client.exists(LOCK_KEY)
        first.close()
        # The leader left cleanly: the standby takes over on its next tick.
        assert second._hold() is True
    finally:
        second.close()
