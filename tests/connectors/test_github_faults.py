"""Every injected fault maps to the right error class, and no fault ever duplicates or loses a ticket."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from connectors.errors import RateLimited, TrackerError, Transient
from connectors.github import GitHubTracker
from connectors.github_markup import parse_fingerprint
from tests.connectors.github_support import REPO, draft, make_tracker
from tests.standins.github import FAULT_KINDS, GitHubStandIn

CREATE = r"^/repos/acme/ops/issues$"


@pytest.fixture
def api() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo=REPO, collaborators={"alice", "bob"}) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def tracker(api: GitHubStandIn, sleeps: list[float]) -> GitHubTracker:
    return make_tracker(api, timeout=1, sleeps=sleeps)


@pytest.mark.parametrize(
    ("kind", "error", "retry_after"),
    [
        ("429", RateLimited, 60.0),
        ("403-secondary", RateLimited, 60.0),
        ("500", Transient, None),
        ("502", Transient, None),
        ("503", Transient, None),
        ("reset", Transient, None),
        ("timeout", Transient, None),
    ],
)
def test_a_failed_create_is_sent_once_and_mapped(
    api: GitHubStandIn,
    tracker: GitHubTracker,
    sleeps: list[float],
    kind: str,
    error: type[TrackerError],
    retry_after: float | None,
) -> None:
    api.faults.timeout_delay = 1.5
    api.faults.add("POST", CREATE, kind, retry_after=60)

    [outcome] = tracker.create_tickets([draft("fp1")])

    assert type(outcome.error) is error
    if retry_after is not None:
        assert isinstance(outcome.error, RateLimited)
        assert outcome.error.retry_after == retry_after
    assert api.count("POST", CREATE) == 1  # PyGithub did not retry the POST
    assert api.issues == {}
    assert sleeps == []  # a wait beyond max_wait is never slept inside the call


def test_exhausted_primary_limit_reports_the_reset_time(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    api.faults.add("POST", CREATE, "ratelimit-exhausted", retry_after=600)

    [outcome] = tracker.create_tickets([draft("fp1")])

    assert isinstance(outcome.error, RateLimited)
    assert 590 <= outcome.error.retry_after <= 602
    assert api.count("POST", CREATE) == 1


def test_a_lost_response_is_not_retried_and_the_next_search_finds_the_ticket(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    api.faults.add("POST", CREATE, "lost_response")
    drafts = [draft("fp1"), draft("fp2")]

    first = tracker.create_tickets(drafts)

    assert isinstance(first[0].error, Transient)
    assert first[1].ticket is not None
    assert api.count("POST", CREATE) == 2
    # The pipeline's retry: search first, create only what is missing.
    found = {t.fingerprint for t in tracker.find_tickets("pm0001")}
    assert found == {"fp1", "fp2"}
    assert tracker.create_tickets([d for d in drafts if d.fingerprint not in found]) == []
    assert len(api.issues) == 2


def test_a_short_rate_limit_is_waited_out_and_the_create_repeated(
    api: GitHubStandIn, tracker: GitHubTracker, sleeps: list[float]
) -> None:
    api.faults.add("POST", CREATE, "429", retry_after=2)

    [outcome] = tracker.create_tickets([draft("fp1")])

    assert outcome.ticket is not None
    assert sleeps == [2.0]
    assert api.count("POST", CREATE) == 2  # the 429 was not carried out, so repeating it is safe
    assert len(api.issues) == 1


def test_a_rate_limit_stops_the_batch_without_sending_the_rest(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    api.faults.add("POST", CREATE, "429", times=None, retry_after=120)

    outcomes = tracker.create_tickets([draft("fp1"), draft("fp2"), draft("fp3")])

    assert all(isinstance(o.error, RateLimited) for o in outcomes)
    assert api.count("POST", CREATE) == 1


@pytest.mark.parametrize("kind", ["500", "502", "503", "reset", "lost_response"])
def test_a_failed_read_is_retried_transparently(
    api: GitHubStandIn, tracker: GitHubTracker, kind: str
) -> None:
    api.add_issue("x", body="<!-- followthrough:fingerprint=fp1 -->", labels=["ftpm-pm0001"])
    api.faults.add("GET", r"/issues$", kind)

    tickets = tracker.find_tickets("pm0001")

    assert [t.fingerprint for t in tickets] == ["fp1"]
    assert api.count("GET", r"/issues$") == 2


def test_a_read_that_keeps_failing_is_transient(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    api.faults.add("GET", r"/issues$", "502", times=None)

    with pytest.raises(Transient):
        tracker.find_tickets("pm0001")

    assert api.count("GET", r"/issues$") == 4  # the first try and three retries


@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [("429", 60, 60), ("403-secondary", 60, 60), ("ratelimit-exhausted", 3590, 3602)],
)
def test_a_long_rate_limit_on_a_read_is_raised_not_slept(
    api: GitHubStandIn, tracker: GitHubTracker, sleeps: list[float], kind: str, low: float, high: float
) -> None:
    api.faults.add("GET", r"/issues$", kind, retry_after=3600 if kind == "ratelimit-exhausted" else 60)
    started = time.monotonic()

    with pytest.raises(RateLimited) as caught:
        tracker.find_tickets("pm0001")

    assert low <= caught.value.retry_after <= high
    assert time.monotonic() - started < 2
    assert sleeps == []
    assert api.count("GET", r"/issues$") == 1


def test_a_short_retry_after_on_a_read_is_honoured(api: GitHubStandIn, tracker: GitHubTracker) -> None:
    api.faults.add("GET", r"/issues$", "429", retry_after=1)
    started = time.monotonic()

    assert tracker.find_tickets("pm0001") == []

    assert time.monotonic() - started >= 0.9
    assert api.count("GET", r"/issues$") == 2


def test_randomised_faults_never_duplicate_or_lose_an_item(
    api: GitHubStandIn, tracker: GitHubTracker
) -> None:
    # 200 items, 20% of all calls faulted (every kind but "timeout", which only adds wall-clock time),
    # synced the way the pipeline does it: search, then create what is missing, until nothing is.
    kinds = [kind for kind in FAULT_KINDS if kind != "timeout"]
    api.faults.random(rate=0.2, seed=20240501, kinds=kinds, retry_after=0)
    drafts = [draft(f"fp{i:03d}", assignee="alice" if i % 3 else "mallory") for i in range(200)]

    for _ in range(100):
        try:
            existing = {t.fingerprint for t in tracker.find_tickets("pm0001")}
        except TrackerError:
            continue
        missing = [d for d in drafts if d.fingerprint not in existing]
        if not missing:
            break
        tracker.create_tickets(missing)
    api.faults.clear()

    per_fingerprint = Counter(parse_fingerprint(issue.body) for issue in api.issues.values())
    assert set(per_fingerprint) == {d.fingerprint for d in drafts}
    assert max(per_fingerprint.values()) == 1
    assert len(api.faults.injected) >= 40
    assert {kind for _, _, kind in api.faults.injected} == set(kinds)
