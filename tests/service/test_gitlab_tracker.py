"""GitLab issues as the third tracker: owner resolution, creates under lost replies (settle, then search),
status refresh and reminder comments, against the GitLab stand-in with python-gitlab unpatched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings, load_settings
from connectors.errors import RateLimited
from connectors.factory import build_tracker
from connectors.gitlab import GitLabTracker
from connectors.tracker import TicketBody, TicketDraft, TicketFields, TicketStatus
from tests.servers import postgres_database
from tests.service.harness import postmortem_markdown, wait_for
from tests.standins.gitlab import GitLabStandIn

postmortem_key = pytest.importorskip("worker.sync.pipeline").postmortem_key
FOLDER = "postmortems/"
PEOPLE: list[dict[str, Any]] = [
    {"name": "Ann Example", "email": "ann@example.com", "gitlab_username": "ann", "aliases": ["ann"]},
    {"name": "Bob Example", "email": "bob@example.com", "gitlab_username": "bob", "aliases": ["bob"]},
]


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database("ft_gitlab_tracker") as url:
        yield url


@pytest.fixture
def gitlab() -> Iterator[GitLabStandIn]:
    with GitLabStandIn() as standin:
        standin.add_user("ann", "Ann Example")
        standin.add_user("bob", "Bob Example", member=False)  # not a member: cannot be assigned
        yield standin


def gitlab_settings(gitlab: GitLabStandIn, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "gitlab_token": SecretStr(gitlab.token), "gitlab_url": gitlab.url, "github_token": None,
        "jira_url": None, "celery_broker_url": None, "gitlab_webhook_secret": SecretStr(gitlab.hook_token),
        "sources": {"gitlab": {"project": gitlab.project, "path": FOLDER}},
        "teams": {"sre": {"tracker": "gitlab", "gitlab": {"project": gitlab.project, "labels": ["sre"]}}},
        "default_team": "sre", "people": PEOPLE,
    }
    values.update(extra)
    return load_settings(**values)


def _tracker(settings: Settings) -> GitLabTracker:
    tracker = build_tracker(settings, settings.teams["sre"])
    assert isinstance(tracker, GitLabTracker)
    return tracker


def test_tracker_creates_reads_updates_comments_and_neutralises(gitlab: GitLabStandIn) -> None:
    tracker = _tracker(gitlab_settings(gitlab))
    draft = TicketDraft(fingerprint="fp1", postmortem_key="pm1",
                        fields=TicketFields(title="Add alert for @bob #3 !4", assignee="ann", priority="P1"),
                        body=TicketBody(description="/close\n/assign @bob\nsee ~urgent %v1"))
    [outcome] = tracker.create_tickets([draft])
    assert outcome.ticket is not None and outcome.ticket.key == f"{gitlab.project}#1"
    issue = gitlab.issues[1]
    assert issue.assignee_ids == [100] and {"followthrough", "ftpm-pm1", "ft-fp1", "sre"} <= set(issue.labels)
    # No quick action, mention or reference survives from the copied text.
    assert not any(line.startswith("/") for line in issue.description.splitlines())
    assert "@bob" not in issue.description and "~urgent" not in issue.description
    assert "@bob" not in issue.title and "#3" not in issue.title
    [found] = tracker.find_tickets("pm1")
    assert found.fingerprint == "fp1" and found.fields.assignee == "ann" and found.fields.priority == "p1"
    assert found.fields.title == "Add alert for @bob #3 !4"  # read back without the zero-width spaces
    tracker.update_ticket(found.key, TicketFields(title="x", assignee="bob", priority="P2"),
                          only=("priority",))
    assert "priority-p2" in issue.labels and "priority-p1" not in issue.labels
    assert tracker.is_assignable("bob") is False and tracker.find_users("@ann")[0].id == "ann"
    gitlab.fault("PUT", r"/issues/1$", "throttle")  # the note goes out, the label is refused
    with pytest.raises(RateLimited):
        tracker.comment(found.key, "due soon", mention="ann", label="ft-reminded")
    tracker.comment(found.key, "due soon", mention="ann", label="ft-reminded")  # the retry: no 2nd note
    tracker.comment(found.key, "due soon", mention="ann", label="ft-reminded")  # labelled: nothing
    assert len(issue.notes) == 1 and issue.notes[0].startswith("@ann due soon")
    assert "ft-reminded" in issue.labels
    issue.state = "closed"
    [closed] = tracker.fetch_status(keys=[found.key])
    assert closed.status is TicketStatus.DONE


def test_unassignable_owner_gives_needs_owner_and_refresh_reads_states(
        gitlab: GitLabStandIn, database_url: str) -> None:
    from worker.followup import jobs
    from worker.store import Store
    from worker.store.tracked import FollowupStore
    from worker.sync import pipeline

    settings = gitlab_settings(gitlab, database_url=database_url)
    result = pipeline.ingest(settings, content=postmortem_markdown("Owners", 2).encode(),
                             source="inline:owners-1", postmortem_id="owners-1", team="sre")
    pipeline.sync(settings, result.postmortem_key)
    issues = gitlab.labelled(f"ftpm-{result.postmortem_key}")
    assert len(issues) == 2
    by_title = {i.title: i for i in issues}
    ann = by_title["Follow-up action number 1 for Owners"]
    bob = by_title["Follow-up action number 2 for Owners"]
    assert ann.assignee_ids == [100] and "needs-owner" not in ann.labels
    assert bob.assignee_ids == [] and "needs-owner" in bob.labels  # bob is no member of the project
    ann.state = "closed"
    with Store(database_url) as store:
        outcome = jobs.refresh(settings, FollowupStore(store), datetime.now(UTC), team="sre")
        assert outcome.result.changed == 1
        statuses = {row.item.title: row.status for row in store.items(result.postmortem_key)}
    assert statuses == {"Follow-up action number 1 for Owners": "done",
                        "Follow-up action number 2 for Owners": "open"}


@pytest.fixture
def worker_app(redis_url: str, redis_client: Redis) -> str:
    import worker.tasks.pipeline
    import worker.tasks.sources  # noqa: F401

    return redis_url


def test_lost_create_replies_through_the_worker_give_no_duplicates(
        gitlab: GitLabStandIn, worker_app: str, database_url: str) -> None:
    from celery.contrib.testing.worker import start_worker

    from worker.web.app import create_app

    gitlab.list_lag = 1.0  # a new issue shows in label lists a second later
    path = f"{FOLDER}2030-03-lost.md"
    base = gitlab.commit("main", {"README.md": b"r"})
    sha = gitlab.commit("main", {"README.md": b"r", path: postmortem_markdown("Lost", 3).encode()})
    for _ in range(2):  # the first two creates are carried out, but their answers never arrive
        gitlab.fault("POST", r"/issues$", "lost_reply")
    settings = gitlab_settings(gitlab, redis_url=worker_app, database_url=database_url,
                               create_settle_seconds=1.5, create_confirm_searches=2)
    app = make_celery(settings)
    label = f"ftpm-{postmortem_key(f'gitlab:{gitlab.project}:{path}')}"
    body, headers = gitlab.hook("Push Hook", {
        "object_kind": "push", "ref": "refs/heads/main", "before": base, "after": sha,
        "total_commits_count": 1, "commits": [{"id": sha, "added": [path], "modified": []}],
        "project": {"path_with_namespace": gitlab.project, "default_branch": "main"}})
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
            TestClient(create_app(settings, celery=app)) as client:
        assert client.post("/hooks/gitlab", content=body, headers=headers).status_code == 202
        wait_for(lambda: len(gitlab.labelled(label)) == 3, timeout=60, what="3 GitLab issues")
        from worker.sync import pipeline

        def settled() -> bool:
            record = pipeline.open_store(settings).get_postmortem(postmortem_key(
                f"gitlab:{gitlab.project}:{path}"))
            return record is not None and record.synced_at is not None
        wait_for(settled, timeout=60, what="the sync to settle")
    assert not gitlab.faults  # both answers were lost ...
    assert gitlab.count("POST", r"/issues$") == 3  # ... and those creates were found, never repeated
    titles = sorted(issue.title for issue in gitlab.labelled(label))
    assert titles == [f"Follow-up action number {n} for Lost" for n in (1, 2, 3)]
