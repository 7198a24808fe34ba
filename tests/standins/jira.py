"""A local stand-in for the subset of the Jira Cloud REST API that Followthrough and the `jira` client use.

Run it as a context manager; it serves on 127.0.0.1 on a free port from a thread:

    with JiraStandIn() as jira:
        jira.add_user("Ada Lovelace", email="ada@example.com")
        client = JIRA(jira.url, basic_auth=(jira.email, jira.api_token), max_retries=0)

Followed documentation (developer.atlassian.com/cloud/jira/platform/rest/v2/ and /v3/):
- api-group-server-info/#api-rest-api-2-serverinfo-get
- api-group-myself/#api-rest-api-2-myself-get
- api-group-issue-fields/#api-rest-api-2-field-get
- api-group-issue-search/#api-rest-api-3-search-jql-get and #api-rest-api-3-search-jql-post
  (nextPageToken / isLast, no total); the old GET/POST /rest/api/{2,3}/search answers 410 Gone
  (developer.atlassian.com/changelog/#CHANGE-2046)
- api-group-issues/#api-rest-api-2-issue-bulk-post (at most 50; per-item `errors` with
  failedElementNumber and elementErrors; 201 when at least one was created, 400 when none)
- api-group-issues/#api-rest-api-2-issue-post, #api-rest-api-2-issue-issueidorkey-get,
  #api-rest-api-2-issue-issueidorkey-put (`fields` and `update` operations, 204; comments are added
  with the `update.comment` add verb: developer.atlassian.com/server/jira/platform/
  updating-an-issue-via-the-jira-rest-apis-6848604)
- api-group-issues/#api-rest-api-2-issue-issueidorkey-transitions-get / -post
- api-group-issue-comments/#api-rest-api-2-issue-issueidorkey-comment-post
- api-group-issue-remote-links/#api-rest-api-2-issue-issueidorkey-remotelink-post (a known globalId
  updates the link: 200; a new one creates it: 201)
- api-group-user-search/#api-rest-api-2-user-search-get (prefix match on display name and email,
  so several users can come back), #api-rest-api-2-user-assignable-search-get (accountId exact)
- api-group-users/#api-rest-api-2-user-get
- api-group-issue-priorities/#api-rest-api-2-priority-get
- api-group-issues/#api-rest-api-2-issue-createmeta-projectidorkey-issuetypes-get and
  #api-rest-api-2-issue-createmeta-projectidorkey-issuetypes-issuetypeid-get (paged; Cloud answers
  `issueTypes` / `fields`, Data Center `values`); a create that misses a required field without a default
  gets 400 with `errors.<fieldId>`, and a field not on the create screen "cannot be set"
- rate-limiting/ (429 with Retry-After, X-RateLimit-* and RateLimit-Reason headers)
With `deployment="Server"` it answers like Data Center instead: serverInfo says so, users have
`name`, search is GET/POST /rest/api/2/search with startAt/total, and search/jql does not exist.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.standins.jira_faults import Fault, FaultPlan
from tests.standins.jira_jql import JqlError, matcher, parse
from tests.standins.search_index import SearchIndex

PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
DROPPED = ("Won't Do", "Duplicate", "Cannot Reproduce", "Declined")
STATUSES = {
    "To Do": {"key": "new", "name": "To Do", "id": 2},
    "In Progress": {"key": "indeterminate", "name": "In Progress", "id": 4},
    "Done": {"key": "done", "name": "Done", "id": 3},
}
TRANSITIONS = {"11": "To Do", "21": "In Progress", "31": "Done"}
_CREATE_FIELDS = {
    "project", "issuetype", "summary", "description", "labels", "duedate", "assignee", "priority",
}
GONE = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."
NOT_ON_SCREEN = "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
NO_USER = "Specified user does not exist or you do not have required permissions"
_API = re.compile(r"^/rest/api/(?P<version>2|3|latest)/(?P<rest>.*)$")


class StandInError(Exception):
    """An HTTP error answer: status plus a Jira error document."""

    def __init__(
        self, status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = {"errorMessages": messages or [], "errors": errors or {}}


def _field_meta(field_id: str, name: str, required: bool, has_default: bool) -> dict[str, Any]:
    """One field of a create screen, as the createmeta endpoints describe it."""
    return {"fieldId": field_id, "key": field_id, "name": name, "required": required,
            "hasDefaultValue": has_default, "operations": ["set"], "schema": {"type": "any"}}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class JiraStandIn:
    """In-memory Jira Cloud site with fault injection; see the module docstring for the endpoints.

    State you may read or change from tests (hold `.lock` when changing it while requests run):
    `.issues` (key -> fields, in the REST shape), `.users` (accountId -> user), `.comments`,
    `.remote_links` (key -> list of links), `.calls` ((method, path) per request received),
    `.latency` (seconds added to every answer), `.hang` (how long a "timeout" fault stalls),
    `.faults` (a `FaultPlan`), `.index` (a `SearchIndex`: `search_lag` seconds, plus up to
    `search_jitter` more, before a write shows in search/jql; `reconcileIssues` ids read live).
    """

    def __init__(
        self,
        *,
        deployment: str = "Cloud",
        projects: tuple[str, ...] = ("OPS",),
        email: str = "bot@example.com",
        api_token: str = "standin-api-token",
        pat: str = "standin-pat",
        latency: float = 0.0,
        hang: float = 3.0,
        search_lag: float = 0.0,
        search_jitter: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.deployment = deployment
        self.email = email
        self.api_token = api_token
        self.pat = pat
        self.latency = latency
        self.hang = hang
        self.lock = threading.RLock()
        self.faults = FaultPlan()
        self.index = SearchIndex(lag=search_lag, jitter=search_jitter, seed=seed)
        #: Every search/jql body's `reconcileIssues` (ids as sent), in order.
        self.reconciled: list[list[Any]] = []
        #: Searches answered from a lagging index that differed from the live state (stale reads served).
        self.stale_searches = 0
        self.calls: list[tuple[str, str]] = []
        self.projects: dict[str, dict[str, Any]] = {}
        self.issues: dict[str, dict[str, Any]] = {}
        self.issue_ids: dict[str, str] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.remote_links: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.issue_types = {"Task": "10001", "Bug": "10002", "Story": "10003"}
        #: Project permissions the bot holds (GET mypermissions); every one unless a test takes some away.
        self.denied_permissions: set[str] = set()
        self.priorities = {name: str(i + 1) for i, name in enumerate(PRIORITIES)}
        #: project key -> issue type name -> field id -> create metadata (the create screen).
        self.create_meta: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        #: Extra fields of created issues (custom fields, components), by issue key.
        self.extra_fields: dict[str, dict[str, Any]] = {}
        #: Called (under the lock) with (method, key) before GET/PUT issue/{key}: a person's edit landing.
        self.on_issue_request: Callable[[str, str], None] | None = None
        self._next_id = 10000
        self._counters: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        for key in projects:
            self.add_project(key)
        self.bot = self.add_user("Followthrough Bot", email=email)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> JiraStandIn:
        """Start serving on 127.0.0.1 on a free port; `.url` is set."""
        handler = type("Handler", (_Handler,), {"standin": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.block_on_close = False  # a "timeout" fault must not hold up stop()
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="jira-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> JiraStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- test helpers ----------------------------------------------------------------------------

    def add_project(self, key: str, name: str | None = None) -> dict[str, Any]:
        """Create a project (issue keys are `KEY-1`, `KEY-2`, ...)."""
        with self.lock:
            project = {"id": str(10000 + len(self.projects)), "key": key, "name": name or key}
            self.projects[key] = project
            self._counters.setdefault(key, 0)
            self.create_meta[key] = {kind: self._default_screen() for kind in self.issue_types}
            return project

    def set_create_field(
        self,
        project: str,
        field_id: str,
        *,
        name: str | None = None,
        required: bool = False,
        has_default: bool = False,
        issue_type: str | None = None,
    ) -> None:
        """Put a field on a project's create screen (all issue types, or one), e.g. a required custom one."""
        with self.lock:
            for kind, screen in self.create_meta[project].items():
                if issue_type is None or kind == issue_type:
                    screen[field_id] = _field_meta(field_id, name or field_id, required, has_default)

    def remove_create_field(self, project: str, field_id: str, *, issue_type: str | None = None) -> None:
        """Take a field off a project's create screen (creates that set it then fail)."""
        with self.lock:
            for kind, screen in self.create_meta[project].items():
                if issue_type is None or kind == issue_type:
                    screen.pop(field_id, None)

    def _default_screen(self) -> dict[str, dict[str, Any]]:
        required = {"project", "issuetype", "summary"}
        screen = {f: _field_meta(f, f.title(), f in required, False) for f in sorted(_CREATE_FIELDS)}
        screen["priority"]["allowedValues"] = [{"id": i, "name": n} for n, i in self.priorities.items()]
        screen["priority"]["hasDefaultValue"] = True
        screen["reporter"] = _field_meta("reporter", "Reporter", True, True)  # defaults to the caller
        return screen

    def add_user(
        self,
        display_name: str,
        *,
        email: str | None = None,
        account_id: str | None = None,
        name: str | None = None,
        active: bool = True,
        assignable: bool = True,
        email_visible: bool = True,
    ) -> str:
        """Add a user and return its accountId (Data Center: `name`, default a slug of the display name)."""
        with self.lock:
            account_id = account_id or f"557058:{uuid.uuid4()}"
            self.users[account_id] = {
                "accountId": account_id,
                "accountType": "atlassian",
                "name": name or re.sub(r"\W+", ".", display_name.casefold()).strip("."),
                "displayName": display_name,
                "emailAddress": email,
                "active": active,
                "_assignable": assignable,
                "_email_visible": email_visible,
            }
            return account_id

    def close_issue(self, key: str, *, resolution: str = "Done") -> None:
        """Move an issue to Done with this resolution, as a person would."""
        with self.lock:
            fields = self.issues[key]
            fields["status"] = self._status("Done")
            fields["resolution"] = {"name": resolution, "id": str(abs(hash(resolution)) % 1000)}
            fields["resolutiondate"] = fields["updated"] = _now()
            self.index.touch(key, fields)

    def edit_issue(self, key: str, **fields: Any) -> None:
        """Change fields as a person would (REST field names and shapes, e.g. duedate="2030-01-01")."""
        with self.lock:
            self.issues[key].update(fields)
            self.issues[key]["updated"] = _now()
            self.index.touch(key, self.issues[key])

    def count(self, method: str | None = None, path_regex: str | None = None) -> int:
        """How many requests were received, optionally only those matching a method and path regex."""
        pattern = re.compile(path_regex) if path_regex else None
        with self.lock:
            return sum(
                1
                for m, p in self.calls
                if (method is None or m == method.upper()) and (pattern is None or pattern.search(p))
            )

    def reset_calls(self) -> None:
        """Forget the recorded calls (e.g. after setting up a client)."""
        with self.lock:
            self.calls.clear()

    def issues_with_label(self, label: str) -> list[str]:
        """Keys of the issues carrying `label`, in creation order."""
        with self.lock:
            return [k for k, f in self.issues.items() if label in f.get("labels", [])]

    # --- request handling (called from server threads) -------------------------------------------

    @property
    def cloud(self) -> bool:
        return self.deployment == "Cloud"

    def authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value).decode()
            except ValueError:
                return False
            return decoded == f"{self.email}:{self.api_token}"
        if scheme.lower() == "bearer":
            return value == self.pat
        return False

    def dispatch(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        """Route one API request; returns (status, JSON body or None)."""
        m = _API.match(path)
        if not m:
            raise StandInError(404, ["Not found"])
        version, rest = m.group("version"), m.group("rest").rstrip("/")
        q = {k: v[-1] for k, v in query.items()}
        parts = rest.split("/")
        with self.lock:
            return self._route(method, version, parts, q, query, body)

    def _route(
        self,
        method: str,
        version: str,
        parts: list[str],
        q: dict[str, str],
        multi: dict[str, list[str]],
        body: Any,
    ) -> tuple[int, Any]:
        head = parts[0]
        get = _GETS.get(head)
        if get is not None and method == "GET":
            return 200, get(self)
        if head == "mypermissions" and method == "GET":
            return 200, self._my_permissions(q)
        if head == "project" and len(parts) == 2 and method == "GET":
            project = self.projects.get(parts[1])
            if project is None:
                raise StandInError(404, [f"No project could be found with key '{parts[1]}'."])
            return 200, project
        if head == "issue" and len(parts) >= 4 and parts[1] == "createmeta" and method == "GET":
            return 200, self._create_meta(parts[2:], q)
        route = _ROUTES.get(head)
        if route is None:
            raise StandInError(404, [f"No resource at {'/'.join(parts)}"])
        return route(self, _Request(method, version, parts, q, multi, body))

    # --- server info, fields -----------------------------------------------------------------------

    def _server_info(self) -> dict[str, Any]:
        cloud_version = ([1001, 0, 0], "1001.0.0-SNAPSHOT")
        numbers, version = cloud_version if self.cloud else ([9, 12, 0], "9.12.0")
        return {
            "baseUrl": self.url,
            "version": version,
            "versionNumbers": numbers,
            "deploymentType": self.deployment,
            "buildNumber": 100290,
            "buildDate": "2025-01-01T00:00:00.000+0000",
            "serverTime": _now(),
            "scmInfo": "standin",
            "serverTitle": "Jira stand-in",
        }

    def _fields(self) -> list[dict[str, Any]]:
        names = {
            "summary": ["summary"], "description": ["description"], "labels": ["labels"],
            "duedate": ["due", "duedate"], "assignee": ["assignee"], "priority": ["priority"],
            "status": ["status"], "resolution": ["resolution"], "updated": ["updated", "updatedDate"],
            "project": ["project"], "issuetype": ["issuetype", "type"],
        }
        return [
            {"id": fid, "key": fid, "name": fid.title(), "custom": False, "navigable": True,
             "searchable": True, "clauseNames": clauses}
            for fid, clauses in names.items()
        ]

    # --- create metadata --------------------------------------------------------------------------

    def _my_permissions(self, q: dict[str, str]) -> dict[str, Any]:
        """GET /mypermissions?projectKey=&permissions=A,B: whether the caller holds each permission."""
        wanted = [p for p in q.get("permissions", "").split(",") if p]
        if not wanted:
            raise StandInError(400, ["The 'permissions' query parameter is required."])
        return {"permissions": {p: {"key": p, "havePermission": p not in self.denied_permissions}
                                for p in wanted}}

    def _create_meta(self, parts: list[str], q: dict[str, str]) -> dict[str, Any]:
        key = next((k for k, p in self.projects.items() if parts[0] in (k, p["id"])), None)
        if key is None or parts[1] != "issuetypes" or len(parts) > 3:
            raise StandInError(404, [f"No project could be found with key '{parts[0]}'."])
        if len(parts) == 2:
            items: list[dict[str, Any]] = [
                {"id": self.issue_types[name], "name": name, "subtask": False}
                for name in self.create_meta[key]
            ]
            listing = "issueTypes" if self.cloud else "values"
        else:
            name = next((n for n, i in self.issue_types.items() if i == parts[2]), None)
            if name is None or name not in self.create_meta[key]:
                raise StandInError(404, [f"Issue type with id '{parts[2]}' does not exist."])
            items = [dict(meta) for meta in self.create_meta[key][name].values()]
            listing = "fields" if self.cloud else "values"
        start = int(q.get("startAt", 0) or 0)
        size = max(1, min(int(q.get("maxResults", 50) or 50), 200))
        page = items[start : start + size]
        result: dict[str, Any] = {"startAt": start, "maxResults": size, "total": len(items), listing: page}
        if not self.cloud:
            result["isLast"] = start + len(page) >= len(items)
        return result

    def _screen(self, fields: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
        project = self._project_key(fields.get("project") or {})
        issuetype = fields.get("issuetype") or {}
        name = issuetype.get("name") or next(
            (n for n, i in self.issue_types.items() if i == issuetype.get("id")), None
        )
        if project is None or name is None:
            return None
        return self.create_meta.get(project, {}).get(name)

    # --- search -----------------------------------------------------------------------------------

    def _search(
        self, method: str, parts: list[str], q: dict[str, str], multi: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        params: dict[str, Any] = dict(body) if method == "POST" and isinstance(body, dict) else dict(q)
        if method == "GET" and "fields" in multi:
            params["fields"] = [f for v in multi["fields"] for f in v.split(",")]
        if len(parts) == 1:
            if self.cloud:
                # developer.atlassian.com/changelog/#CHANGE-2046: removed on Cloud.
                raise StandInError(410, [GONE])
            return 200, self._search_startat(params)
        if parts[1:] == ["jql"] and method in ("GET", "POST"):
            if not self.cloud:
                raise StandInError(404, ["null for uri: /rest/api/2/search/jql"])
            return 200, self._search_jql(params)
        raise StandInError(404, ["Not found"])

    def _searchable(self, reconcile: Any = None) -> dict[str, dict[str, Any]]:
        """Issue key -> fields as the (lagging) index shows them; reconciled ids read the live issue."""
        if reconcile is None:
            reconcile = []
        if not isinstance(reconcile, list) or len(reconcile) > 50:
            raise StandInError(400, ["reconcileIssues accepts at most 50 issue ids."])
        self.reconciled.append(list(reconcile))
        live_ids = {str(i) for i in reconcile}
        views: dict[str, dict[str, Any]] = {}
        stale = False
        for key, stored in self.issues.items():
            seen = stored if self.issue_ids[key] in live_ids else self.index.view(key, stored)
            stale = stale or (seen is not stored and seen != stored)
            if seen is not None:
                views[key] = seen
        self.stale_searches += stale
        return views

    def _matching(self, jql: str, views: dict[str, dict[str, Any]] | None = None) -> list[str]:
        if views is None:
            views = self.issues
        try:
            query = parse(jql or "")
        except JqlError as exc:
            raise StandInError(400, [str(exc)]) from None
        for clause in query.clauses:
            if clause.field in ("key", "issuekey"):
                for key in clause.values:
                    if key.upper() not in self.issues:
                        message = f"An issue with key '{key}' does not exist for field 'key'."
                        raise StandInError(400, [message])
            if clause.field == "project":
                for key in clause.values:
                    if key not in self.projects:
                        raise StandInError(
                            400, [f"The value '{key}' does not exist for the field 'project'."]
                        )
        match = matcher(query, self._jql_values)
        keys = [k for k, f in views.items() if match(f | {"key": k})]

        def number(key: str) -> tuple[str, int]:
            project, _, n = key.rpartition("-")
            return project, int(n)

        keys.sort(key=number, reverse=query.descending)
        return keys

    @staticmethod
    def _jql_values(issue: Mapping[str, Any], field: str) -> list[str]:
        if field in ("key", "issuekey"):
            return [issue["key"]]
        if field == "project":
            return [issue["project"]["key"]]
        if field == "labels":
            return list(issue.get("labels") or [])
        if field == "status":
            return [issue["status"]["name"]]
        if field == "statuscategory":
            category = issue["status"]["statusCategory"]
            return [category["key"], category["name"]]
        if field == "assignee":
            assignee = issue.get("assignee") or {}
            return [v for v in (assignee.get("accountId"), assignee.get("name")) if v]
        if field == "issuetype":
            return [issue["issuetype"]["name"]]
        return []

    def _page_size(self, params: dict[str, Any], *, default: int) -> int:
        try:
            size = int(params.get("maxResults", default))
        except (TypeError, ValueError):
            raise StandInError(400, ["maxResults must be a number"]) from None
        return max(0, min(size, 100))

    def _search_jql(self, params: dict[str, Any]) -> dict[str, Any]:
        views = self._searchable(params.get("reconcileIssues"))
        keys = self._matching(str(params.get("jql", "")), views)
        size = self._page_size(params, default=50)
        token = params.get("nextPageToken")
        start = 0
        if token:
            try:
                start = int(base64.urlsafe_b64decode(str(token).encode()).decode().removeprefix("offset:"))
            except ValueError:
                raise StandInError(400, ["The provided next page token is invalid or expired."]) from None
        page = keys[start : start + size]
        end = start + len(page)
        result: dict[str, Any] = {
            "issues": [self._issue_json(k, params.get("fields"), views[k]) for k in page]
        }
        if end < len(keys):
            result["nextPageToken"] = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode()
            result["isLast"] = False
        else:
            result["isLast"] = True
        return result

    def _search_startat(self, params: dict[str, Any]) -> dict[str, Any]:
        views = self._searchable()
        keys = self._matching(str(params.get("jql", "")), views)
        size = self._page_size(params, default=50)
        start = int(params.get("startAt", 0) or 0)
        page = keys[start : start + size]
        return {
            "startAt": start,
            "maxResults": size,
            "total": len(keys),
            "issues": [self._issue_json(k, params.get("fields") or ["*navigable"], views[k]) for k in page],
        }

    def _issue_json(self, key: str, fields: Any, stored: dict[str, Any] | None = None) -> dict[str, Any]:
        wanted: list[str]
        if isinstance(fields, str):
            wanted = fields.split(",")
        elif isinstance(fields, list):
            wanted = [str(f) for f in fields]
        else:
            wanted = ["id"]  # search/jql returns only ids unless fields are named
        if stored is None:
            stored = self.issues[key]
        if any(f in ("*all", "*navigable") for f in wanted):
            chosen = dict(stored)
        else:
            chosen = {f: stored.get(f) for f in wanted if f not in ("id", "key")}
        issue_id = self.issue_ids[key]
        link = f"{self.url}/rest/api/2/issue/{issue_id}"
        return {"id": issue_id, "key": key, "self": link, "fields": chosen}

    # --- issues -----------------------------------------------------------------------------------

    def _issue(
        self, method: str, version: str, parts: list[str], q: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if parts == ["issue", "bulk"] and method == "POST":
            return self._bulk_create(body, version)
        if parts == ["issue"] and method == "POST":
            return self._create_one(body, version)
        if len(parts) < 2:
            raise StandInError(404, ["Not found"])
        key = self._resolve_key(parts[1])
        if len(parts) == 4 and parts[2] == "comment" and method == "PUT":
            return self._put_comment(key, parts[3], body)
        if self.on_issue_request is not None and len(parts) == 2:
            self.on_issue_request(method, key)
        handler = _ISSUE_ROUTES.get((tuple(parts[2:]), method))
        if handler is None:
            raise StandInError(404, ["Not found"])
        return handler(self, key, body, version)

    def _create_one(self, body: Any, version: str) -> tuple[int, Any]:
        if not isinstance(body, dict):
            raise StandInError(400, ["Request body is not a JSON object"])
        errors = self._validate(body.get("fields") or {}, version, creating=True)
        if errors:
            raise StandInError(400, errors=errors)
        return 201, self._commit_create(body["fields"])

    def _get_issue(self, key: str, body: Any, version: str) -> tuple[int, Any]:
        return 200, self._issue_json(key, ["*all"])

    def _put_issue(self, key: str, body: Any, version: str) -> tuple[int, Any]:
        self._edit(key, body if isinstance(body, dict) else {}, version)
        return 204, None

    def _post_comment(self, key: str, body: Any, version: str) -> tuple[int, Any]:
        text = (body or {}).get("body")
        if not isinstance(text, str) or not text.strip():
            raise StandInError(400, errors={"comment": "Comment body can not be empty!"})
        return 201, self._add_comment(key, text)

    def _put_comment(self, key: str, comment_id: str, body: Any) -> tuple[int, Any]:
        # api-group-issue-comments/#api-rest-api-2-issue-issueidorkey-comment-id-put
        text = (body or {}).get("body") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise StandInError(400, errors={"comment": "Comment body can not be empty!"})
        for comment in self.comments.get(key, []):
            if comment["id"] == comment_id:
                comment["body"] = text
                comment["updated"] = _now()
                return 200, comment
        raise StandInError(404, ["Can not find a comment for the id"])

    def _get_comments(self, key: str, body: Any, version: str) -> tuple[int, Any]:
        comments = self.comments.get(key, [])
        total = len(comments)
        return 200, {"startAt": 0, "maxResults": total, "total": total, "comments": comments}

    def _post_remote_link(self, key: str, body: Any, version: str) -> tuple[int, Any]:
        return self._remote_link(key, body or {})

    def _get_remote_links(self, key: str, body: Any, version: str) -> tuple[int, Any]:
        return 200, list(self.remote_links.get(key, []))

    def _get_transitions(self, key: str, body: Any, version: str) -> tuple[int, Any]:
        listed = [{"id": i, "name": n, "to": self._status(n)} for i, n in TRANSITIONS.items()]
        return 200, {"transitions": listed}

    def _post_transition(self, key: str, body: Any, version: str) -> tuple[int, Any]:
        transition = str(((body or {}).get("transition") or {}).get("id"))  # Jira takes "31" or 31
        if transition not in TRANSITIONS:
            raise StandInError(400, ["Transition id is not valid for this issue."])
        fields = self.issues[key]
        fields["status"] = self._status(TRANSITIONS[transition])
        resolution = (((body or {}).get("fields") or {}).get("resolution") or {}).get("name")
        done = TRANSITIONS[transition] == "Done"
        fields["resolution"] = {"name": resolution or "Done"} if done else None
        fields["updated"] = _now()
        self.index.touch(key, fields)
        return 204, None

    def _resolve_key(self, key_or_id: str) -> str:
        if key_or_id in self.issues:
            return key_or_id
        for key, issue_id in self.issue_ids.items():
            if issue_id == key_or_id:
                return key
        raise StandInError(404, ["Issue does not exist or you do not have permission to see it."])

    def _bulk_create(self, body: Any, version: str) -> tuple[int, Any]:
        updates = (body or {}).get("issueUpdates") if isinstance(body, dict) else None
        if not isinstance(updates, list):
            raise StandInError(400, ["issueUpdates is required"])
        if len(updates) > 50:
            raise StandInError(400, ["The number of issues to create exceeds the limit of 50."])
        created: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, update in enumerate(updates):
            fields = (update or {}).get("fields") or {}
            problems = self._validate(fields, version, creating=True)
            if problems:
                errors.append(
                    {
                        "status": 400,
                        "elementErrors": {"errorMessages": [], "errors": problems},
                        "failedElementNumber": index,
                    }
                )
            else:
                created.append(self._commit_create(fields))
        return (201 if created else 400), {"issues": created, "errors": errors}

    def _validate(self, fields: dict[str, Any], version: str, *, creating: bool) -> dict[str, str]:
        errors: dict[str, str] = {}
        screen = self._screen(fields) if creating else None
        allowed = set(screen) if screen is not None else _CREATE_FIELDS
        for name in fields:
            if name not in allowed:
                errors[name] = NOT_ON_SCREEN.format(name=name)
        for field_id, meta in (screen or {}).items():
            missing = fields.get(field_id) in (None, "", [], {})
            if meta["required"] and not meta["hasDefaultValue"] and missing:
                errors.setdefault(field_id, f"{meta['name']} is required.")
        if creating:
            if self._project_key(fields.get("project") or {}) is None:
                errors["project"] = "valid project is required"
            issuetype = fields.get("issuetype") or {}
            type_ids = self.issue_types.values()
            known = issuetype.get("name") in self.issue_types or issuetype.get("id") in type_ids
            if not known:
                errors["issuetype"] = "valid issue type is required"
        # Each field's own rule, in the order Jira reports them.
        for name, check in _FIELD_CHECKS:
            problem = check(self, fields, version, creating)
            if problem:
                errors[name] = problem
        return errors

    def _summary_problem(self, fields: dict[str, Any], version: str, creating: bool) -> str | None:
        if not creating and "summary" not in fields:
            return None
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            return "You must specify a summary of the issue."
        if "\n" in summary or "\r" in summary:
            return "The summary is invalid because it contains newline characters."
        if len(summary) > 255:
            return "Summary must be less than 255 characters."
        return None

    def _description_problem(self, fields: dict[str, Any], version: str, creating: bool) -> str | None:
        description = fields.get("description")
        if description is None:
            return None
        if version == "2" and not isinstance(description, str):
            return "Operation value must be a string"
        if version == "3" and not isinstance(description, dict):
            return "Operation value must be an Atlassian Document."
        return None

    def _labels_problem(self, fields: dict[str, Any], version: str, creating: bool) -> str | None:
        if "labels" not in fields:
            return None
        labels = fields["labels"]
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            return "Labels must be a list of strings."
        problem = None  # Jira reports the last bad label
        for label in labels:
            if not label or re.search(r"\s", label):
                problem = f"The label '{label}' contains spaces which is invalid."
            elif len(label) > 255:
                problem = "The label must not exceed 255 characters."
        return problem

    def _duedate_problem(self, fields: dict[str, Any], version: str, creating: bool) -> str | None:
        if fields.get("duedate") is None:
            return None
        try:
            date.fromisoformat(str(fields["duedate"]))
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(fields["duedate"])):
                raise ValueError
        except ValueError:
            return f"Error parsing date string: {fields['duedate']}"
        return None

    def _priority_problem(self, fields: dict[str, Any], version: str, creating: bool) -> str | None:
        priority = fields.get("priority")
        if priority is None:
            return None
        if not isinstance(priority, dict) or (
            priority.get("name") not in self.priorities and priority.get("id") not in self.priorities.values()
        ):
            return "The priority selected is invalid."
        return None

    def _assignee_field_problem(self, fields: dict[str, Any], version: str, creating: bool) -> str | None:
        if fields.get("assignee") is None:
            return None
        return self._assignee_problem(fields["assignee"])

    def _assignee_problem(self, assignee: Any) -> str | None:
        if not isinstance(assignee, dict):
            return "Specify the assignee as an object."
        if self.cloud:
            if "accountId" not in assignee:
                # GDPR strict mode: names and user keys are gone on Cloud.
                return "Specify an accountId; 'name' and 'key' are not supported in GDPR strict mode."
            user = self.users.get(str(assignee["accountId"])) if assignee["accountId"] else None
            if assignee["accountId"] is None:
                return None
        else:
            user = next((u for u in self.users.values() if u["name"] == assignee.get("name")), None)
        if user is None or not user["active"]:
            return NO_USER
        if not user["_assignable"]:
            return f"User '{user['displayName']}' cannot be assigned issues."
        return None

    def _project_key(self, project: dict[str, Any]) -> str | None:
        if project.get("key") in self.projects:
            return str(project["key"])
        for key, value in self.projects.items():
            if project.get("id") is not None and str(project.get("id")) == value["id"]:
                return key
        return None

    def _user_value(self, ref: dict[str, Any] | None) -> dict[str, Any] | None:
        if not ref:
            return None
        if self.cloud:
            user = self.users.get(str(ref.get("accountId")))
        else:
            user = next((u for u in self.users.values() if u["name"] == ref.get("name")), None)
        return self._user_json(user) if user else None

    def _commit_create(self, fields: dict[str, Any]) -> dict[str, Any]:
        project = self._project_key(fields["project"])
        assert project is not None
        self._counters[project] += 1
        key = f"{project}-{self._counters[project]}"
        self._next_id += 1
        issue_id = str(self._next_id)
        issuetype = fields["issuetype"].get("name") or next(
            n for n, i in self.issue_types.items() if i == fields["issuetype"].get("id")
        )
        priority = (fields.get("priority") or {}).get("name") or "Medium"  # the scheme's default
        now = _now()
        self.issues[key] = {
            "summary": fields["summary"],
            "description": fields.get("description"),
            "labels": list(fields.get("labels") or []),
            "duedate": fields.get("duedate"),
            "assignee": self._user_value(fields.get("assignee")),
            "priority": {"name": priority, "id": self.priorities[priority]},
            "status": self._status("To Do"),
            "resolution": None,
            "project": {"key": project, "id": self.projects[project]["id"]},
            "issuetype": {"name": issuetype, "id": self.issue_types[issuetype]},
            "created": now,
            "updated": now,
        }
        self.issue_ids[key] = issue_id
        self.extra_fields[key] = {k: v for k, v in fields.items() if k not in _CREATE_FIELDS}
        self.index.touch(key, self.issues[key])
        return {"id": issue_id, "key": key, "self": f"{self.url}/rest/api/2/issue/{issue_id}"}

    def _edit(self, key: str, body: dict[str, Any], version: str) -> None:
        fields = body.get("fields") or {}
        update = body.get("update") or {}
        errors = self._validate(fields, version, creating=False)
        errors.update(_update_errors(update))
        if errors:
            raise StandInError(400, errors=errors)
        stored = self.issues[key]
        for name, value in fields.items():
            if name == "assignee":
                stored["assignee"] = self._user_value(value)
            elif name == "priority":
                stored["priority"] = {"name": value["name"], "id": self.priorities[value["name"]]}
            else:
                stored[name] = value
        for op in update.get("labels", []):
            for verb, value in op.items():
                _LABEL_VERBS.get(verb, _keep_labels)(stored, value)
        for op in update.get("comment", []):
            if "add" in op:
                self._add_comment(key, str(op["add"].get("body", "")))
        stored["updated"] = _now()
        self.index.touch(key, stored)

    def _add_comment(self, key: str, text: str) -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": str(self._next_id),
            "body": text,
            "author": self._user_json(self.users[self.bot]),
            "created": _now(),
        }
        self.comments.setdefault(key, []).append(comment)
        self.issues[key]["updated"] = _now()
        self.index.touch(key, self.issues[key])
        return comment

    def _remote_link(self, key: str, body: dict[str, Any]) -> tuple[int, Any]:
        obj = body.get("object") or {}
        if not obj.get("url") or not obj.get("title"):
            raise StandInError(400, errors={"object": "The remote link must have a url and a title."})
        links = self.remote_links.setdefault(key, [])
        global_id = body.get("globalId")
        for link in links:
            if global_id and link.get("globalId") == global_id:
                link.update({k: v for k, v in body.items() if k != "id"})
                return 200, {"id": link["id"], "self": link["self"]}
        self._next_id += 1
        link = dict(body)
        link["id"] = self._next_id
        link["self"] = f"{self.url}/rest/api/2/issue/{key}/remotelink/{self._next_id}"
        links.append(link)
        return 201, {"id": link["id"], "self": link["self"]}

    def _status(self, name: str) -> dict[str, Any]:
        category = STATUSES[name]
        return {
            "name": name,
            "id": str(category["id"]),
            "statusCategory": {"key": category["key"], "name": category["name"], "id": category["id"]},
        }

    # --- users ------------------------------------------------------------------------------------

    def _user_json(self, user: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in user.items() if not k.startswith("_")}
        if not user.get("_email_visible", True):
            out.pop("emailAddress", None)  # hidden by the user's profile visibility settings
        if self.cloud:
            out.pop("name", None)
        else:
            out.pop("accountId", None)
            out.pop("accountType", None)
            out["key"] = user["name"]
        out["self"] = f"{self.url}/rest/api/2/user?accountId={user['accountId']}"
        return out

    def _user(self, method: str, parts: list[str], q: dict[str, str]) -> tuple[int, Any]:
        if method != "GET":
            raise StandInError(405, ["Method not allowed"])
        handler = _USER_ROUTES.get(tuple(parts))
        if handler is None:
            raise StandInError(404, ["Not found"])
        return 200, handler(self, q)

    def _get_user(self, q: dict[str, str]) -> Any:
        account_id = q.get("accountId")
        user = self.users.get(account_id or "") if self.cloud else next(
            (u for u in self.users.values() if u["name"] == q.get("username")), None
        )
        if user is None:
            raise StandInError(404, [NO_USER])
        return self._user_json(user)

    def _search_users(self, q: dict[str, str]) -> Any:
        return [self._user_json(u) for u in self._user_search(q)]

    def _assignable_users(self, q: dict[str, str]) -> Any:
        if not q.get("project") and not q.get("issueKey"):
            raise StandInError(400, ["Either project or issueKey must be given."])
        if q.get("project") and q["project"] not in self.projects:
            raise StandInError(404, [f"No project could be found with key '{q['project']}'."])
        if self.cloud and q.get("accountId"):
            found = [u for u in self.users.values() if u["accountId"] == q["accountId"]]
        elif not self.cloud and q.get("username"):
            found = [u for u in self.users.values() if u["name"] == q["username"]]
        else:
            found = self._user_search(q)
        return [self._user_json(u) for u in found if u["active"] and u["_assignable"]]

    def _user_search(self, q: dict[str, str]) -> list[dict[str, Any]]:
        if self.cloud and "username" in q:
            raise StandInError(400, ["The query parameter 'username' is not supported in GDPR strict mode."])
        text = (q.get("query") or q.get("username") or "").strip().casefold()
        if not text:
            raise StandInError(400, ["One of 'query' or 'accountId' query parameters must be provided."])
        found = []
        for user in self.users.values():
            if not user["active"]:
                continue
            words = user["displayName"].casefold().split()
            email = (user.get("emailAddress") or "").casefold()
            name = user["name"].casefold()
            # Cloud matches the start of the display name, of any word in it, or of the email.
            if (
                user["displayName"].casefold().startswith(text)
                or any(w.startswith(text) for w in words)
                or (email and email.startswith(text))
                or (not self.cloud and name.startswith(text))
            ):
                found.append(user)
        limit = int(q.get("maxResults", 50) or 50)
        return found[:limit]


@dataclass(frozen=True)
class _Request:
    """One API request as the routes see it."""

    method: str
    version: str
    parts: list[str]
    q: dict[str, str]
    multi: dict[str, list[str]]
    body: Any


#: GET resources answered from the stand-in's own state.
_GETS: dict[str, Callable[[JiraStandIn], Any]] = {
    "serverInfo": JiraStandIn._server_info,
    "myself": lambda s: s._user_json(s.users[s.bot]),
    "field": JiraStandIn._fields,
    "priority": lambda s: [{"id": i, "name": n} for n, i in s.priorities.items()],
}

#: Resource families with their own routing, by the first path segment.
_ROUTES: dict[str, Callable[[JiraStandIn, _Request], tuple[int, Any]]] = {
    "search": lambda s, r: s._search(r.method, r.parts, r.q, r.multi, r.body),
    "issue": lambda s, r: s._issue(r.method, r.version, r.parts, r.q, r.body),
    "user": lambda s, r: s._user(r.method, r.parts, r.q),
}

_IssueRoute = Callable[[JiraStandIn, str, Any, str], tuple[int, Any]]

#: /issue/{key}/... by (the path after the key, method).
_ISSUE_ROUTES: dict[tuple[tuple[str, ...], str], _IssueRoute] = {
    ((), "GET"): JiraStandIn._get_issue,
    ((), "PUT"): JiraStandIn._put_issue,
    (("comment",), "POST"): JiraStandIn._post_comment,
    (("comment",), "GET"): JiraStandIn._get_comments,
    (("remotelink",), "POST"): JiraStandIn._post_remote_link,
    (("remotelink",), "GET"): JiraStandIn._get_remote_links,
    (("transitions",), "GET"): JiraStandIn._get_transitions,
    (("transitions",), "POST"): JiraStandIn._post_transition,
}

#: GET /user/... by path.
_USER_ROUTES: dict[tuple[str, ...], Callable[[JiraStandIn, dict[str, str]], Any]] = {
    ("user",): JiraStandIn._get_user,
    ("user", "search"): JiraStandIn._search_users,
    ("user", "assignable", "search"): JiraStandIn._assignable_users,
}

_FieldCheck = Callable[[JiraStandIn, dict[str, Any], str, bool], "str | None"]

#: Per-field validation of a create or edit, in the order the errors are reported.
_FIELD_CHECKS: tuple[tuple[str, _FieldCheck], ...] = (
    ("summary", JiraStandIn._summary_problem),
    ("description", JiraStandIn._description_problem),
    ("labels", JiraStandIn._labels_problem),
    ("duedate", JiraStandIn._duedate_problem),
    ("priority", JiraStandIn._priority_problem),
    ("assignee", JiraStandIn._assignee_field_problem),
)

#: The `update` operations an edit accepts.
_UPDATABLE = ("labels", "comment", "summary", "duedate")


def _update_errors(update: dict[str, Any]) -> dict[str, str]:
    """What Jira says of an edit's `update` operations: unknown fields, bad labels."""
    errors: dict[str, str] = {}
    for name in update:
        if name not in _UPDATABLE:
            errors[name] = NOT_ON_SCREEN.format(name=name)
    for op in update.get("labels", []):
        for verb, value in op.items():
            values = value if verb == "set" else [value]
            if any(not isinstance(v, str) or re.search(r"\s", v) or not v for v in values):
                errors["labels"] = f"The label '{value}' contains spaces which is invalid."
    return errors


def _add_label(stored: dict[str, Any], value: Any) -> None:
    labels = stored.setdefault("labels", [])
    if value not in labels:
        labels.append(value)


def _remove_label(stored: dict[str, Any], value: Any) -> None:
    labels = stored.setdefault("labels", [])
    if value in labels:
        labels.remove(value)


def _set_labels(stored: dict[str, Any], value: Any) -> None:
    stored.setdefault("labels", [])
    stored["labels"] = list(value)


def _keep_labels(stored: dict[str, Any], value: Any) -> None:
    stored.setdefault("labels", [])  # an unknown verb changes nothing


#: Label operations of an edit's `update`, by verb.
_LABEL_VERBS: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "add": _add_label,
    "remove": _remove_label,
    "set": _set_labels,
}


class _Handler(BaseHTTPRequestHandler):
    standin: JiraStandIn
    protocol_version = "HTTP/1.1"  # keep-alive, like Jira; every answer carries Content-Length
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every kept-alive reply.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        standin = self.standin
        split = urlsplit(self.path)
        path = split.path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with standin.lock:
            standin.calls.append((method, path))
        fault = standin.faults.take(method, path)
        if fault is not None and fault.kind in ("reset", "timeout"):
            if fault.kind == "timeout":
                time.sleep(standin.hang)
            self._drop()
            return
        if fault is not None and fault.kind != "lost_response":
            self._send_fault(fault)
            return
        status, body, headers = self._answer(method, path, split.query, raw)
        if standin.latency:
            time.sleep(standin.latency)
        if fault is not None:  # lost_response: the work is done, the answer never arrives
            self._drop()
            return
        self._send(status, body, headers)

    def _answer(self, method: str, path: str, query: str, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        standin = self.standin
        is_server_info = path.rstrip("/").endswith("/serverInfo")
        if not is_server_info and not standin.authorized(self.headers.get("Authorization")):
            return 401, {"errorMessages": ["Client must be authenticated to access this resource."]}, {}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"errorMessages": ["Unexpected character in the JSON body"], "errors": {}}, {}
        try:
            status, payload = standin.dispatch(method, path, parse_qs(query), body)
        except StandInError as exc:
            return exc.status, exc.body, {}
        return status, payload, {}

    def _send_fault(self, fault: Fault) -> None:
        status = int(fault.kind)
        headers = dict(fault.headers)
        if fault.kind == "429":
            if fault.retry_after is not None:
                headers.setdefault("Retry-After", fault.retry_after)
            reset = datetime.now(UTC) + timedelta(seconds=60)
            headers.setdefault("X-RateLimit-Limit", "100")
            headers.setdefault("X-RateLimit-Remaining", "0")
            headers.setdefault("X-RateLimit-Reset", reset.strftime("%Y-%m-%dT%H:%MZ"))
            headers.setdefault("RateLimit-Reason", "jira-burst-based")
        elif fault.kind == "503" and fault.retry_after is not None:
            headers.setdefault("Retry-After", fault.retry_after)
        messages = {
            "429": "Rate limit exceeded.",
            "500": "Internal server error",
            "502": "Bad gateway",
            "503": "Service unavailable",
            "401": "Client must be authenticated to access this resource.",
            "403": "You do not have permission to perform this operation.",
            "404": "Not found",
        }
        self._send(status, {"errorMessages": [messages[fault.kind]], "errors": {}}, headers)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection with a TCP reset and no answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


def http_date(seconds_from_now: float) -> str:
    """An HTTP-date (RFC 9110) `seconds_from_now` in the future, for Retry-After tests."""
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)

