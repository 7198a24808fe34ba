"""Shared builders for the GitHub connector tests: a tracker wired to a stand-in, drafts, a fake clock."""

from __future__ import annotations

from datetime import date

from config.settings import load_settings
from config.teams import GitHubDestination
from connectors.github import GitHubTracker, connect_github
from connectors.throttle import NoThrottle, WriteThrottle
from connectors.tracker import TicketBody, TicketDraft, TicketFields
from tests.standins.github import GitHubStandIn

REPO = "acme/ops"
TOKEN = "test-token"


def make_tracker(
    api: GitHubStandIn,
    *,
    destination: GitHubDestination | None = None,
    throttle: WriteThrottle | None = None,
    max_wait: float = 30.0,
    timeout: float = 5,
    sleeps: list[float] | None = None,
) -> GitHubTracker:
    """A GitHubTracker on real PyGithub talking to the stand-in; waits are recorded in `sleeps`, not slept."""
    settings = load_settings(github_token=TOKEN, github_api_url=api.url)
    gh = connect_github(settings, timeout=timeout, max_wait=max_wait, read_backoff=0.01)
    recorded = sleeps if sleeps is not None else []
    return GitHubTracker(
        gh,
        destination or GitHubDestination(repo=REPO),
        throttle=throttle or NoThrottle(),
        max_wait=max_wait,
        sleep=recorded.append,
    )


def draft(
    fingerprint: str,
    *,
    postmortem_key: str = "pm0001",
    title: str | None = None,
    assignee: str | None = "alice",
    due: date | None = date(2024, 6, 30),
    priority: str | None = "p1",
    description: str | None = "Add an alert on replication lag.",
    owner_as_written: str | None = "Alice Example",
    kind: str | None = "preventative",
    labels: tuple[str, ...] = (),
) -> TicketDraft:
    return TicketDraft(
        fingerprint=fingerprint,
        postmortem_key=postmortem_key,
        fields=TicketFields(
            title=title or f"Action {fingerprint}", due=due, assignee=assignee, priority=priority
        ),
        body=TicketBody(
            description=description,
            owner_as_written=owner_as_written,
            postmortem_title="Database outage 2024-05-01",
            postmortem_url="https://wiki.example.com/pm/db-outage",
            section="Action items",
            kind=kind,
            priority_as_written=priority.upper() if priority else None,
            ref="AI-1",
        ),
        labels=labels,
    )


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class CountingThrottle:
    """A WriteThrottle that only counts how often it was asked."""

    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self) -> None:
        self.acquired += 1
