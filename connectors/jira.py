"""Jira tracker: one `JiraTracker` per Jira project destination, on the `jira` client library.

Endpoints (developer.atlassian.com/cloud/jira/platform/rest/...):
- search: POST /rest/api/3/search/jql (nextPageToken/isLast, no total); the old /search answers 410 on
  Cloud. Data Center has no search/jql, so it gets POST /rest/api/2/search with startAt.
- create: POST /rest/api/2/issue/bulk, at most 50 issues, per-item errors (v2: description is wiki markup).
- edit/comment: PUT /rest/api/2/issue/{key}, POST /rest/api/2/issue/{key}/comment.
- link: POST /rest/api/2/issue/{key}/remotelink with a globalId, which updates instead of duplicating.
- users: GET /rest/api/2/user/search?query=, /rest/api/2/user?accountId=,
  /rest/api/2/user/assignable/search?project=&accountId=.
Every call runs inside `jira_errors`, so only `connectors.errors` classes leave this module. Nothing
here sleeps: a rate limit surfaces as `RateLimited(retry_after)` for the caller to schedule.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from jira import JIRA
from jira.exceptions import JIRAError

from config.teams import JiraDestination
from connectors.errors import Invalid, NotFound, RateLimited, TrackerError, Transient
from connectors.jira_body import comment_text, describe
from connectors.jira_connect import connect_jira, is_cloud
from connectors.jira_errors import jira_errors, map_jira_error, reason_from_body
from connectors.jira_fields import (
    SEARCH_FIELDS,
    PriorityMap,
    managed_labels,
    owned_fields,
    pm_label,
    sanitize_label,
    ticket_from_issue,
    user_ref,
)
from connectors.jira_markup import summary
from connectors.jira_rest import JiraRest
from connectors.tracker import (
    MANAGED_LABEL,
    NEEDS_OWNER_LABEL,
    CreateOutcome,
    Ticket,
    TicketDraft,
    TicketFields,
    UserMatch,
)

__all__ = ["JiraTracker", "connect_jira", "is_cloud"]

log = logging.getLogger(__name__)

#: POST /rest/api/2/issue/bulk accepts at most 50 issues per call.
BULK_CREATE_MAX = 50
#: search/jql returns at most 100 issues per page when fields beyond id/key are asked for.
SEARCH_PAGE = 100
#: Keys per `key in (...)` clause, so one JQL string stays well under URL and JQL size limits.
KEYS_PER_QUERY = 100
#: search/jql takes at most 50 issue ids in `reconcileIssues`.
RECONCILE_MAX = 50
#: A single key (the check after a lost answer) is read with GET issue, which, unlike search, is consistent.
MAX_SINGLE_FETCHES = 1
#: Cloud accountIds: "557058:<uuid>", "712020:<uuid>", "qm:<uuid>:<uuid>" or a 24-character id.
_ACCOUNT_ID = re.compile(
    r"^(?:\d{5,6}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|qm:[0-9a-f-]{36}:[0-9a-f-]{36}|[0-9a-z]{24})$"
)
#: Data Center usernames as a mention may carry them (no `]`, `|` or spaces, which would end `[~...]`).
_USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,255}")
_MISSING_KEY = re.compile(r"key '([A-Za-z][A-Za-z0-9_]*-\d+)'")


def jql_string(value: str) -> str:
    """A JQL string literal: double-quoted, with backslash and quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JiraTracker:
    """The `Tracker` for one Jira project (a team's `JiraDestination`)."""

    kind = "jira"

    def __init__(
        self, client: JIRA, destination: JiraDestination, *, chunk_size: int = BULK_CREATE_MAX
    ) -> None:
        if not 1 <= chunk_size <= BULK_CREATE_MAX:
            raise ValueError(f"chunk_size must be between 1 and {BULK_CREATE_MAX}")
        self._chunk_size = chunk_size
        self._rest = JiraRest(client)
        self.destination = destination
        self.priorities = PriorityMap(destination.priority_map)
        self.cloud = self._rest.cloud
        self.server = self._rest.server
        #: Issue ids this client has seen per postmortem (created or found), newest last, so a later
        #: search of that postmortem reconciles them: read-after-write for the tickets we know.
        self._known_ids: dict[str, dict[str, int]] = {}

    # --- reading ---------------------------------------------------------------------------------

    def find_tickets(self, postmortem_key: str) -> list[Ticket]:
        """All tickets of the project carrying the postmortem's `ftpm-` label, in one paged search."""
        label = jql_string(pm_label(postmortem_key))
        jql = f"project = {jql_string(self.destination.project)} AND labels = {label} ORDER BY key ASC"
        # search/jql is eventually consistent; `reconcileIssues` makes it consistent for the ids given
        # (at most 50, and only ids we know: a create whose answer was lost cannot be reconciled).
        known = self._known_ids.setdefault(postmortem_key, {})
        reconcile = list(known.values())[-RECONCILE_MAX:]
        tickets: list[Ticket] = []
        for raw in self._search(jql, reconcile=reconcile):
            self._remember(known, raw)
            tickets.append(self._ticket(raw))
        return tickets

    def fetch_status(self, *, keys: Sequence[str] = (), label: str | None = None) -> list[Ticket]:
        """Current state of the given tickets, or of every ticket with `label` (default: all managed ones)."""
        project = f"project = {jql_string(self.destination.project)}"
        if not keys:
            wanted = jql_string(sanitize_label(label or MANAGED_LABEL))
            jql = f"{project} AND labels = {wanted} ORDER BY key ASC"
            return [self._ticket(raw) for raw in self._search(jql)]
        tickets: list[Ticket] = []
        unique = list(dict.fromkeys(keys))
        if len(unique) <= MAX_SINGLE_FETCHES:
            # A check after a lost answer must not read a lagging search index.
            return [t for t in (self._read_issue(k, label=label) for k in unique) if t is not None]
        for start in range(0, len(unique), KEYS_PER_QUERY):
            tickets.extend(self._fetch_keys(unique[start : start + KEYS_PER_QUERY], label=label))
        return tickets

    def find_users(self, text: str) -> list[UserMatch]:
        """Users whose email or display name equals `text` exactly, or the user whose accountId it is."""
        wanted = text.strip()
        if not wanted:
            return []
        if self.cloud and _ACCOUNT_ID.match(wanted):
            user = self._user_by_account_id(wanted)
            if user is not None:
                return [user]
        # Jira matches prefixes of words: send the NFKC, single-spaced form we compare against.
        query = " ".join(unicodedata.normalize("NFKC", wanted).split())
        params = {"query": query} if self.cloud else {"username": query}
        with jira_errors("user search"):
            found = self._rest.request("GET", "user/search", params={**params, "maxResults": 50}) or []
        exact = [u for u in found if _exact_user(u, wanted, cloud=self.cloud)]
        matches = [_user_match(u, cloud=self.cloud) for u in exact]
        return list({m.id: m for m in matches}.values())

    def is_assignable(self, user_id: str) -> bool:
        """Whether Jira lists this user as assignable in the destination project."""
        id_param = {"accountId": user_id} if self.cloud else {"username": user_id}
        with jira_errors("assignable user search"):
            found = self._rest.request(
                "GET",
                "user/assignable/search",
                params={"project": self.destination.project, **id_param, "maxResults": 50},
            ) or []
        field = "accountId" if self.cloud else "name"
        return any(u.get(field) == user_id for u in found)

    # --- writing ---------------------------------------------------------------------------------

    def create_tickets(self, drafts: Sequence[TicketDraft]) -> list[CreateOutcome]:
        """Bulk-create in chunks of 50; every draft gets an outcome and this never raises TrackerError.

        A draft Jira rejects gets `Invalid` with Jira's reason. When a whole call fails (rate limit,
        5xx, timeout, dropped connection, auth), its drafts and every later one get that error and no
        further call is made: the caller retries with search-then-create, since a dropped response may
        hide issues Jira did create.
        """
        outcomes: list[CreateOutcome] = []
        stop: TrackerError | None = None
        for start in range(0, len(drafts), self._chunk_size):
            chunk = drafts[start : start + self._chunk_size]
            if stop is not None:
                # Never sent: surely not created.
                outcomes.extend(CreateOutcome(draft=d, error=stop) for d in chunk)
                continue
            try:
                outcomes.extend(self._create_chunk(chunk))
            except TrackerError as exc:
                stop = exc
                # A 429 or 4xx is refused before anything is written; a 5xx, timeout or reset may
                # hide a committed bulk create.
                uncertain = exc.retryable and not isinstance(exc, RateLimited)
                outcomes.extend(CreateOutcome(draft=d, error=exc, uncertain=uncertain) for d in chunk)
        self._link_created(outcomes)
        return outcomes

    def update_ticket(self, key: str, fields: TicketFields, *, only: Collection[str]) -> None:
        """Write only the named owned fields; assignee goes by accountId, never by a fuzzy name lookup."""
        document = owned_fields(fields, only, cloud=self.cloud, priorities=self.priorities)
        if not document:
            return
        body: dict[str, Any] = {"fields": document}
        if "assignee" in only:
            # An owner found later clears needs-owner in the same edit (as the GitHub connector does).
            verb = "remove" if fields.assignee else "add"
            body["update"] = {"labels": [{verb: NEEDS_OWNER_LABEL}]}
        with jira_errors(f"update {key}"):
            self._rest.request("PUT", f"issue/{key}", body=body)

    def comment(self, key: str, text: str, *, label: str | None = None, mention: str | None = None) -> None:
        """Add a neutralised comment, led by a mention of `mention` when given; with a label, both go in one
        edit (together or not at all)."""
        body = comment_text(text)
        if mention is not None:
            body = f"{self._mention(mention)} {body}"
        with jira_errors(f"comment on {key}"):
            if label is None:
                self._rest.request("POST", f"issue/{key}/comment", body={"body": body})
                return
            # PUT issue with update.comment + update.labels: one atomic edit, so a retry after a
            # failure never leaves a comment without its marker label (or the reverse).
            self._rest.request(
                "PUT",
                f"issue/{key}",
                body={
                    "update": {
                        "comment": [{"add": {"body": body}}],
                        "labels": [{"add": sanitize_label(label)}],
                    }
                },
            )

    def adopt(self, key: str, labels: Sequence[str], *, comment: str) -> None:
        """Add our labels and one comment to an existing issue in one edit (together or not at all)."""
        with jira_errors(f"adopt {key}"):
            self._rest.request(
                "PUT",
                f"issue/{key}",
                body={
                    "update": {
                        "comment": [{"add": {"body": comment_text(comment)}}],
                        "labels": [{"add": sanitize_label(label)} for label in labels],
                    }
                },
            )

    def _mention(self, user_id: str) -> str:
        # Cloud mentions by accountId (`[~accountid:...]`); Data Center by username (`[~name]`).
        if self.cloud:
            if not _ACCOUNT_ID.match(user_id):
                raise Invalid(f"not a Jira accountId: {user_id[:80]!r}")
            return f"[~accountid:{user_id}]"
        if not _USERNAME.fullmatch(user_id):
            raise Invalid(f"not a Jira username: {user_id[:80]!r}")
        return f"[~{user_id}]"

    def unlabel(self, key: str, label: str, *, comment: str) -> None:
        """Remove the label and add the comment in one edit: together or not at all, so safe to repeat."""
        with jira_errors(f"unlabel {key}"):
            self._rest.request(
                "PUT",
                f"issue/{key}",
                body={
                    "update": {
                        "comment": [{"add": {"body": comment_text(comment)}}],
                        "labels": [{"remove": sanitize_label(label)}],
                    }
                },
            )

    def link_postmortem(self, key: str, *, postmortem_key: str, url: str, title: str | None = None) -> None:
        """Create or update the remote link back to the postmortem; safe to repeat (same globalId)."""
        with jira_errors(f"link {key}"):
            self._rest.request(
                "POST",
                f"issue/{key}/remotelink",
                body={
                    "globalId": _link_global_id(postmortem_key),
                    "relationship": "postmortem",
                    "object": {"url": url, "title": summary(title or "Postmortem")},
                },
            )

    # --- internals -------------------------------------------------------------------------------

    def _create_chunk(self, chunk: Sequence[TicketDraft]) -> list[CreateOutcome]:
        updates = [{"fields": self._create_fields(draft)} for draft in chunk]
        try:
            data = self._rest.request("POST", "issue/bulk", body={"issueUpdates": updates})
        except JIRAError as exc:
            data = _bulk_error_body(exc)
            if data is None:
                raise map_jira_error(exc, action="bulk create") from None
        except Exception as exc:
            raise map_jira_error(exc, action="bulk create") from None
        return self._bulk_outcomes(chunk, data or {})

    def _bulk_outcomes(self, chunk: Sequence[TicketDraft], data: dict[str, Any]) -> list[CreateOutcome]:
        failed: dict[int, str] = {}
        for error in data.get("errors") or ():
            index = error.get("failedElementNumber")
            if isinstance(index, int):
                reason = reason_from_body(error.get("elementErrors")) or "rejected without a reason"
                failed[index] = reason
        created = list(data.get("issues") or ())
        outcomes: list[CreateOutcome] = []
        for index, draft in enumerate(chunk):
            if index in failed:
                error = Invalid(f"Jira rejected the item: {failed[index]}")
                outcomes.append(CreateOutcome(draft=draft, error=error))
            elif created:
                issue = created.pop(0)
                self._remember(self._known_ids.setdefault(draft.postmortem_key, {}), issue)
                ticket = self._created_ticket(draft, issue)
                outcomes.append(CreateOutcome(draft=draft, ticket=ticket))
            else:
                # Jira answered without this item in either list: it may exist, a settled search will tell.
                missing = Transient("Jira's bulk create answer did not mention the item")
                outcomes.append(CreateOutcome(draft=draft, error=missing, uncertain=True))
        return outcomes

    def _create_fields(self, draft: TicketDraft) -> dict[str, Any]:
        # project/issuetype as {"key"}/{"name"}: the library's create_issues would look each up by
        # a GET per issue when given strings.
        fields: dict[str, Any] = {
            "project": {"key": self.destination.project},
            "issuetype": {"name": self.destination.issue_type},
            "summary": summary(draft.fields.title),
            "labels": self._labels(draft),
        }
        priority = self.priorities.jira_name(draft.fields.priority)
        unmapped = draft.fields.priority if draft.fields.priority and priority is None else None
        fields["description"] = describe(draft.body, unmapped_priority=unmapped)
        if priority is not None:
            fields["priority"] = {"name": priority}
        if draft.fields.due is not None:
            fields["duedate"] = draft.fields.due.isoformat()
        if draft.fields.assignee:
            fields["assignee"] = user_ref(draft.fields.assignee, cloud=self.cloud)
        # The team's extra create fields (required custom fields, components); never one of ours.
        for name, value in self.destination.fields.items():
            fields.setdefault(name, value)
        return fields

    def _created_ticket(self, draft: TicketDraft, issue: dict[str, Any]) -> Ticket:
        key = str(issue.get("key", ""))
        priority = self.priorities.jira_name(draft.fields.priority)
        return Ticket(
            key=key,
            url=f"{self.server}/browse/{key}",
            fingerprint=draft.fingerprint,
            fields=TicketFields(
                title=summary(draft.fields.title),
                due=draft.fields.due,
                assignee=draft.fields.assignee or None,
                priority=self.priorities.written(priority),
            ),
            labels=frozenset(self._labels(draft)),
        )

    def _labels(self, draft: TicketDraft) -> list[str]:
        extra = [*self.destination.labels, *draft.labels]
        return managed_labels(draft.postmortem_key, draft.fingerprint, extra)

    def _link_created(self, outcomes: Sequence[CreateOutcome]) -> None:
        for outcome in outcomes:
            url = outcome.draft.body.postmortem_url
            if outcome.ticket is None or not url:
                continue
            try:
                self.link_postmortem(
                    outcome.ticket.key,
                    postmortem_key=outcome.draft.postmortem_key,
                    url=url,
                    title=outcome.draft.body.postmortem_title,
                )
            except RateLimited as exc:
                # The ticket exists and its description already links the postmortem; stop adding
                # links rather than keep hitting the limit. A resync can add them (same globalId).
                log.warning("Jira remote links skipped after a rate limit: %s", exc)
                return
            except TrackerError as exc:
                log.warning("Jira remote link for %s not added: %s", outcome.ticket.key, exc)

    def _read_issue(self, key: str, *, label: str | None) -> Ticket | None:
        try:
            with jira_errors(f"read {key}"):
                raw = self._rest.request("GET", f"issue/{key}", params={"fields": ",".join(SEARCH_FIELDS)})
        except NotFound:
            return None
        if not isinstance(raw, dict):
            return None
        ticket = self._ticket(raw)
        if label and sanitize_label(label) not in ticket.labels:
            return None
        return ticket

    def _fetch_keys(self, keys: list[str], *, label: str | None) -> list[Ticket]:
        remaining = list(keys)
        while remaining:
            clause = "key in (" + ", ".join(jql_string(k) for k in remaining) + ")"
            if label:
                clause += f" AND labels = {jql_string(sanitize_label(label))}"
            try:
                return [self._ticket(raw) for raw in self._search(f"{clause} ORDER BY key ASC")]
            except Invalid as exc:
                # JQL rejects a key that does not exist (deleted ticket, or moved out of reach): drop
                # the keys Jira names and ask again; the caller sees them missing from the result.
                missing = set(_MISSING_KEY.findall(str(exc)))
                kept = [k for k in remaining if k not in missing]
                if not missing or len(kept) == len(remaining):
                    raise
                remaining = kept
        return []

    @staticmethod
    def _remember(known: dict[str, int], issue: dict[str, Any]) -> None:
        key, issue_id = issue.get("key"), issue.get("id")
        if isinstance(key, str) and str(issue_id or "").isdigit():
            known.pop(key, None)
            known[key] = int(str(issue_id))

    def _search(self, jql: str, *, reconcile: Sequence[int] = ()) -> Iterator[dict[str, Any]]:
        if self.cloud:
            yield from self._search_jql(jql, reconcile=reconcile)
        else:
            yield from self._search_startat(jql)

    def _search_jql(self, jql: str, *, reconcile: Sequence[int] = ()) -> Iterator[dict[str, Any]]:
        # developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
        #   #api-rest-api-3-search-jql-post
        token: str | None = None
        seen: set[str] = set()
        while True:
            body: dict[str, Any] = {"jql": jql, "maxResults": SEARCH_PAGE, "fields": list(SEARCH_FIELDS)}
            if reconcile:
                body["reconcileIssues"] = list(reconcile)
            if token:
                body["nextPageToken"] = token
            with jira_errors("search"):
                page = self._rest.request("POST", "search/jql", version="3", body=body) or {}
            yield from page.get("issues") or ()
            token = page.get("nextPageToken")
            if page.get("isLast", not token) or not token or token in seen:
                return
            seen.add(token)

    def _search_startat(self, jql: str) -> Iterator[dict[str, Any]]:
        # Data Center has no search/jql:
        #   docs.atlassian.com/software/jira/docs/api/REST/latest/#api/2/search-searchUsingSearchRequest
        start = 0
        while True:
            body = {"jql": jql, "startAt": start, "maxResults": SEARCH_PAGE, "fields": list(SEARCH_FIELDS)}
            with jira_errors("search"):
                page = self._rest.request("POST", "search", body=body) or {}
            issues = page.get("issues") or []
            yield from issues
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                return

    def _ticket(self, raw: dict[str, Any]) -> Ticket:
        return ticket_from_issue(raw, server=self.server, cloud=self.cloud, priorities=self.priorities)

    def _user_by_account_id(self, account_id: str) -> UserMatch | None:
        try:
            with jira_errors("user lookup"):
                user = self._rest.request("GET", "user", params={"accountId": account_id})
        except NotFound:
            return None
        if not isinstance(user, dict) or not user.get("active", True):
            return None
        return _user_match(user, cloud=True)


