"""Check a team's GitHub destination: the token, the repository, the milestone, the people's logins.

Endpoints (docs.github.com/rest): GET /user (the token's user), GET /repos/{owner}/{repo},
GET /repos/{owner}/{repo}/milestones/{number}, and the assignees check through `GitHubTracker.is_assignable`
(GET /repos/{owner}/{repo}/assignees/{login}: 204 or 404).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import github

from config.teams import GitHubDestination, Person
from connectors.check import Finding
from connectors.errors import AuthError, NotFound, TrackerError, Transient
from connectors.github import GitHubTracker
from connectors.github_errors import github_errors


def check_token(gh: github.Github, api_url: str) -> list[Finding]:
    """Whether GITHUB_TOKEN works (GET /user)."""
    try:
        with github_errors("check token"):
            gh.requester.requestJsonAndCheck("GET", "/user")
    except AuthError as exc:
        return [Finding("github", f"GITHUB_TOKEN rejected: {exc}")]
    except TrackerError as exc:
        return [Finding("github", f"cannot reach {api_url}: {exc}", unreachable=True)]
    return []


def check_destination(
    gh: github.Github, tracker: GitHubTracker, destination: GitHubDestination, people: Sequence[Person]
) -> list[Finding]:
    """Every problem of one repository destination; stops early when the repository is missing."""
    where = f"github {destination.repo}"
    try:
        return list(_findings(gh, tracker, destination, people, where))
    except TrackerError as exc:
        return [Finding(where, f"check could not finish: {exc}", unreachable=isinstance(exc, Transient))]


#: What Followthrough needs of the token on a repository, and what goes wrong without it.
_NEEDED = (
    ("push", "issues are created without their labels, assignee and milestone (GitHub drops them silently)"),
    ("triage", "labels (removed, needs-owner) cannot be changed on existing issues"),
)


def _permissions(repository: object, repo: str, where: str) -> Iterator[Finding]:
    """Name each permission the token lacks on the repository (from GET /repos: `permissions`)."""
    granted = repository.get("permissions") if isinstance(repository, dict) else None
    if not isinstance(granted, dict):
        yield Finding(where, f"cannot read the token's permissions on {repo} (none in the answer)")
        return
    for name, effect in _NEEDED:
        if not granted.get(name) and not granted.get("admin") and not granted.get("maintain"):
            yield Finding(where, f"the token lacks {name} permission on {repo}: {effect}")


def _findings(
    gh: github.Github,
    tracker: GitHubTracker,
    destination: GitHubDestination,
    people: Sequence[Person],
    where: str,
) -> Iterator[Finding]:
    try:
        with github_errors(f"read repository {destination.repo}"):
            _, repository = gh.requester.requestJsonAndCheck("GET", f"/repos/{destination.repo}")
    except NotFound:
        yield Finding(where, f"repository {destination.repo} does not exist or the token cannot see it")
        return
    yield from _permissions(repository, destination.repo, where)
    if destination.milestone is not None:
        try:
            with github_errors(f"read milestone {destination.milestone}"):
                gh.requester.requestJsonAndCheck(
                    "GET", f"/repos/{destination.repo}/milestones/{destination.milestone}"
                )
        except NotFound:
            yield Finding(where, f"milestone {destination.milestone} does not exist in {destination.repo}")
    for person in people:
        if person.github_login and not tracker.is_assignable(person.github_login):
            yield Finding(where, f"{person.name} (login {person.github_login}) cannot be assigned issues "
                                 f"in {destination.repo}")
