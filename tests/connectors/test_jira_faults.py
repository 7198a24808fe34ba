"""Every injected fault maps to the right error class, nothing sleeps inside a call, and no retry of ours
or the library's creates a duplicate."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from config.settings import Settings
from config.teams import JiraDestination
from connectors.errors import AuthError, NotFound, RateLimited, TrackerError, Transient
from connectors.jira import JiraTracker, connect_jira
from connectors.tracker import TicketDraft
from tests.connectors.jira_helpers import draft
from tests.standins.jira import JiraStandIn, http_date

SEARCH = r"/search/jql$"
BULK = r"/issue/bulk$"


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("500", Transient),
        ("502", Transient),
        ("timeout", Transient),
        ("reset", Transient),
        ("lost_response", Transient),
        ("401", AuthError),
        ("403", AuthError),
        ("404", NotFound),
    ],
)
def test_fault_on_search_maps_to_error_class(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn, kind: str, error: type[TrackerError]
) -> None:
    jira_standin.faults.add("POST", SEARCH, kind)

    with pytest.raises(error) as caught:
        jira_tracker.find_tickets("pm-2024-001")

    assert type(caught.value) is error
    assert jira_standin.count("POST", SEARCH) == 1  # no retry inside the call
    # The next call goes through: the fault was served once.
    assert jira_tracker.find_tickets("pm-2024-001") == []


def test_timeout_fault_is_bounded_by_the_client_timeout(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    jira_standin.faults.add("POST", SEARCH, "timeout")
    started = time.monotonic()

    with pytest.raises(Transient, match="timed out"):
        jira_tracker.find_tickets("pm-2024-001")

    assert time.monotonic() - started < jira_standin.hang


def test_429_retry_after_seconds(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_standin.faults.add("POST", SEARCH, "429", retry_after="37")
    started = time.monotonic()

    with pytest.raises(RateLimited) as caught:
        jira_tracker.find_tickets("pm-2024-001")

    assert caught.value.retry_after == 37
    assert time.monotonic() - started < 5  # surfaced to the caller, never slept inside the call
    assert jira_standin.count("POST", SEARCH) == 1


def test_429_retry_after_http_date(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_standin.faults.add("POST", SEARCH, "429", retry_after=http_date(120))

    with pytest.raises(RateLimited) as caught:
        jira_tracker.find_tickets("pm-2024-001")

    assert 110 <= caught.value.retry_after <= 121


def test_429_with_only_x_ratelimit_reset(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    reset = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%MZ")
    jira_standin.faults.add("POST", SEARCH, "429", retry_after=None, headers={"X-RateLimit-Reset": reset})

    with pytest.raises(RateLimited) as caught:
        jira_tracker.find_tickets("pm-2024-001")

    assert 230 <= caught.value.retry_after <= 301


def test_503_with_retry_after_is_a_rate_limit(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_standin.faults.add("POST", SEARCH, "503", retry_after="12")
    jira_standin.faults.add("POST", SEARCH, "503", retry_after=None)

    with pytest.raises(RateLimited) as caught:
        jira_tracker.find_tickets("pm-2024-001")
    assert caught.value.retry_after == 12
    with pytest.raises(Transient):
        jira_tracker.find_tickets("pm-2024-001")


def test_whole_call_failure_marks_every_draft(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_standin.faults.add("POST", BULK, "500")

    outcomes = jira_tracker.create_tickets([draft(n) for n in range(3)])

    assert all(isinstance(o.error, Transient) for o in outcomes)
    assert jira_standin.issues == {}


def test_rate_limit_mid_create_stops_later_chunks(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    # 160 drafts make four chunks; the second is rate limited, so the third and fourth are never sent.
    jira_standin.faults.add("POST", BULK, "429", retry_after="30", after=1)
    started = time.monotonic()

    outcomes = jira_tracker.create_tickets([draft(n) for n in range(160)])

    assert all(o.ticket is not None for o in outcomes[:50])
    assert all(isinstance(o.error, RateLimited) and o.error.retry_after == 30 for o in outcomes[50:])
    assert jira_standin.count("POST", BULK) == 2
    assert len(jira_standin.issues) == 50
    assert time.monotonic() - started < 5


def test_library_never_retries_a_post_after_a_dropped_connection(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    jira_standin.faults.add("POST", BULK, "reset")

    outcomes = jira_tracker.create_tickets([draft(1)])

    assert isinstance(outcomes[0].error, Transient)
    assert jira_standin.count("POST", BULK) == 1
    assert jira_standin.issues == {}


def test_lost_response_then_search_reveals_the_ticket(
    jira_tracker: JiraTracker, jira_standin: JiraStandIn
) -> None:
    drafts = [draft(n) for n in range(3)]
    jira_standin.faults.add("POST", BULK, "lost_response")

    outcomes = jira_tracker.create_tickets(drafts)

    assert all(isinstance(o.error, Transient) for o in outcomes)
    assert len(jira_standin.issues) == 3  # Jira committed them; we never heard back
    # The retry the pipeline does: search first, create only what is missing.
    found = {t.fingerprint for t in jira_tracker.find_tickets("pm-2024-001")}
    assert found == {d.fingerprint for d in drafts}
    assert jira_tracker.create_tickets([d for d in drafts if d.fingerprint not in found]) == []
    assert len(jira_standin.issues) == 3


def test_failed_link_keeps_the_created_ticket(jira_tracker: JiraTracker, jira_standin: JiraStandIn) -> None:
    jira_standin.faults.add("POST", r"/remotelink$", "500")

    outcomes = jira_tracker.create_tickets(
        [draft(1, url="https://docs.example.com/pm"), draft(2, url="https://x.io")]
    )

    assert [o.error for o in outcomes] == [None, None]
    assert "OPS-1" not in jira_standin.remote_links
    assert len(jira_standin.remote_links["OPS-2"]) == 1


def test_wrong_credentials_are_an_auth_error(jira_standin: JiraStandIn) -> None:
    settings = Settings(
        jira_url=jira_standin.url,
        jira_email=jira_standin.email,
        jira_api_token=SecretStr("not-the-token"),
        _env_file=None,  # type: ignore[call-arg]
    )
    tracker = JiraTracker(connect_jira(settings, timeout=1), JiraDestination(project="OPS"))

    with pytest.raises(AuthError, match="401") as caught:
        tracker.find_tickets("pm")
    assert "not-the-token" not in str(caught.value)


def _sync_with_retries(tracker: JiraTracker, drafts: list[TicketDraft], *, rounds: int = 60) -> int:
    """What the pipeline does: search, create what is missing, repeat until nothing is missing."""
    for attempt in range(rounds):
        try:
            have = {t.fingerprint for t in tracker.find_tickets("pm-2024-001")}
        except TrackerError:
            continue
        missing = [d for d in drafts if d.fingerprint not in have]
        if not missing:
            return attempt
        tracker.create_tickets(missing)
    raise AssertionError("items still missing after every retry")


def test_randomised_faults_make_no_duplicate_and_lose_nothing(jira_standin: JiraStandIn) -> None:
    jira_standin.hang = 0.6
    settings = Settings(
        jira_url=jira_standin.url,
        jira_email=jira_standin.email,
        jira_api_token=SecretStr(jira_standin.api_token),
        _env_file=None,  # type: ignore[call-arg]
    )
    # Chunks of 5 instead of 50 so that bulk creates, not only links, take their share of the faults.
    tracker = JiraTracker(connect_jira(settings, timeout=0.3), JiraDestination(project="OPS"), chunk_size=5)
    drafts = [draft(n, url=f"https://docs.example.com/pm#{n}") for n in range(200)]
    jira_standin.faults.random(rate=0.2, seed=20240501)

    _sync_with_retries(tracker, drafts)

    jira_standin.faults.clear()
    fingerprints = Counter(t.fingerprint for t in tracker.find_tickets("pm-2024-001"))
    faulted_creates = Counter(i.kind for i in jira_standin.faults.injected if i.path.endswith("/issue/bulk"))
    assert faulted_creates["lost_response"] + faulted_creates["timeout"] >= 1, faulted_creates
    assert {k for k, n in fingerprints.items() if n > 1} == set()  # no duplicate
    assert set(fingerprints) == {d.fingerprint for d in drafts}  # nothing lost
    assert len(jira_standin.issues) == 200
