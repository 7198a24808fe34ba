"""A local stand-in for the part of the GitHub REST API that PyGithub calls for `connectors.github`.

Use it as a context manager; point PyGithub (or GITHUB_API_URL) at `.url`::

    with GitHubStandIn(repo="acme/ops", collaborators={"alice"}) as gh_api:
        settings = load_settings(github_token="test-token", github_api_url=gh_api.url)
        gh_api.faults.add("POST", r"/issues$", "lost_response")
        ...
        assert gh_api.count("POST", r"/issues$") == 1

Behaviour follows these docs.github.com pages (REST API version 2022-11-28):
- rest/repos/repos#get-a-repository
- rest/issues/issues: "Create an issue" (422 for an assignee who cannot be assigned, `field: assignees`;
  labels that do not exist are created), "Get an issue", "Update an issue" (`state_reason`),
  "List repository issues" (`labels` all must match, `state`, `sort`, `direction`, `per_page` <= 100,
  `page`; pull requests are included and carry a `pull_request` key)
- rest/issues/labels: add (POST), set (PUT), remove one (DELETE .../labels/{name}), remove all
- rest/issues/comments#create-an-issue-comment
- rest/issues/assignees#check-if-a-user-can-be-assigned (204 or 404)
- rest/issues/milestones: get one, list
- rest/users/users#get-the-authenticated-user (GET /user)
- rest/users/users#get-a-user
- rest/using-the-rest-api/using-pagination-in-the-rest-api (`Link` header with next/last/first/prev)
- rest/using-the-rest-api/rate-limits-for-the-rest-api (x-ratelimit-* headers on every response; 403/429)
- rest/using-the-rest-api/troubleshooting-the-rest-api (422 `Validation Failed` with an `errors` list)
Limits: label names <= 50 characters, bodies <= 65,536 characters, titles <= 256 characters.
"""

from __future__ import annotations

import json
import math
import re
import socket
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.standins.github_contents import ContentsMixin
from tests.standins.github_faults import FAULT_KINDS, Fault, Faults

__all__ = ["FAULT_KINDS", "Call", "Faults", "GitHubStandIn", "StandInIssue"]

BODY_LIMIT = 65_536
LABEL_LIMIT = 50
TITLE_LIMIT = 256
RATE_LIMIT = 5_000
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
DOCS = "https://docs.github.com/rest"
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID 0000:STANDIN."
)
PRIMARY_MESSAGE = (
    "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, "
    "please include the request ID 0000:STANDIN."
)


@dataclass(slots=True)
class StandInIssue:
    """One issue (or pull request) as the stand-in stores it."""

    number: int
    title: str
    body: str | None = None
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    milestone: int | None = None
    is_pull_request: bool = False
    comments: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    closed_at: datetime | None = None
    #: time.monotonic() from which the list endpoint shows it (see GitHubStandIn.list_lag).
    listed_after: float = 0.0

    def has_label(self, name: str) -> bool:
        return name.lower() in {label.lower() for label in self.labels}


@dataclass(frozen=True, slots=True)
class Call:
    """One request that reached the stand-in (including faulted ones)."""

    method: str
    path: str
    query: str
    at: float  # time.monotonic() when it arrived
    fault: str | None


class _ValidationFailed(Exception):
    def __init__(self, *errors: dict[str, Any]) -> None:
        super().__init__("Validation Failed")
        self.errors = list(errors)


class _Missing(Exception):
    def __init__(self, message: str = "Not Found") -> None:
        super().__init__(message)
        self.message = message


