"""Tickets as issues in one GitLab project (python-gitlab), behind the `Tracker` protocol.

Keys are GitLab's full references, `group/project#12`. Every ticket carries the managed label, the
postmortem's `ftpm-` label and the item's `ft-` label (GitLab label names may be 255 characters, so the
fingerprint label is always whole), and the fingerprint marker in its description. The due date and the
assignee are GitLab's own fields; the priority is the plan's `priority-` label.

Creates are never repeated by the client (connectors.gitlab_client turns python-gitlab's transient retries
off): a create whose answer was lost is reported `uncertain`, and worker/sync settles and searches by label
before creating again, as for Jira and GitHub. A 429 was not carried out, so it is not uncertain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

from config.settings import Settings
from config.teams import GitLabDestination
from connectors.errors import Invalid, NotFound, Transient
from connectors.github_markup import ZWSP, BodyParts, parse_fingerprint
from connectors.gitlab_client import Connection
from connectors.gitlab_markup import gitlab_body, gitlab_title, neutralise_note
from connectors.payload import iso_time
from connectors.tracker import (
    FINGERPRINT_LABEL_PREFIX,
    MANAGED_LABEL,
    NEEDS_OWNER_LABEL,
    OWNED_FIELDS,
    REMOVED_LABEL,
    CreateOutcome,
    Ticket,
    TicketDraft,
    TicketFields,
    TicketStatus,
    UserMatch,
    create_one_by_one,
    fingerprint_label,
    postmortem_label,
)

T = TypeVar("T")
BASE_LABELS = (MANAGED_LABEL, "postmortem", "action-item")
PRIORITY_PREFIX = "priority-"
# docs.gitlab.com: usernames are letters, digits, `_`, `-` and `.`, at most 255 characters.
_USERNAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")
_KEY_RE = re.compile(r"(?P<project>[^\s#]+(?:/[^\s#]+)+)#(?P<iid>\d+)")
MAX_SINGLE_FETCHES = 20


def connect_gitlab(settings: Settings, *, timeout: float) -> Connection:
    """A python-gitlab connection with no hidden retries (creates are settled by worker/sync)."""
    return Connection(settings, timeout=timeout)


def _clean_label(name: str) -> str:
    # Commas split GitLab's label lists; everything else is allowed.
    return " ".join(name.replace(",", " ").split())[:255]


def _priority_label(value: str) -> str:
    cleaned = "-".join("".join(ch if ch.isalnum() else " " for ch in value.casefold()).split())
    return f"{PRIORITY_PREFIX}{cleaned}" if cleaned else ""




def _due(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class GitLabTracker:
    """Tickets as issues in one GitLab project."""

    kind = "gitlab"

    def __init__(self, connection: Connection, destination: GitLabDestination) -> None:
        self._connection = connection
        self._project = destination.project
        self._destination = destination
        self._base = f"/projects/{quote(destination.project, safe='')}"
        self._user_ids: dict[str, int | None] = {}
        self._assignable: dict[str, bool] = {}

    # --- calls -----------------------------------------------------------------------------------
    def _call(self, what: str, func: Callable[[Any], T]) -> T:
        with self._connection.mapped(what):
            return func(self._connection.gl)

    def _list(self, what: str, path: str, **query: Any) -> list[Any]:
        return self._call(what, lambda gl: list(gl.http_list(path, query_data=query, iterator=True)))

    # --- Tracker protocol --------------------------------------------------------------------------
    def find_tickets(self, postmortem_key: str) -> list[Ticket]:
        """Every issue (open or closed) with this postmortem's label."""
        return self._by_label(postmortem_label(postmortem_key))

    def create_tickets(self, drafts: Sequence[TicketDraft]) -> list[CreateOutcome]:
        """One POST per draft; a rejected draft does not stop the rest, a rate limit or auth failure does."""
        return create_one_by_one(drafts, self._create_one)

    def update_ticket(self, key: str, fields: TicketFields, *, only: Collection[str]) -> None:
        """Write the named owned fields with one PUT (after one GET when labels change)."""
        wanted = set(only)
        unknown = wanted - set(OWNED_FIELDS)
        if unknown:
            raise Invalid(f"cannot update {', '.join(sorted(unknown))}: not a field Followthrough owns")
        if not wanted:
            return
        edits: dict[str, Any] = {}
        if "title" in wanted:
            edits["title"] = gitlab_title(fields.title)
        if "due" in wanted:
            edits["due_date"] = fields.due.isoformat() if fields.due else None
        add: list[str] = []
        remove: list[str] = []
        if "assignee" in wanted:
            edits["assignee_ids"] = [self._assignee_id(fields.assignee)] if fields.assignee else []
            (remove if fields.assignee else add).append(NEEDS_OWNER_LABEL)
        if "priority" in wanted:
            current = self._get(key)
            remove += [lb for lb in current.get("labels", []) if str(lb).startswith(PRIORITY_PREFIX)]
            if fields.priority and _priority_label(fields.priority):
                add.append(_priority_label(fields.priority))
                remove = [lb for lb in remove if lb != add[-1]]
        if add:
            edits["add_labels"] = ",".join(add)
        if remove:
            edits["remove_labels"] = ",".join(remove)
        self._call(f"update {key}", lambda gl: gl.http_put(f"{self._base}/issues/{self._iid(key)}",
                                                           post_data=edits))

    def fetch_status(self, *, keys: Sequence[str] = (), label: str | None = None) -> list[Ticket]:
        """Current state by label (paged, state=all) or by key; tickets that no longer exist are left out."""
        wanted = {self._iid(key) for key in keys}
        if label is None and (not keys or len(wanted) > MAX_SINGLE_FETCHES):
            label = MANAGED_LABEL
        if label is not None:
            tickets = self._by_label(label)
            return [t for t in tickets if not wanted or self._iid(t.key) in wanted]
        return [self._ticket(issue) for issue in self._list(
            "read issues", f"{self._base}/issues", **{"iids[]": sorted(wanted), "state": "all"})]

    def comment(self, key: str, text: str, *, label: str | None = None, mention: str | None = None) -> None:
        """One neutralised note, led by `@mention` when given; with `label`, posted once (then labelled)."""
        body = neutralise_note(text)
        if mention is not None:
            username = mention.removeprefix("@")
            if not _USERNAME_RE.fullmatch(username):
                raise Invalid(f"not a GitLab username: {mention[:80]!r}")
            body = f"@{username} {body}"
        iid = self._iid(key)
        notes = f"{self._base}/issues/{iid}/notes"
        if label is None:
            self._call(f"comment on {key}", lambda gl: gl.http_post(notes, post_data={"body": body}))
            return
        if label in self._get(key).get("labels", []):
            return  # labelled: note and label went out before a lost answer
        marker = f"\n\n<!-- followthrough:comment={_clean_label(label)} -->"
        # Note and label are two calls: a retry after a lost answer must not post the note twice.
        posted = any(marker.strip() in str(n.get("body", "")) for n in self._list(f"notes of {key}", notes))
        if not posted:
            self._call(f"comment on {key}", lambda gl: gl.http_post(notes, post_data={"body": body + marker}))
        self._call(f"label {key}", lambda gl: gl.http_put(f"{self._base}/issues/{iid}",
                                                          post_data={"add_labels": _clean_label(label)}))

    def unlabel(self, key: str, label: str, *, comment: str) -> None:
        """Remove a marker label with one note; nothing when the label is already gone."""
        iid = self._iid(key)
        if label not in self._get(key).get("labels", []):
            return
        self._call(f"unlabel {key}", lambda gl: gl.http_put(f"{self._base}/issues/{iid}",
                                                            post_data={"remove_labels": _clean_label(label)}))
        note = neutralise_note(comment)
        self._call(f"comment on {key}",
                   lambda gl: gl.http_post(f"{self._base}/issues/{iid}/notes", post_data={"body": note}))

    def adopt(self, key: str, labels: Sequence[str], *, comment: str) -> None:
        """One marked note (never twice), then our labels; the issue is otherwise left as people keep it."""
        iid = self._iid(key)
        notes = f"{self._base}/issues/{iid}/notes"
        marker = "\n\n<!-- followthrough:comment=adopted -->"
        posted = any(marker.strip() in str(n.get("body", "")) for n in self._list(f"notes of {key}", notes))
        if not posted:
            body = neutralise_note(comment) + marker
            self._call(f"comment on {key}", lambda gl: gl.http_post(notes, post_data={"body": body}))
        names = ",".join(_clean_label(label) for label in labels)
        self._call(f"label {key}", lambda gl: gl.http_put(f"{self._base}/issues/{iid}",
                                                          post_data={"add_labels": names}))

    def find_users(self, text: str) -> list[UserMatch]:
        """Users whose username is exactly `text` (an @handle), or whose name or email is exactly it."""
        value = text.strip().removeprefix("@")
        if not value:
            return []
        if _USERNAME_RE.fullmatch(value):
            found = self._list(f"user {value}", "/users", username=value)
        else:
            found = [u for u in self._list("user search", "/users", search=value)
                     if str(u.get("name", "")).casefold() == value.casefold()
                     or str(u.get("public_email") or u.get("email") or "").casefold() == value.casefold()]
        for user in found:
            self._user_ids[str(user["username"])] = int(user["id"])
        return [UserMatch(id=str(u["username"]), display_name=str(u.get("name") or u["username"]))
                for u in found if u.get("state", "active") == "active"]

    def is_assignable(self, user_id: str) -> bool:
        """Whether the user (a username) is a member of the project (direct or inherited)."""
        if user_id not in self._assignable:
            numeric = self._user_id(user_id)
            if numeric is None:
                self._assignable[user_id] = False
            else:
                try:
                    self._call(f"member {user_id}",
                               lambda gl: gl.http_get(f"{self._base}/members/all/{numeric}"))
                    self._assignable[user_id] = True
                except NotFound:
                    self._assignable[user_id] = False
        return self._assignable[user_id]

    # --- helpers -----------------------------------------------------------------------------------
    def _create_one(self, draft: TicketDraft) -> Ticket:
        assignee = draft.fields.assignee
        if assignee and not self.is_assignable(assignee):
            assignee = None
        needs_owner = assignee is None
        unassignable = draft.fields.assignee if draft.fields.assignee and not assignee else None
        note = f"{unassignable} cannot be assigned" if unassignable else None
        body = gitlab_body(draft.body, BodyParts(draft.fingerprint, draft.fields.due, note))
        data: dict[str, Any] = {"title": gitlab_title(draft.fields.title), "description": body,
                                "labels": ",".join(self._labels(draft, needs_owner=needs_owner))}
        if draft.fields.due:
            data["due_date"] = draft.fields.due.isoformat()
        if assignee:
            data["assignee_ids"] = [self._assignee_id(assignee)]
        issue = self._call(f"create issue in {self._project}",
                           lambda gl: gl.http_post(f"{self._base}/issues", post_data=data))
        return self._ticket(issue)

    def _labels(self, draft: TicketDraft, *, needs_owner: bool) -> list[str]:
        names = [*BASE_LABELS, postmortem_label(draft.postmortem_key), fingerprint_label(draft.fingerprint)]
        if draft.fields.priority:
            names.append(_priority_label(draft.fields.priority))
        names += [*self._destination.labels, *draft.labels]
        if needs_owner:
            names.append(NEEDS_OWNER_LABEL)
        return list(dict.fromkeys(_clean_label(n) for n in names if n.strip()))

    def _user_id(self, username: str) -> int | None:
        if username not in self._user_ids:
            found = self._list(f"user {username}", "/users", username=username)
            self._user_ids[username] = int(found[0]["id"]) if found else None
        return self._user_ids[username]

    def _assignee_id(self, username: str) -> int:
        numeric = self._user_id(username)
        if numeric is None:
            raise Invalid(f"{username!r} is not a GitLab user")
        return numeric

    def _by_label(self, label: str) -> list[Ticket]:
        issues = self._list(f"list issues labelled {label}", f"{self._base}/issues",
                            labels=_clean_label(label), state="all")
        return [self._ticket(issue) for issue in issues]

    def _get(self, key: str) -> dict[str, Any]:
        reply = self._call(f"read {key}", lambda gl: gl.http_get(f"{self._base}/issues/{self._iid(key)}"))
        if not isinstance(reply, dict):
            raise Transient(f"read {key}: not a JSON object")
        return reply

    def _ticket(self, issue: Any) -> Ticket:
        labels = frozenset(str(lb) for lb in issue.get("labels", []))
        closed = issue.get("state") == "closed"
        assignees = issue.get("assignees") or []
        return Ticket(
            key=f"{self._project}#{issue['iid']}",
            url=str(issue.get("web_url") or ""),
            fingerprint=parse_fingerprint(issue.get("description")) or _fingerprint_from(labels),
            fields=TicketFields(title=str(issue.get("title") or "").replace(ZWSP, ""),
                                due=_due(issue.get("due_date")),
                                assignee=str(assignees[0]["username"]) if assignees else None,
                                priority=_prefixed(labels, PRIORITY_PREFIX)),
            status=TicketStatus.DONE if closed else TicketStatus.OPEN,
            status_name=str(issue.get("state") or "opened"),
            labels=labels,
            updated=iso_time(issue.get("updated_at")),
        )

    def _iid(self, key: str) -> int:
        match = _KEY_RE.fullmatch(key.strip())
        if match is None or match["project"].lower() != self._project.lower():
            raise Invalid(f"{key!r} is not an issue of {self._project} (expected {self._project}#N)")
        return int(match["iid"])


def _fingerprint_from(labels: Iterable[str]) -> str | None:
    for name in sorted(labels):
        if name.startswith(FINGERPRINT_LABEL_PREFIX) and name != REMOVED_LABEL:
            return name.removeprefix(FINGERPRINT_LABEL_PREFIX)
    return None


def _prefixed(labels: Iterable[str], prefix: str) -> str | None:
    values = sorted(name[len(prefix):] for name in labels if name.startswith(prefix))
    return values[0] if values else None
