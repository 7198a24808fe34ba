"""`followthrough check` for GitLab: the token, the source's project, branch and folder, and the teams'
issue projects and people.

Calls: GET /user (the token), GET /projects/:id, GET .../repository/branches/:branch, GET
.../repository/tree?path= (the folder exists on the branch), and for tracker teams GET /projects/:id and
each directory person's membership (GET /users?username=, GET .../members/all/:id).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import quote

from config.settings import Settings
from config.teams import GitLabDestination, Person
from connectors.check import Finding
from connectors.errors import AuthError, NotFound, TrackerError, Transient
from connectors.gitlab import GitLabTracker
from connectors.gitlab_client import Connection
from connectors.sources.gitlab import GitLabReader

WHERE = "gitlab"


def check_token(connection: Connection, settings: Settings) -> list[Finding]:
    """Whether GITLAB_TOKEN works (GET /user)."""
    try:
        with connection.mapped("check token"):
            connection.gl.http_get("/user")
    except AuthError as exc:
        return [Finding(WHERE, f"GITLAB_TOKEN rejected: {exc}")]
    except TrackerError as exc:
        return [Finding(WHERE, f"cannot reach {settings.gitlab_url}: {exc}", unreachable=True)]
    return []


def check_gitlab_source(settings: Settings) -> list[Finding]:
    """Every problem of the configured GitLab source (none when it is not configured)."""
    source = settings.sources.gitlab
    if source is None:
        return []
    if settings.gitlab_token is None:
        return [Finding(WHERE, "GITLAB_TOKEN is not set: the GitLab source cannot be read")]
    connection = Connection(settings, timeout=settings.tracker_timeout)
    findings = check_token(connection, settings)
    if findings:
        return findings
    if settings.gitlab_webhook_secret is None and settings.webhook_secret is None:
        findings.append(Finding(WHERE, "FOLLOWTHROUGH_GITLAB_WEBHOOK_SECRET is not set: GitLab events are "
                                       "refused and only the sweep finds postmortems"))
    where = f"{WHERE} {source.project}"
    reader = GitLabReader(settings, connection=connection)
    try:
        branch = source.branch or reader.default_branch(source.project)
    except NotFound:
        return [*findings, Finding(where, "project does not exist or the token cannot see it")]
    except TrackerError as exc:
        return [*findings, Finding(where, f"check could not finish: {exc}", unreachable=True)]
    try:
        sha = reader.branch_head(source.project, branch)
        project = quote(source.project, safe="")
        with connection.mapped(where):
            tree = connection.gl.http_get(f"/projects/{project}/repository/tree",
                                          query_data={"path": source.path.rstrip("/"), "ref": sha})
        if source.path and not tree:
            findings.append(Finding(where, f"folder {source.path!r} is empty or missing on {branch}"))
    except NotFound:
        findings.append(Finding(where, f"branch {branch!r} or folder {source.path!r} does not exist"))
    except TrackerError as exc:
        findings.append(Finding(where, f"check could not finish: {exc}",
                                unreachable=isinstance(exc, Transient)))
    return findings


def check_destination(tracker: GitLabTracker, connection: Connection, destination: GitLabDestination,
                      people: Sequence[Person]) -> list[Finding]:
    """Every problem of one issue project: it exists, and each directory person can be assigned."""
    where = f"gitlab {destination.project}"
    try:
        return list(_destination(tracker, connection, destination, people, where))
    except TrackerError as exc:
        return [Finding(where, f"check could not finish: {exc}", unreachable=isinstance(exc, Transient))]


def _destination(tracker: GitLabTracker, connection: Connection, destination: GitLabDestination,
                 people: Sequence[Person], where: str) -> Iterator[Finding]:
    try:
        with connection.mapped(where):
            connection.gl.http_get(f"/projects/{quote(destination.project, safe='')}")
    except NotFound:
        yield Finding(where, f"project {destination.project} does not exist or the token cannot see it")
        return
    for person in people:
        if person.gitlab_username and not tracker.is_assignable(person.gitlab_username):
            yield Finding(where, f"{person.name} (username {person.gitlab_username}) cannot be assigned "
                                 f"issues in {destination.project}")