class GitHubStandIn(ContentsMixin):
    """A threaded HTTP server on 127.0.0.1 with in-memory issues, labels, users and fault injection."""

    def __init__(
        self,
        *,
        repo: str = "acme/ops",
        token: str | None = "test-token",
        collaborators: set[str] | None = None,
        users: dict[str, str] | None = None,
        milestones: dict[int, str] | None = None,
        latency: float = 0.0,
        list_lag: float = 0.0,
        permissions: dict[str, bool] | None = None,
    ) -> None:
        self.repo = repo
        #: The token's permissions on the repository, as GET /repos/{repo} reports them. Without push,
        #: GitHub creates issues but silently drops their labels, assignees and milestone.
        self.permissions: dict[str, bool] = {
            "admin": False, "maintain": False, "push": True, "triage": True, "pull": True,
            **(permissions or {}),
        }
        #: Seconds before a new issue shows in the list endpoint (replica lag); GETs by number see it at once.
        self.list_lag = list_lag
        #: Token the client must send (`Authorization: token ...`); None accepts any request.
        self.token = token
        #: Logins the assignees endpoint confirms (compared case-insensitively, as GitHub does).
        self.collaborators: set[str] = set(collaborators if collaborators is not None else {"alice", "bob"})
        #: login -> display name; every collaborator is a user too.
        self.users: dict[str, str] = dict(users or {})
        for login in self.collaborators:
            self.users.setdefault(login, login.title())
        self.milestones: dict[int, str] = dict(milestones if milestones is not None else {1: "Follow-ups"})
        #: Seconds added before every response (for benchmarks).
        self.latency = latency
        self.issues: dict[int, StandInIssue] = {}
        #: Repository labels, lowercased name -> name as first created.
        self.labels: dict[str, str] = {}
        #: (method, path) of every request that reached the server, in order.
        self.calls: list[tuple[str, str]] = []
        #: The same requests with query, arrival time and injected fault.
        self.log: list[Call] = []
        self.faults = Faults()
        self.lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._next_number = 1
        self._next_id = 1000
        #: Whether the token may push (the repository's `permissions.push`).
        self.push_allowed = True
        self._init_contents()  # repository files, open pull requests (tests/standins/github_contents.py)

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> GitHubStandIn:
        """Listen on a free port of 127.0.0.1 in a background thread."""
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests held by a "timeout" fault are released."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GitHubStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for PyGithub's `base_url` or GITHUB_API_URL."""
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- helpers for tests ------------------------------------------------------------------------

    def add_issue(
        self,
        title: str,
        *,
        body: str | None = None,
        labels: tuple[str, ...] | list[str] = (),
        assignees: tuple[str, ...] | list[str] = (),
        state: str = "open",
        state_reason: str | None = None,
        pull_request: bool = False,
    ) -> StandInIssue:
        """Seed an issue (or a pull request) directly, without a request."""
        with self.lock:
            issue = StandInIssue(
                number=self._take_number(),
                title=title,
                body=body,
                labels=[self._label(name) for name in labels],
                assignees=list(assignees),
                is_pull_request=pull_request,
            )
            self.issues[issue.number] = issue
            if state == "closed":
                self.close_issue(issue.number, reason=state_reason or "completed")
            return issue

    def close_issue(self, number: int, *, reason: str = "completed") -> None:
        """Close an issue as a person would: reason "completed", "not_planned" or "duplicate"."""
        with self.lock:
            issue = self.issues[number]
            issue.state, issue.state_reason = "closed", reason
            issue.closed_at = issue.updated_at = datetime.now(UTC)

    def issues_labelled(self, label: str) -> list[StandInIssue]:
        """Issues (not pull requests) carrying `label`, oldest first."""
        with self.lock:
            return [i for i in self.issues.values() if not i.is_pull_request and i.has_label(label)]

    def count(self, method: str | None = None, path_regex: str | None = None) -> int:
        """How many requests matched this method and path pattern."""
        with self.lock:
            return sum(
                1
                for m, p in self.calls
                if (method is None or m == method) and (path_regex is None or re.search(path_regex, p))
            )

    def write_times(self) -> list[float]:
        """Arrival times (time.monotonic) of every write request, in order."""
        with self.lock:
            return [call.at for call in self.log if call.method in WRITE_METHODS]

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()
            self.log.clear()

    # --- request handling (called by _Handler) ----------------------------------------------------

    def record(self, method: str, path: str, query: str, fault: Fault | None) -> None:
        with self.lock:
            self.calls.append((method, path))
            self.log.append(Call(method, path, query, time.monotonic(), fault.kind if fault else None))

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def authorised(self, header: str | None) -> bool:
        return self.token is None or header in (f"token {self.token}", f"Bearer {self.token}")

    def rate_headers(self) -> dict[str, str]:
        with self.lock:
            used = len(self.calls)
        return {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(max(RATE_LIMIT - used, 0)),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-resource": "core",
        }

    def route(self, method: str, path: str, query: dict[str, list[str]], payload: Any) -> _Reply:
        """Carry out one API request against the in-memory state."""
        try:
            with self.lock:
                return self._route(method, path, query, payload)
        except _ValidationFailed as exc:
            return _Reply(
                422, {"message": "Validation Failed", "errors": exc.errors, "documentation_url": DOCS}
            )
        except _Missing as exc:
            return _Reply(404, {"message": exc.message, "documentation_url": DOCS})

    def _route(self, method: str, path: str, query: dict[str, list[str]], payload: Any) -> _Reply:
        if method == "GET" and path == "/rate_limit":
            return _Reply(200, {"resources": {}, "rate": {"limit": RATE_LIMIT}})
        if method == "GET" and path == "/user":  # rest/users/users#get-the-authenticated-user
            return _Reply(200, self._user_json("followthrough-bot"))
        user = re.fullmatch(r"/users/([^/]+)", path)
        if user and method == "GET":
            return _Reply(200, self._user_json(self._known_user(urllib.parse.unquote(user[1]))))
        if method == "GET" and path == "/search/issues":  # rest/search/search#search-issues-and-pull-requests
            return self._search_issues(_first(query, "q", ""))
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if match is None or f"{match[1]}/{match[2]}".lower() != self.repo.lower():
            raise _Missing()
        rest = match[3] or ""
        for pattern, verb, handler in self._routes():
            found = re.fullmatch(pattern, rest)
            if found and verb == method:
                reply: _Reply = handler(
                    *[urllib.parse.unquote(g) for g in found.groups()], query=query, payload=payload
                )
                return reply
        raise _Missing()

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"", "GET", self._get_repo),
            (r"/issues", "GET", self._list_issues),
            (r"/issues", "POST", self._create_issue),
            (r"/issues/(\d+)", "GET", self._get_issue),
            (r"/issues/(\d+)", "PATCH", self._update_issue),
            (r"/issues/(\d+)/comments", "GET", self._list_comments),
            (r"/issues/(\d+)/comments", "POST", self._create_comment),
            (r"/issues/(\d+)/labels", "POST", self._add_labels),
            (r"/issues/(\d+)/labels", "PUT", self._set_labels),
            (r"/issues/(\d+)/labels", "DELETE", self._remove_all_labels),
            (r"/issues/(\d+)/labels/(.+)", "DELETE", self._remove_label),
            (r"/assignees/([^/]+)", "GET", self._check_assignee),
            (r"/milestones", "GET", self._list_milestones),
            (r"/milestones/(\d+)", "GET", self._get_milestone),
            *self._contents_routes(),
        ]

    # --- endpoints --------------------------------------------------------------------------------

    def _get_repo(self, *, query: Any, payload: Any) -> _Reply:
        owner, name = self.repo.split("/", 1)
        return _Reply(
            200,
            {
                "id": 1,
                "node_id": "R_1",
                "name": name,
                "full_name": self.repo,
                "owner": self._user_json(owner),
                "private": True,
                "html_url": f"{self.url}/{self.repo}",
                "url": f"{self.url}/repos/{self.repo}",
                "has_issues": True,
                "default_branch": self.contents_default_branch,
                "permissions": {**self.permissions,
                                "push": self.permissions.get("push", False) and self.push_allowed},
            },
        )

    def _search_issues(self, q: str) -> _Reply:
        """Issues of this repository whose body holds every quoted phrase of `q` (the `in:body` search)."""
        repo = re.search(r"repo:(\S+)", q)
        phrases = re.findall(r'"([^"]+)"', q)
        if repo is None or repo[1].lower() != self.repo.lower():
            items: list[dict[str, Any]] = []
        else:
            items = [self._issue_json(issue) for issue in self.issues.values()
                     if not issue.is_pull_request and all(p in (issue.body or "") for p in phrases)]
        return _Reply(200, {"total_count": len(items), "incomplete_results": False, "items": items})

    def _list_issues(self, *, query: dict[str, list[str]], payload: Any) -> _Reply:
        now = time.monotonic()
        state = _first(query, "state", "open")
        wanted = [name for name in _first(query, "labels", "").split(",") if name.strip()]
        per_page = min(max(int(_first(query, "per_page", "30")), 1), 100)
        page = max(int(_first(query, "page", "1")), 1)
        selected = [
            issue
            for issue in self.issues.values()
            if (state == "all" or issue.state == state)
            and all(issue.has_label(n) for n in wanted)
            and issue.listed_after <= now
        ]
        newest_first = _first(query, "direction", "desc") == "desc"
        selected.sort(key=lambda i: i.number, reverse=newest_first)
        chunk = selected[(page - 1) * per_page : page * per_page]
        last = max(math.ceil(len(selected) / per_page), 1)
        return _Reply(
            200,
            [self._issue_json(i) for i in chunk],
            {"Link": self._link(query, page, last)} if last > 1 else {},
        )

    def _create_issue(self, *, query: Any, payload: Any) -> _Reply:
        data = _object(payload)
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _ValidationFailed({"resource": "Issue", "code": "missing_field", "field": "title"})
        self._check_text("Issue", "title", title, TITLE_LIMIT)
        self._check_text("Issue", "body", data.get("body"), BODY_LIMIT)
        labels = self._checked_labels(data.get("labels") or [])
        assignees = self._checked_assignees(data)
        milestone = self._checked_milestone(data.get("milestone"))
        if not self.permissions.get("push"):
            labels, assignees, milestone = [], [], None  # dropped without a word, as GitHub does
        issue = StandInIssue(
            number=self._take_number(),
            title=title,
            body=data.get("body"),
            labels=[self._label(name) for name in labels],
            assignees=assignees or [],
            milestone=milestone,
            listed_after=time.monotonic() + self.list_lag,
        )
        self.issues[issue.number] = issue
        body = self._issue_json(issue)
        return _Reply(201, body, {"Location": body["url"]})

    def _get_issue(self, number: str, *, query: Any, payload: Any) -> _Reply:
        return _Reply(200, self._issue_json(self._issue(number)))

    def _update_issue(self, number: str, *, query: Any, payload: Any) -> _Reply:
        issue = self._issue(number)
        data = _object(payload)
        if "title" in data:
            self._check_text("Issue", "title", data["title"], TITLE_LIMIT)
        self._check_text("Issue", "body", data.get("body"), BODY_LIMIT)
        labels = self._checked_labels(data["labels"]) if "labels" in data else None
        assignees = self._checked_assignees(data)
        milestone = self._checked_milestone(data["milestone"]) if data.get("milestone") else None
        if "title" in data:
            issue.title = data["title"]
        if "body" in data:
            issue.body = data["body"]
        if labels is not None:
            issue.labels = [self._label(name) for name in labels]
        if assignees is not None:
            issue.assignees = assignees
        if "milestone" in data:
            issue.milestone = milestone
        if data.get("state") == "closed" and issue.state != "closed":
            self.close_issue(issue.number, reason=data.get("state_reason") or "completed")
        elif data.get("state") == "open" and issue.state == "closed":
            issue.state, issue.state_reason, issue.closed_at = "open", "reopened", None
        issue.updated_at = datetime.now(UTC)
        return _Reply(200, self._issue_json(issue))

    def _list_comments(self, number: str, *, query: Any, payload: Any) -> _Reply:
        # rest/issues/comments#list-issue-comments (oldest first, paged like every list endpoint)
        issue = self._issue(number)
        per_page = min(max(int(_first(query, "per_page", "30")), 1), 100)
        page = max(int(_first(query, "page", "1")), 1)
        last = max(math.ceil(len(issue.comments) / per_page), 1)
        start = (page - 1) * per_page
        chunk = list(enumerate(issue.comments))[start : start + per_page]
        return _Reply(
            200,
            [
                {
                    "id": issue.number * 100_000 + index,
                    "body": body,
                    "user": self._user_json("followthrough-bot"),
                    "url": f"{self.url}/repos/{self.repo}/issues/comments/{issue.number * 100_000 + index}",
                    "html_url": f"{self.url}/{self.repo}/issues/{issue.number}#issuecomment-{index}",
                }
                for index, body in chunk
            ],
            {"Link": self._link(query, page, last)} if last > 1 else {},
        )

    def _create_comment(self, number: str, *, query: Any, payload: Any) -> _Reply:
        issue = self._issue(number)
        body = _object(payload).get("body")
        if not isinstance(body, str) or not body:
            raise _ValidationFailed({"resource": "IssueComment", "code": "missing_field", "field": "body"})
        self._check_text("IssueComment", "body", body, BODY_LIMIT)
        issue.comments.append(body)
        issue.updated_at = datetime.now(UTC)
        comment_id = self._take_id()
        return _Reply(
            201,
            {
                "id": comment_id,
                "node_id": f"IC_{comment_id}",
                "url": f"{self.url}/repos/{self.repo}/issues/comments/{comment_id}",
                "html_url": f"{self.url}/{self.repo}/issues/{issue.number}#issuecomment-{comment_id}",
                "issue_url": f"{self.url}/repos/{self.repo}/issues/{issue.number}",
                "body": body,
                "user": self._user_json("followthrough-bot"),
                "created_at": _iso(datetime.now(UTC)),
                "updated_at": _iso(datetime.now(UTC)),
                "author_association": "MEMBER",
            },
        )

    def _add_labels(self, number: str, *, query: Any, payload: Any) -> _Reply:
        issue = self._issue(number)
        for name in self._checked_labels(_label_payload(payload)):
            if not issue.has_label(name):
                issue.labels.append(self._label(name))
        return _Reply(200, [self._label_json(name) for name in issue.labels])

    def _set_labels(self, number: str, *, query: Any, payload: Any) -> _Reply:
        issue = self._issue(number)
        issue.labels = [self._label(name) for name in self._checked_labels(_label_payload(payload))]
        return _Reply(200, [self._label_json(name) for name in issue.labels])

    def _remove_all_labels(self, number: str, *, query: Any, payload: Any) -> _Reply:
        self._issue(number).labels = []
        return _Reply(204, None)

    def _remove_label(self, number: str, name: str, *, query: Any, payload: Any) -> _Reply:
        issue = self._issue(number)
        if not issue.has_label(name):
            raise _Missing("Label does not exist")
        issue.labels = [label for label in issue.labels if label.lower() != name.lower()]
        return _Reply(200, [self._label_json(label) for label in issue.labels])

    def _check_assignee(self, login: str, *, query: Any, payload: Any) -> _Reply:
        if login.lower() in {c.lower() for c in self.collaborators}:
            return _Reply(204, None)
        raise _Missing()

    def _list_milestones(self, *, query: Any, payload: Any) -> _Reply:
        return _Reply(200, [self._milestone_json(n) for n in sorted(self.milestones)])

    def _get_milestone(self, number: str, *, query: Any, payload: Any) -> _Reply:
        if int(number) not in self.milestones:
            raise _Missing()
        return _Reply(200, self._milestone_json(int(number)))

    # --- validation and state ---------------------------------------------------------------------

    def _reply(self, status: int, body: Any) -> _Reply:
        return _Reply(status, body)

    def _missing(self) -> Exception:
        return _Missing()

    def _issue(self, number: str) -> StandInIssue:
        issue = self.issues.get(int(number))
        if issue is None:
            raise _Missing()
        return issue

    def _known_user(self, login: str) -> str:
        for known in self.users:
            if known.lower() == login.lower():
                return known
        raise _Missing()

    @staticmethod
    def _check_text(resource: str, name: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            raise _ValidationFailed(
                {
                    "resource": resource,
                    "code": "custom",
                    "field": name,
                    "message": f"{name} is too long (maximum is {limit} characters)",
                }
            )

    @staticmethod
    def _checked_labels(labels: Any) -> list[str]:
        names = [label if isinstance(label, str) else label.get("name", "") for label in labels]
        for name in names:
            if not name.strip() or len(name) > LABEL_LIMIT:
                raise _ValidationFailed(
                    {
                        "resource": "Label",
                        "code": "invalid",
                        "field": "name",
                        "value": name,
                        "message": f"name is too long (maximum is {LABEL_LIMIT} characters)"
                        if name.strip()
                        else "name can't be blank",
                    }
                )
        return names

    def _checked_assignees(self, data: dict[str, Any]) -> list[str] | None:
        if "assignees" in data:
            wanted = list(data["assignees"] or [])
        elif "assignee" in data:
            wanted = [data["assignee"]] if data["assignee"] else []
        else:
            return None
        known = {c.lower(): c for c in self.collaborators}
        for login in wanted:
            if str(login).lower() not in known:
                raise _ValidationFailed(
                    {"resource": "Issue", "code": "invalid", "field": "assignees", "value": login}
                )
        return [known[str(login).lower()] for login in wanted]

    def _checked_milestone(self, number: Any) -> int | None:
        if number is None:
            return None
        if not isinstance(number, int) or number not in self.milestones:
            raise _ValidationFailed(
                {"resource": "Issue", "code": "invalid", "field": "milestone", "value": number}
            )
        return number

    def _label(self, name: str) -> str:
        # GitHub creates a missing label on first use; names are unique case-insensitively.
        return self.labels.setdefault(name.lower(), name)

    def _take_number(self) -> int:
        number = self._next_number
        self._next_number += 1
        return number

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _link(self, query: dict[str, list[str]], page: int, last: int) -> str:
        def url(to: int) -> str:
            params = {k: v[0] for k, v in query.items()}
            params["page"] = str(to)
            return f"<{self.url}/repos/{self.repo}/issues?{urllib.parse.urlencode(params)}>"

        links = []
        if page < last:
            links += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
        if page > 1:
            links += [f'{url(1)}; rel="first"', f'{url(page - 1)}; rel="prev"']
        return ", ".join(links)

    # --- JSON representations ---------------------------------------------------------------------

    def _issue_json(self, issue: StandInIssue) -> dict[str, Any]:
        api = f"{self.url}/repos/{self.repo}/issues/{issue.number}"
        kind = "pull" if issue.is_pull_request else "issues"
        data: dict[str, Any] = {
            "id": 100_000 + issue.number,
            "node_id": f"I_{issue.number}",
            "url": api,
            "repository_url": f"{self.url}/repos/{self.repo}",
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": f"{self.url}/{self.repo}/{kind}/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self._user_json("followthrough-bot"),
            "labels": [self._label_json(name) for name in issue.labels],
            "assignee": self._user_json(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self._user_json(login) for login in issue.assignees],
            "milestone": self._milestone_json(issue.milestone) if issue.milestone else None,
            "locked": False,
            "comments": len(issue.comments),
            "closed_at": _iso(issue.closed_at) if issue.closed_at else None,
            "created_at": _iso(issue.created_at),
            "updated_at": _iso(issue.updated_at),
            "author_association": "MEMBER",
        }
        if issue.is_pull_request:
            data["pull_request"] = {
                "url": f"{self.url}/repos/{self.repo}/pulls/{issue.number}",
                "html_url": data["html_url"],
                "diff_url": f"{data['html_url']}.diff",
                "patch_url": f"{data['html_url']}.patch",
            }
        return data

    def _label_json(self, name: str) -> dict[str, Any]:
        return {
            "id": abs(hash(name.lower())) % 10**9,
            "node_id": f"LA_{name}",
            "url": f"{self.url}/repos/{self.repo}/labels/{urllib.parse.quote(name)}",
            "name": name,
            "color": "ededed",
            "default": False,
            "description": None,
        }

    def _user_json(self, login: str) -> dict[str, Any]:
        return {
            "login": login,
            "id": abs(hash(login.lower())) % 10**9,
            "node_id": f"U_{login}",
            "type": "User",
            "site_admin": False,
            "name": self.users.get(login),
            "url": f"{self.url}/users/{login}",
            "html_url": f"{self.url}/{login}",
        }

    def _milestone_json(self, number: int) -> dict[str, Any]:
        return {
            "url": f"{self.url}/repos/{self.repo}/milestones/{number}",
            "html_url": f"{self.url}/{self.repo}/milestone/{number}",
            "id": 500 + number,
            "node_id": f"MI_{number}",
            "number": number,
            "title": self.milestones.get(number, ""),
            "state": "open",
            "open_issues": 0,
            "closed_issues": 0,
            "created_at": _iso(datetime(2024, 1, 1, tzinfo=UTC)),
            "updated_at": _iso(datetime(2024, 1, 1, tzinfo=UTC)),
            "due_on": None,
        }


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    """Parses one request, applies latency and faults, and writes the stand-in's reply."""

    standin: GitHubStandIn
    protocol_version = "HTTP/1.1"  # keep-alive, like api.github.com
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every reply.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return None

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        standin = self.standin
        parsed = urllib.parse.urlsplit(self.path)
        path, query = parsed.path.rstrip("/") or "/", urllib.parse.parse_qs(parsed.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fault = standin.faults.pick(method, path)
        standin.record(method, path, parsed.query, fault)
        standin.wait(standin.latency)
        if not standin.authorised(self.headers.get("Authorization")):
            self._send(_Reply(401, {"message": "Bad credentials", "documentation_url": DOCS}))
            return
        if fault is not None and fault.kind in ("reset", "timeout"):
            if fault.kind == "timeout":
                standin.wait(standin.faults.timeout_delay)
            self._drop(reset=fault.kind == "reset")
            return
        if fault is not None and fault.kind != "lost_response":
            self._send(_fault_reply(fault, standin.rate_headers()))
            return
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            self._send(_Reply(400, {"message": "Problems parsing JSON", "documentation_url": DOCS}))
            return
        reply = standin.route(method, path, query, payload)
        if fault is not None:  # lost_response: committed above, but the reply never arrives
            self._drop(reset=False)
            return
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        data = b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")
        if reply.status == 502:
            data = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(reply.status)
        headers = {**self.standin.rate_headers(), **reply.headers}
        headers.setdefault(
            "Content-Type", "text/html" if reply.status == 502 else "application/json; charset=utf-8"
        )
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _drop(self, *, reset: bool) -> None:
        self.close_connection = True
        if reset:
            # SO_LINGER with a zero timeout makes close() send a TCP RST instead of a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


def _fault_reply(fault: Fault, rate_headers: dict[str, str]) -> _Reply:
    wait = str(max(math.ceil(fault.retry_after), 0))
    if fault.kind == "429":
        return _Reply(429, {"message": SECONDARY_MESSAGE, "documentation_url": DOCS}, {"retry-after": wait})
    if fault.kind == "403-secondary":
        return _Reply(403, {"message": SECONDARY_MESSAGE, "documentation_url": DOCS})
    if fault.kind == "ratelimit-exhausted":
        reset = str(int(time.time() + fault.retry_after))
        headers = {**rate_headers, "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
        return _Reply(403, {"message": PRIMARY_MESSAGE, "documentation_url": DOCS}, headers)
    messages = {"500": "Server Error", "502": "Bad Gateway", "503": "Service Unavailable"}
    return _Reply(int(fault.kind), {"message": messages[fault.kind]})


def _first(query: dict[str, list[str]], name: str, default: str) -> str:
    return query.get(name, [default])[0]


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise _ValidationFailed({"resource": "Issue", "code": "invalid", "field": "body of the request"})
    return payload


def _label_payload(payload: Any) -> list[Any]:
    if isinstance(payload, dict):
        return list(payload.get("labels") or [])
    return list(payload or [])


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
