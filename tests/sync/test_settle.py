"""The settling rule for creates whose answer was lost: a pure function of times, checked with tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from worker.sync.settle import SettlePolicy, Verdict, absent, next_check_at

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POLICY = SettlePolicy(window=60.0, searches=2)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("checks", "searched", "expected"),
    [
        # An early empty search (the one right after the lost answer) counts for nothing.
        (0, 0.2, Verdict(checks=0, create=False, wait=59.8)),
        (0, 59.9, Verdict(checks=0, create=False, wait=cast(float, pytest.approx(0.1)))),
        # One window after the attempt: the first check counts; the second is due one window later.
        (0, 60.0, Verdict(checks=1, create=False, wait=60.0)),
        (0, 90.0, Verdict(checks=1, create=False, wait=30.0)),
        # A retry that comes back early (jitter, a manual run) does not count twice.
        (1, 100.0, Verdict(checks=1, create=False, wait=20.0)),
        # Two settled searches, each one window after the last, missed it: create again.
        (1, 120.0, Verdict(checks=2, create=True, wait=0.0)),
        (2, 10_000.0, Verdict(checks=3, create=True, wait=0.0)),
    ],
)
def test_absent_counts_only_settled_searches(checks: int, searched: float, expected: Verdict) -> None:
    assert absent(T0, checks, at(searched), POLICY) == expected


def test_never_creates_again_before_searches_times_window() -> None:
    # Whatever the timing of the runs, the create is repeated no earlier than searches * window.
    for policy in (SettlePolicy(60.0, 2), SettlePolicy(30.0, 3), SettlePolicy(0.5, 4)):
        checks, t = 0, 0.0
        while True:
            verdict = absent(T0, checks, at(t), policy)
            checks = verdict.checks
            if verdict.create:
                break
            t += max(verdict.wait, 0.01) * 0.7  # runs come back early: never later than asked
        assert t >= policy.window * policy.searches


def test_next_check_at_and_policy_validation() -> None:
    assert next_check_at(T0, 1, POLICY) == at(120)
    with pytest.raises(ValueError, match="positive window"):
        SettlePolicy(window=0, searches=2)
