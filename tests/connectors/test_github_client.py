"""connect_github settings handling, secrecy of the token, and write throttling through GitHubTracker."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator

import pytest

from config.settings import ConfigError, load_settings
from connectors.github import connect_github
from connectors.throttle import LocalWriteThrottle
from connectors.tracker import REMOVED_LABEL, TicketFields
from tests.connectors.github_support import REPO, TOKEN, CountingThrottle, FakeClock, draft, make_tracker
from tests.standins.github import WRITE_METHODS, GitHubStandIn


@pytest.fixture
def api() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo=REPO, collaborators={"alice", "bob"}) as server:
        yield server


def test_missing_token_names_github_token() -> None:
    settings = load_settings(github_token=None, github_api_url="http://127.0.0.1:9")

    with pytest.raises(ConfigError, match="GITHUB_TOKEN"):
        connect_github(settings)


def test_client_uses_github_api_url_and_never_logs_the_token(
    api: GitHubStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tracker = make_tracker(api)

    tracker.create_tickets([draft("fp1")])
    tracker.find_tickets("pm0001")

    assert api.count() >= 3  # the stand-in (GITHUB_API_URL) answered, with the token accepted
    assert any("/repos/acme/ops/issues" in r.getMessage() for r in caplog.records)  # PyGithub did log
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_settings_from_the_environment_reach_the_client(
    api: GitHubStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", api.url)

    gh = connect_github(load_settings())

    assert gh.get_repo(REPO).has_issues  # lazy: this attribute needs the GET
    assert api.count("GET", r"^/repos/acme/ops$") == 1


def test_the_throttle_is_asked_once_per_write(api: GitHubStandIn) -> None:
    throttle = CountingThrottle()
    tracker = make_tracker(api, throttle=throttle)

    tracker.create_tickets([draft("w1"), draft("w2"), draft("w3", assignee="mallory")])
    tracker.update_ticket(f"{REPO}#1", TicketFields(title="t", priority="p2"), only={"title", "priority"})
    tracker.comment(f"{REPO}#2", "gone from the postmortem", label=REMOVED_LABEL)
    tracker.find_tickets("pm0001")
    tracker.fetch_status(label="followthrough")

    writes = sum(1 for method, _ in api.calls if method in WRITE_METHODS)
    assert writes == 6  # 3 creates, 1 PATCH, 1 comment, 1 label
    assert throttle.acquired == writes


def test_local_throttle_spaces_writes_one_second_apart_on_a_fake_clock(api: GitHubStandIn) -> None:
    clock = FakeClock()
    throttle = LocalWriteThrottle(min_interval=1.0, per_minute=80, clock=clock, sleep=clock.sleep)
    tracker = make_tracker(api, throttle=throttle)

    outcomes = tracker.create_tickets([draft(f"w{i}") for i in range(5)])

    assert all(o.ticket for o in outcomes)
    assert clock.sleeps == [1.0, 1.0, 1.0, 1.0]


def test_local_throttle_spacing_is_visible_at_the_server(api: GitHubStandIn) -> None:
    # The throttle spaces the starts of writes; the server sees arrivals, which a loaded machine can delay
    # by tens of milliseconds (the first one most, as it opens the connection). An interval well above that
    # jitter, and a margin for it, keep this about spacing rather than about the machine's load.
    tracker = make_tracker(api, throttle=LocalWriteThrottle(min_interval=0.25))

    tracker.create_tickets([draft(f"w{i}") for i in range(4)])

    times = api.write_times()
    assert len(times) == 4
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.18


def test_pygithub_adds_no_write_delay_of_its_own(api: GitHubStandIn) -> None:
    # seconds_between_writes would add PyGithub's own per-process 1 s sleep on top of our throttle.
    tracker = make_tracker(api)

    tracker.create_tickets([draft(f"w{i}") for i in range(3)])

    times = api.write_times()
    assert times[-1] - times[0] < 0.5
