"""Tracker calls are counted at the transport by tracker and HTTP status; rate-limit waits are counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from connectors.errors import NotFound, RateLimited, Transient
from connectors.jira import JiraTracker
from connectors.throttle import LocalWriteThrottle
from tests.connectors.github_support import make_tracker
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn

SEARCH = r"/search/jql$"
CALLS = "followthrough_tracker_calls_total"


def calls(tracker: str, status: str) -> float:
    return REGISTRY.get_sample_value(CALLS, {"tracker": tracker, "status": status}) or 0.0


def all_calls(tracker: str) -> float:
    return sum(sample.value for family in REGISTRY.collect() for sample in family.samples
               if sample.name == CALLS and sample.labels.get("tracker") == tracker)


def waits(source: str) -> tuple[float, float]:
    labels = {"source": source}
    return (REGISTRY.get_sample_value("followthrough_rate_limit_waits_total", labels) or 0.0,
            REGISTRY.get_sample_value("followthrough_rate_limit_wait_seconds_total", labels) or 0.0)


def test_jira_calls_by_status(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    ok, not_found, failed = calls("jira", "200"), calls("jira", "404"), calls("jira", "error")
    assert jira_tracker.find_tickets("pm-metrics") == []
    jira_standin.faults.add("POST", SEARCH, "404")
    with pytest.raises(NotFound):
        jira_tracker.find_tickets("pm-metrics")
    jira_standin.faults.add("POST", SEARCH, "reset")
    with pytest.raises(Transient):
        jira_tracker.find_tickets("pm-metrics")
    # One call each: what the stand-in saw is what was counted.
    assert jira_standin.count("POST", SEARCH) == 3
    assert calls("jira", "200") - ok == 1
    assert calls("jira", "404") - not_found == 1
    assert calls("jira", "error") - failed == 1


@pytest.fixture
def github_api() -> Iterator[GitHubStandIn]:
    api = GitHubStandIn().start()
    yield api
    api.stop()


def test_github_calls_by_status(github_api: GitHubStandIn) -> None:
    tracker = make_tracker(github_api)
    ok, not_found, total = calls("github", "200"), calls("github", "404"), all_calls("github")
    before = len(github_api.calls)
    assert tracker.find_tickets("pm-metrics") == []
    with pytest.raises(NotFound):
        tracker.comment("acme/ops#999", "gone?")
    # Every request the stand-in served was counted once: the search (200) and the refused comment (404).
    assert all_calls("github") - total == len(github_api.calls) - before == 2
    assert calls("github", "200") - ok == 1
    assert calls("github", "404") - not_found == 1


def test_throttle_sleeps_are_counted_as_rate_limit_waits() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttle = LocalWriteThrottle(min_interval=1.0, per_minute=80, max_wait=5.0, clock=lambda: now[0],
                                  sleep=sleep)
    count, seconds = waits("throttle")
    throttle.acquire()  # the first write goes out at once
    throttle.acquire()  # the second waits a second
    now[0] += 0.25
    throttle.acquire()  # the third waits the rest of its second
    after_count, after_seconds = waits("throttle")
    assert slept == [1.0, 0.75]
    assert after_count - count == 2
    assert after_seconds - seconds == pytest.approx(1.75)


def test_rate_limited_survives_pickling_with_its_wait() -> None:
    """Celery pickles a retry's exception: the retry handler must still see RateLimited and its wait."""
    import pickle

    copy = pickle.loads(pickle.dumps(RateLimited("slow down", retry_after=12.5)))
    assert isinstance(copy, RateLimited)
    assert copy.retry_after == 12.5 and str(copy) == "slow down"
