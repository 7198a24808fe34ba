"""GitHub write throttle shared by every worker process: token buckets in Redis, one atomic Lua script.

GitHub's secondary limits are per token: at least 1 s between content-creating requests, at most 80 a
minute and 500 an hour. Each `acquire()` reserves the next free slot for the token (so concurrent workers
queue up instead of racing) and sleeps until it; a slot further away than `max_wait` is not reserved and
raises RateLimited, which the Celery task turns into a scheduled retry. Time comes from the Redis server,
so workers on hosts with skewed clocks agree. The key holds a hash of the token, never the token.

Hand-written on purpose: `limits` and pyrate-limiter test a window and refuse (or sleep and poll) when it is
full; neither reserves the next free slot for the caller, so concurrent workers would race for each
opening instead of queueing, and neither tells the wait before sleeping (needed to refuse a long one and
retry the task instead, and to count the wait in the metrics).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from connectors.errors import RateLimited, Transient

KEY_PREFIX = "followthrough:throttle:"

#: GitHub's documented secondary limits for content-creating requests (capacity, period in seconds).
GITHUB_WRITE_BUCKETS: tuple[tuple[int, float], ...] = ((80, 60.0), (500, 3600.0))


def github_write_buckets(min_interval: float) -> tuple[tuple[int, float], ...]:
    """GitHub's minute and hour budgets on the time scale of `min_interval` (GitHub's own at 1 s): a
    stand-in run that scales the interval down scales the budgets with it, or its writes would wait
    for the hour's budget."""
    return tuple((capacity, period * min_interval) for capacity, period in GITHUB_WRITE_BUCKETS)

# KEYS[1]: the state hash. ARGV: min_interval, max_wait, then (capacity, period) for each bucket.
# State: `last` = time of the latest reserved slot; `l<i>` = tokens in bucket i at that time.
# Returns {1, wait} when a slot `wait` seconds ahead was reserved, {0, wait} when it was refused.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local min_interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local raw_last = redis.call('HGET', KEYS[1], 'last')
local last = 0
if raw_last then last = tonumber(raw_last) end
local at = math.max(now, last + min_interval)
local n = (#ARGV - 2) / 2
local longest = 0
local levels = {}
for i = 1, n do
  local cap = tonumber(ARGV[1 + 2 * i])
  local period = tonumber(ARGV[2 + 2 * i])
  if period > longest then longest = period end
  local raw = redis.call('HGET', KEYS[1], 'l' .. i)
  local level = cap
  if raw then level = tonumber(raw) end
  levels[i] = level
  local ready = last + math.max(0, (1 - level) * period / cap)
  if ready > at then at = ready end
end
local wait = at - now
if wait > max_wait then
  return {0, tostring(wait)}
end
for i = 1, n do
  local cap = tonumber(ARGV[1 + 2 * i])
  local period = tonumber(ARGV[2 + 2 * i])
  local level = math.min(cap, levels[i] + (at - last) * cap / period) - 1
  redis.call('HSET', KEYS[1], 'l' .. i, tostring(level))
end
redis.call('HSET', KEYS[1], 'last', tostring(at))
redis.call('EXPIRE', KEYS[1], math.ceil(longest + wait + 60))
return {1, tostring(wait)}
"""


def token_key(token: str, *, scope: str = "github") -> str:
    """The Redis key of one token's budget (a hash of the token, so the key reveals nothing)."""
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]
    return f"{KEY_PREFIX}{scope}:{digest}"


class RedisWriteThrottle:
    """WriteThrottle shared through Redis: >= `min_interval` s between writes and the bucket limits."""

    def __init__(
        self,
        client: Any,
        key: str,
        *,
        min_interval: float = 1.0,
        buckets: Sequence[tuple[int, float]] = GITHUB_WRITE_BUCKETS,
        max_wait: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._key = key
        self._args: list[str] = [repr(float(min_interval)), repr(float(max_wait))]
        for capacity, period in buckets:
            if capacity < 1 or period <= 0:
                raise ValueError("a bucket needs capacity >= 1 and a positive period")
            self._args += [str(int(capacity)), repr(float(period))]
        self._script = client.register_script(_RESERVE)
        self._sleep = sleep

    def acquire(self) -> None:
        """Wait for this token's next write slot, or raise RateLimited when it is too far away."""
        from redis.exceptions import RedisError

        try:
            granted, wait_text = self._script(keys=[self._key], args=self._args)
        except RedisError as exc:
            raise Transient(f"write throttle unavailable: {type(exc).__name__}") from None
        wait = float(wait_text)
        if not int(granted):
            raise RateLimited("shared write budget exhausted", retry_after=wait)
        if wait > 0:
            from connectors.instrument import record_wait  # loads prometheus-client only when waiting

            record_wait(wait)
            self._sleep(wait)