def _bulk_error_body(exc: JIRAError) -> dict[str, Any] | None:
    """The per-item error document of a 400 bulk create in which every item failed, if that is what it is."""
    if exc.status_code != 400 or exc.response is None:
        return None
    try:
        data = exc.response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("errors"), list) and data["errors"]:
        return data
    return None


def _link_global_id(postmortem_key: str) -> str:
    # globalId is limited to 255 characters; long keys are hashed so the id stays stable.
    global_id = f"followthrough:postmortem:{postmortem_key}"
    if len(global_id) > 255:
        global_id = "followthrough:postmortem:sha256:" + hashlib.sha256(postmortem_key.encode()).hexdigest()
    return global_id


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _exact_user(user: dict[str, Any], wanted: str, *, cloud: bool) -> bool:
    if not user.get("active", True):
        return False
    email = user.get("emailAddress")
    if isinstance(email, str) and email and email.casefold() == wanted.casefold():
        return True
    name = user.get("displayName")
    if isinstance(name, str) and name and _fold(name) == _fold(wanted):
        return True
    username = user.get("name")
    return not cloud and isinstance(username, str) and username.casefold() == wanted.casefold()


def _user_match(user: dict[str, Any], *, cloud: bool) -> UserMatch:
    user_id = user.get("accountId") if cloud else user.get("name")
    return UserMatch(id=str(user_id), display_name=str(user.get("displayName") or user_id))
