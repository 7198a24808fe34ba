"""Redis-backed coordination: the shared GitHub write throttle, the per-postmortem lock, the beat lock."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from redis import Redis

from config.beat import LOCK_KEY
from connectors.errors import RateLimited
from connectors.redis_throttle import RedisWriteThrottle, token_key
from worker.errors import Locked
from worker.service.locks import file_lock, postmortem_lock


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


def test_postmortem_lock_excludes_a_second_holder(redis_client: Redis) -> None:
    with postmortem_lock(redis_client, "abc", ttl=5), pytest.raises(Locked), \
            postmortem_lock(redis_client, "abc", ttl=5):
        pass
    # Released at the end of the block: taken again at once.
    with postmortem_lock(redis_client, "abc", ttl=5):
        pass


def test_postmortem_lock_is_renewed_while_held(redis_client: Redis) -> None:
    with postmortem_lock(redis_client, "slow", ttl=2):
        time.sleep(2.5)
        # Past the TTL, still held thanks to the renewer.
        with pytest.raises(Locked), postmortem_lock(redis_client, "slow", ttl=2):
            pass


def test_an_abandoned_lock_expires(redis_client: Redis) -> None:
    # A holder that died without releasing (no renewer): the key expires after its TTL.
    redis_client.set("followthrough:lock:sync:dead", b"token", px=300)
    with pytest.raises(Locked), postmortem_lock(redis_client, "dead", ttl=5):
        pass
    time.sleep(0.4)
    with postmortem_lock(redis_client, "dead", ttl=5):
        pass


def test_file_lock_without_redis(tmp_path: Any) -> None:
    with file_lock("k", folder=str(tmp_path)), pytest.raises(Locked), file_lock("k", folder=str(tmp_path)):
        pass
    with file_lock("k", folder=str(tmp_path)):
        pass


def test_only_one_beat_sends(redis_url: str, redis_client: Redis, tmp_path: Any) -> None:
    from config.beat import LockedScheduler
    from config.celery_app import make_celery
    from tests.service.test_webhooks import make_settings

    settings = make_settings(redis_url, beat_schedule_file=str(tmp_path / "beat-schedule"))
    app = make_celery(settings)
    first = LockedScheduler(app=app, schedule_filename=str(tmp_path / "one"))
    second = LockedScheduler(app=app, schedule_filename=str(tmp_path / "two"))
    try:
        assert first._hold() is True
        assert second._hold() is False
        assert redis_client.exists(LOCK_KEY)
        first.close()
        # The leader left cleanly: the standby takes over on its next tick.
        assert second._hold() is True
    finally:
        second.close()
