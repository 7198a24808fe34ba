"""The stand-in itself behaves like the documented GitHub REST API (checked through plain PyGithub)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import github
import pytest
from github import Auth, GithubException

from tests.standins.github import GitHubStandIn


@pytest.fixture
def api() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"alice"}) as server:
        yield server


def _client(api: GitHubStandIn, token: str = "test-token") -> github.Github:
    # No retries and none of PyGithub's own request spacing: these tests look at raw answers.
    return github.Github(
        auth=Auth.Token(token),
        base_url=api.url,
        retry=None,
        per_page=100,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


@pytest.fixture
def repo(api: GitHubStandIn) -> github.Repository.Repository:
    return _client(api).get_repo("acme/ops")


def test_create_rejects_what_github_rejects(api: GitHubStandIn, repo: github.Repository.Repository) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"assignees": ["mallory"]}, "assignees"),
        ({"body": "x" * 65_537}, "body"),
        ({"labels": ["l" * 51]}, "name"),
        ({"milestone": _milestone(repo, 7)}, "milestone"),
    ]
    for kwargs, field in cases:
        with pytest.raises(GithubException) as caught:
            repo.create_issue("t", **kwargs)
        assert caught.value.status == 422
        assert caught.value.data["errors"][0]["field"] == field
    assert api.issues == {}
    repo.create_issue("t", body="x" * 65_536, labels=["l" * 50], assignees=["ALICE"])
    assert api.issues[1].assignees == ["alice"]


def test_labels_are_created_on_first_use_case_insensitively(
    api: GitHubStandIn, repo: github.Repository.Repository
) -> None:
    repo.create_issue("a", labels=["Priority:P1"])
    issue = repo.create_issue("b", labels=["priority:p1", "new"])

    assert [label.name for label in issue.labels] == ["Priority:P1", "new"]
    assert api.labels == {"priority:p1": "Priority:P1", "new": "new"}


def test_listing_pages_with_link_headers_and_includes_pull_requests(
    api: GitHubStandIn, repo: github.Repository.Repository
) -> None:
    for i in range(205):
        api.add_issue(f"i{i}", labels=["x"], pull_request=i == 0)
    api.close_issue(2)

    assert len(list(repo.get_issues(labels=["x"], state="all"))) == 205
    assert api.count("GET", r"/issues$") == 3
    assert len(list(repo.get_issues(labels=["x"]))) == 204  # default state=open
    assert sum(i.pull_request is not None for i in repo.get_issues(labels=["X"], state="all")) == 1


def test_edit_close_reason_comments_and_labels(
    api: GitHubStandIn, repo: github.Repository.Repository
) -> None:
    issue = repo.create_issue("t", labels=["a"])

    issue.edit(state="closed", state_reason="not_planned", title="t2")
    issue.create_comment("done")
    issue.add_to_labels("b")
    issue.remove_from_labels("a")

    stored = api.issues[1]
    assert (stored.state, stored.state_reason, stored.title) == ("closed", "not_planned", "t2")
    assert stored.comments == ["done"] and stored.labels == ["b"]
    with pytest.raises(GithubException) as caught:
        issue.remove_from_labels("a")
    assert caught.value.status == 404


def test_assignees_users_rate_headers_and_auth(
    api: GitHubStandIn, repo: github.Repository.Repository
) -> None:
    gh = _client(api)
    assert repo.has_in_assignees("alice") and not repo.has_in_assignees("zed")
    assert gh.get_user("Alice").login == "alice"
    with pytest.raises(GithubException) as missing:
        gh.get_user("zed").login  # noqa: B018
    assert missing.value.status == 404
    remaining, limit = gh.rate_limiting
    assert limit == 5000 and remaining < 5000
    bad = _client(api, "wrong")
    with pytest.raises(GithubException) as caught:
        bad.get_repo("acme/ops").id  # noqa: B018
    assert caught.value.status == 401


def _milestone(repo: github.Repository.Repository, number: int) -> github.Milestone.Milestone:
    return github.Milestone.Milestone(repo.requester, {}, {"number": number}, completed=True)
