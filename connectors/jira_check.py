"""Check a team's Jira destination against the site: project, issue type, create fields, priorities, people.

Endpoints (developer.atlassian.com/cloud/jira/platform/rest/v2/):
- GET /rest/api/2/myself (credentials), GET /rest/api/2/project/{key}, GET /rest/api/2/priority
- GET /rest/api/2/issue/createmeta/{projectIdOrKey}/issuetypes and .../issuetypes/{issueTypeId}: the issue
  types a project can create and each one's create-screen fields (`required`, `hasDefaultValue`). Cloud
  pages them as `issueTypes` / `fields`, Data Center (8.4+) as `values`. The `jira` library's
  `project_issue_types`/`project_issue_fields` refuse to run against Cloud (pycontribs/jira#1688,
  #1907), and its `createmeta()` calls the project-wide endpoint Jira 9 removed and Cloud deprecated,
  so these are requested through the connector's own session (`JiraRest`), for both deployments.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from config.teams import JiraDestination, Person
from connectors.check import Finding
from connectors.errors import AuthError, NotFound, TrackerError, Transient
from connectors.jira import JiraTracker
from connectors.jira_errors import jira_errors
from connectors.jira_rest import JiraRest

#: Fields every create sends; the others are sent only when an item has a value for them.
ALWAYS_SENT = ("project", "issuetype", "summary", "description", "labels")
SOMETIMES_SENT = ("priority", "duedate", "assignee")
PAGE = 50


def check_site(rest: JiraRest) -> list[Finding]:
    """Whether the credentials work (GET myself)."""
    try:
        with jira_errors("check credentials"):
            rest.request("GET", "myself")
    except AuthError as exc:
        return [Finding("jira", f"credentials rejected (JIRA_EMAIL/JIRA_API_TOKEN or JIRA_PAT): {exc}")]
    except TrackerError as exc:
        return [Finding("jira", f"cannot reach {rest.server}: {exc}", unreachable=True)]
    return []


def check_destination(tracker: JiraTracker, rest: JiraRest, people: Sequence[Person]) -> list[Finding]:
    """Every problem of one project destination; stops early when the project itself is missing."""
    destination = tracker.destination
    where = f"jira {destination.project}"
    try:
        return list(_findings(tracker, rest, destination, people, where))
    except (Transient, TrackerError) as exc:
        return [Finding(where, f"check could not finish: {exc}", unreachable=isinstance(exc, Transient))]


def _findings(
    tracker: JiraTracker, rest: JiraRest, destination: JiraDestination, people: Sequence[Person], where: str
) -> Iterator[Finding]:
    try:
        with jira_errors(f"read project {destination.project}"):
            rest.request("GET", f"project/{destination.project}")
    except NotFound:
        yield Finding(where, f"project {destination.project} does not exist or the bot cannot see it")
        return
    yield from _permission_findings(rest, destination.project, where)
    types = _issue_types(rest, destination.project)
    wanted = destination.issue_type.casefold()
    chosen = next((t for t in types if str(t.get("name", "")).casefold() == wanted), None)
    if chosen is None:
        names = ", ".join(sorted(str(t.get("name")) for t in types)) or "none"
        yield Finding(where, f"issue type {destination.issue_type!r} cannot be created in "
                             f"{destination.project} (available: {names})")
    else:
        fields = {_field_id(f): f for f in _create_fields(rest, destination.project, str(chosen.get("id")))}
        yield from _field_findings(destination, fields, where)
        yield from _priority_findings(rest, destination, fields.get("priority"), where)
    for person in people:
        if person.jira_account_id and not tracker.is_assignable(person.jira_account_id):
            yield Finding(where, f"{person.name} (accountId {person.jira_account_id}) cannot be assigned "
                                 f"issues in {destination.project}")


#: Project permissions Followthrough needs, and what fails without each.
_PERMISSIONS = (
    ("CREATE_ISSUES", "create", "tickets cannot be created"),
    ("ASSIGN_ISSUES", "assign", "tickets cannot be assigned to their owners"),
    ("EDIT_ISSUES", "edit", "due dates, labels and owners cannot be updated"),
)


def _permission_findings(rest: JiraRest, project: str, where: str) -> Iterator[Finding]:
    """Name each permission the bot lacks in the project (GET mypermissions)."""
    keys = ",".join(key for key, _, _ in _PERMISSIONS)
    with jira_errors(f"read permissions in {project}"):
        answer = rest.request("GET", "mypermissions", params={"projectKey": project, "permissions": keys})
    held = answer.get("permissions", {}) if isinstance(answer, dict) else {}
    for key, name, effect in _PERMISSIONS:
        if not (held.get(key) or {}).get("havePermission", False):
            yield Finding(where, f"the bot lacks the {name} permission ({key}) in {project}: {effect}")


def _field_findings(
    destination: JiraDestination, fields: dict[str, dict[str, Any]], where: str
) -> Iterator[Finding]:
    screen = f"the create screen of {destination.project}/{destination.issue_type}"
    configured = set(destination.fields)
    for field_id, meta in sorted(fields.items()):
        if not meta.get("required") or meta.get("hasDefaultValue"):
            continue
        name = str(meta.get("name") or field_id)
        if field_id in ALWAYS_SENT or field_id in configured:
            continue
        if field_id in SOMETIMES_SENT:
            yield Finding(where, f"required field {name} ({field_id}) is only set when an item has one; "
                                 "creates of items without it fail")
            continue
        yield Finding(where, f"required field {name} ({field_id}) is not filled by the config: add it to "
                             f"the team's jira.fields (creates fail without it)")
    for field_id in (*ALWAYS_SENT[2:], *SOMETIMES_SENT, *sorted(configured)):
        if field_id not in fields:
            yield Finding(where, f"field {field_id} is not on {screen}: creates that set it fail")


def _priority_findings(
    rest: JiraRest, destination: JiraDestination, meta: dict[str, Any] | None, where: str
) -> Iterator[Finding]:
    allowed = [str(v.get("name")) for v in (meta or {}).get("allowedValues") or () if isinstance(v, dict)]
    if not allowed:
        with jira_errors("read priorities"):
            allowed = [str(p.get("name")) for p in rest.request("GET", "priority") or ()]
    known = {name.casefold() for name in allowed}
    for written, name in sorted(destination.priority_map.items()):
        if name.casefold() not in known:
            yield Finding(where, f"priority_map {written!r} -> {name!r}: no such priority "
                                 f"(the site has: {', '.join(allowed)})")


def _issue_types(rest: JiraRest, project: str) -> list[dict[str, Any]]:
    return _pages(rest, f"issue/createmeta/{project}/issuetypes", ("issueTypes", "values"),
                  action=f"read issue types of {project}")


def _create_fields(rest: JiraRest, project: str, issue_type_id: str) -> list[dict[str, Any]]:
    return _pages(rest, f"issue/createmeta/{project}/issuetypes/{issue_type_id}", ("fields", "values"),
                  action=f"read create fields of {project}")


def _pages(rest: JiraRest, path: str, keys: tuple[str, ...], *, action: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    start = 0
    while True:
        with jira_errors(action):
            page = rest.request("GET", path, params={"startAt": start, "maxResults": PAGE}) or {}
        found: list[Any] = next((page[k] for k in keys if isinstance(page.get(k), list)), [])
        items.extend(x for x in found if isinstance(x, dict))
        start += len(found)
        total = page.get("total")
        if not found or page.get("isLast") or (isinstance(total, int) and start >= total):
            return items


def _field_id(meta: dict[str, Any]) -> str:
    return str(meta.get("fieldId") or meta.get("key") or meta.get("id") or "")
