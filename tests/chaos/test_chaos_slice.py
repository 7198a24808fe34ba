"""A fast slice of bench/chaos.py: the real service (receiver, two workers, beat, Redis, PostgreSQL)
against the Jira stand-in process, with tracker faults, search lag, SIGKILLed workers and beat, and
duplicate deliveries. The full run (Redis restarts, replays, out-of-order versions, receiver kills,
>= 1,000 faults) is `python bench/chaos.py`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from chaos import Config, run

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def test_chaos_slice_ends_with_one_current_ticket_per_item(tmp_path: Path) -> None:
    config = Config(
        postmortems=4, items=3, versions=3, duration=12.0, min_faults=0, fault_rate=0.2, lag=1.0,
        settle_window=1.0, kill_every=4.0, kill_targets=("worker0", "worker1", "beat"), redis_every=0.0,
        delivery_faults=("duplicate",), settle_timeout=40.0, visibility_timeout=20, seed=3,
        folder=tmp_path,
    )
    report = run(config)
    assert report.faults_total > 0 and report.faults["SIGKILL worker"] + report.faults["SIGKILL beat"] > 0
    assert report.items == 4 * 4 and report.deliveries.get("given up", 0) == 0
    assert (report.duplicates, report.lost, report.stale) == (0, 0, 0), report.lines()
    assert report.settle_seconds is not None
