"""The GitHub implementation of `connectors.tracker.Tracker`, on PyGithub, for one repository.

Vendor facts this relies on (docs.github.com "Issues" REST pages, see /work/shared/TRACKER-FACTS.md):
- creating an issue is one POST with no bulk form, and one unassignable assignee fails the whole create
  with 422, so every login is checked with the assignees endpoint first;
- the list-issues endpoint also returns pull requests, and filters by labels (all must match);
- label names are at most 50 characters, bodies at most 65,536;
- a closed issue's `state_reason` is `completed`, `not_planned` or `duplicate`.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, TypeVar

import github
import github.Milestone
from github import GithubException
from github.GithubObject import NotSet
from github.Issue import Issue
from github.Repository import Repository

from config.teams import GitHubDestination
from connectors.errors import Invalid, NotFound, RateLimited, TrackerError
from connectors.github_client import SafeGithubRetry, connect_github
from connectors.github_errors import github_errors
from connectors.github_markup import (
    BODY_BUDGET,
    FINGERPRINT_RE,
    ZWSP,
    BodyParts,
    neutralise_markdown,
    parse_due,
    parse_fingerprint,
    render_body,
    replace_due,
    ticket_title,
)
from connectors.throttle import WriteThrottle
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

__all__ = ["GitHubTracker", "SafeGithubRetry", "connect_github", "github_label"]

T = TypeVar("T")

#: GitHub rejects longer label names with 422.
LABEL_LIMIT = 50
KIND_LABEL_PREFIX = "kind:"
#: The labels every ticket carries whatever the team configures: how Followthrough finds its tickets.
#: The team's `github.standard_labels` (default `postmortem`, `action-item`), `github.labels` and
#: `github.priority_label` add to them.
BASE_LABELS = (MANAGED_LABEL,)
#: Above this many keys, `fetch_status` lists every managed issue (paged) instead of one GET per key.
MAX_SINGLE_FETCHES = 20
# docs.github.com: logins are alphanumeric with single inner hyphens, at most 39 characters.
_LOGIN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_KEY_RE = re.compile(r"(?P<repo>[^\s#]+/[^\s#]+)#(?P<number>\d+)")


def github_label(name: str) -> str:
    """A valid GitHub label for `name`: no commas (they split label filters), at most 50 characters.

    A longer name keeps a readable prefix and ends with a hash of the whole, so it stays unique and stable.
    """
    clean = " ".join(name.replace(",", " ").split())
    if len(clean) <= LABEL_LIMIT:
        return clean
    digest = hashlib.sha256(clean.encode("utf-8")).hexdigest()[:8]
    return f"{clean[: LABEL_LIMIT - 9]}-{digest}"


class GitHubTracker:
    """Tickets as issues in one GitHub repository; every write waits for the injected throttle first."""

    kind = "github"

    def __init__(
        self,
        gh: github.Github,
        destination: GitHubDestination,
        *,
        throttle: WriteThrottle,
        max_wait: float = 30.0,
        rate_limit_retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gh = gh
        self._destination = destination
        self._throttle = throttle
        self._max_wait = max_wait
        self._rate_limit_retries = rate_limit_retries
        self._sleep = sleep
        self._repo_name = destination.repo
        # With connect_github's lazy client this makes no request.
        self._repo: Repository = gh.get_repo(destination.repo)
        self._assignable: dict[str, bool] = {}
        self._can_push: bool | None = None

    # --- Tracker protocol ------------------------------------------------------------------------

    def find_tickets(self, postmortem_key: str) -> list[Ticket]:
        """Every issue (open or closed) with this postmortem's label; pull requests are skipped."""
        return self._list_by_label(github_label(postmortem_label(postmortem_key)))

    def create_tickets(self, drafts: Sequence[TicketDraft]) -> list[CreateOutcome]:
        """One POST per draft; a rejected draft does not stop the rest, a rate limit or auth failure does."""
        stopped: TrackerError | None = None
        try:
            self._labels_kept()  # a read, before any POST: its failure leaves nothing uncertain
        except TrackerError as exc:
            stopped = exc
        return create_one_by_one(drafts, self._create_one, stopped=stopped)

    def update_ticket(self, key: str, fields: TicketFields, *, only: Collection[str]) -> None:
        """Write the named owned fields with one PATCH (after one GET when the body or labels change)."""
        wanted = set(only)
        unknown = wanted - set(OWNED_FIELDS)
        if unknown:
            raise Invalid(f"cannot update {', '.join(sorted(unknown))}: not a field Followthrough owns")
        if not wanted:
            return
        if "assignee" in wanted and fields.assignee and not self.is_assignable(fields.assignee):
            raise Invalid(f"{fields.assignee!r} cannot be assigned issues in {self._repo_name}")
        issue = self._issue(key)
        edits: dict[str, Any] = {}
        if "title" in wanted:
            edits["title"] = ticket_title(fields.title)
        if wanted & {"due", "priority", "assignee"}:
            # The PATCH replaces the whole body and label set, so start from what the issue holds now.
            body, labels = self._call(
                f"read {key}", lambda: (issue.body or "", [lb.name for lb in issue.labels])
            )
            form = self._destination.priority_label
            edits.update(_body_and_label_edits(wanted, fields, body, labels, form))
        if edits:
            self._call(f"update {key}", lambda: issue.edit(**edits), write=True)

    def fetch_status(self, *, keys: Sequence[str] = (), label: str | None = None) -> list[Ticket]:
        """Current state by label (paged, state=all) or by key; tickets that no longer exist are left out."""
        wanted = {self._number(key) for key in keys}
        if label is None and (not keys or len(wanted) > MAX_SINGLE_FETCHES):
            label = MANAGED_LABEL
        if label is not None:
            tickets = self._list_by_label(github_label(label))
            return [t for t in tickets if not wanted or self._number(t.key) in wanted]
        found: list[Ticket] = []
        for number in sorted(wanted):
            try:
                found.append(self._read_ticket(number))
            except NotFound:
                continue
        return found

    def comment(self, key: str, text: str, *, label: str | None = None, mention: str | None = None) -> None:
        """Post one neutralised comment, led by `@mention` when given (the only mention that works), then
        add `label`.

        With a label, the comment carries a hidden marker and is only posted when no earlier comment has
        it: GitHub needs two calls for comment and label, so a retry after a lost answer must not repeat it.
        """
        body = neutralise_markdown(text)
        if mention is not None:
            login = mention.removeprefix("@")
            if not _LOGIN_RE.fullmatch(login):
                raise Invalid(f"not a GitHub login: {mention[:80]!r}")
            body = f"@{login} {body}"
        issue = self._issue(key)
        if label is None:
            unmarked = _fit(body, "")
            self._call(f"comment on {key}", lambda: issue.create_comment(unmarked), write=True)
            return
        self._comment_once(key, issue, body, _marker(github_label(label)))
        self._call(f"label {key}", lambda: issue.add_to_labels(github_label(label)), write=True)

    def adopt(self, key: str, labels: Sequence[str], *, comment: str) -> None:
        """Post one marked comment (never twice), then add our labels; the issue is otherwise untouched."""
        issue = self._issue(key)
        self._comment_once(key, issue, neutralise_markdown(comment), _marker("adopted"))
        names = [github_label(label) for label in labels]
        self._call(f"label {key}", lambda: issue.add_to_labels(*names), write=True)

    def unlabel(self, key: str, label: str, *, comment: str) -> None:
        """Post the comment once (hidden marker), then remove the label; a retry repeats neither."""
        issue = self._issue(key)
        self._comment_once(key, issue, neutralise_markdown(comment), _marker("-" + github_label(label)))
        with contextlib.suppress(NotFound):  # already removed: a retry after a lost answer
            self._call(f"unlabel {key}", lambda: issue.remove_from_labels(github_label(label)), write=True)

    def _comment_once(self, key: str, issue: Issue, body: str, marker: str) -> None:
        # GitHub needs two calls for a comment and a label change, so a retry after a lost answer must
        # not repeat the comment: skip it when the newest marked comment is this one. Comparing with the
        # newest only (not any) lets an item removed, restored and removed again be told each time.
        def newest_marker() -> str | None:
            found = None
            for c in issue.get_comments():
                match = _MARKER_RE.search(c.body or "")
                if match:
                    found = match.group(0)
            return found

        if self._call(f"read comments of {key}", newest_marker) == marker.strip():
            return
        marked = _fit(body, marker)
        self._call(f"comment on {key}", lambda: issue.create_comment(marked), write=True)

    def find_users(self, text: str) -> list[UserMatch]:
        """The GitHub user whose login is exactly `text` (`@login` or a bare login), else nothing."""
        handle = text.strip().removeprefix("@")
        if not _LOGIN_RE.fullmatch(handle):
            return []
        def look_up() -> tuple[str, str | None, str | None]:
            user = self._gh.get_user(handle)
            return user.login, user.name, user.type

        try:
            login, name, kind = self._call(f"look up user {handle}", look_up)
        except NotFound:
            return []
        if kind not in (None, "User"):  # organisations and bots cannot own an action item
            return []
        return [UserMatch(id=login, display_name=name or login)]

    def is_assignable(self, user_id: str) -> bool:
        """Whether GitHub's assignees endpoint confirms this login (204) for the repository; cached."""
        login = user_id.strip().removeprefix("@").lower()
        if not _LOGIN_RE.fullmatch(login):
            return False
        if login not in self._assignable:
            self._assignable[login] = self._call(
                f"check assignee {login}", lambda: self._check_assignee(login)
            )
        return self._assignable[login]

    # --- internals --------------------------------------------------------------------------------

    def _create_one(self, draft: TicketDraft) -> Ticket:
        if not FINGERPRINT_RE.fullmatch(draft.fingerprint):
            raise Invalid(f"fingerprint {draft.fingerprint!r} cannot be written into a GitHub issue")
        if not self._labels_kept():
            # Without push GitHub drops our labels, so the label search cannot find what we made before a
            # store loss: the body marker can. Search it before creating, so a create is never repeated.
            found = self._find_marker(draft.fingerprint)
            if found is not None:
                return found
        wanted = draft.fields.assignee
        assignee = wanted if wanted and self.is_assignable(wanted) else None
        note = None
        if assignee is None:
            note = (
                f"not assigned: GitHub user `{wanted}` cannot be assigned in this repository"
                if wanted and _LOGIN_RE.fullmatch(wanted)
                else "not assigned: no GitHub user could be matched to the owner"
            )
        body = render_body(
            draft.body, BodyParts(fingerprint=draft.fingerprint, due=draft.fields.due, owner_note=note)
        )
        labels = self._labels(draft, needs_owner=assignee is None)
        milestone = self._milestone()
        issue = self._call(
            f"create issue for {draft.fingerprint}",
            lambda: self._repo.create_issue(
                title=ticket_title(draft.fields.title),
                body=body,
                labels=labels,
                assignees=[assignee] if assignee else NotSet,
                milestone=milestone if milestone is not None else NotSet,
            ),
            write=True,
        )
        return self._ticket(issue)

    def _labels_kept(self) -> bool:
        """Whether the token may set labels on create (push permission); read once per tracker."""
        if self._can_push is None:
            granted = self._call(f"read permissions on {self._repo_name}", lambda: self._repo.permissions)
            # No permissions in the answer (an old Enterprise server): trust the labels, as before.
            self._can_push = granted is None or bool(granted.push or granted.admin or granted.maintain)
        return self._can_push

    def _find_marker(self, fingerprint: str) -> Ticket | None:
        """An issue of this repository whose body carries the item's fingerprint marker, if any."""
        query = f'repo:{self._repo_name} is:issue in:body "followthrough:fingerprint={fingerprint}"'

        def search() -> Ticket | None:
            for issue in self._gh.search_issues(query):
                if parse_fingerprint(issue.body) == fingerprint:
                    return self._ticket(issue)
            return None

        return self._call(f"search the marker of {fingerprint}", search)

    def _labels(self, draft: TicketDraft, *, needs_owner: bool) -> list[str]:
        names: list[str] = [
            *BASE_LABELS,
            *self._destination.standard_labels,
            postmortem_label(draft.postmortem_key),
            fingerprint_label(draft.fingerprint),
        ]
        if draft.fields.priority:
            names.append(priority_label(self._destination.priority_label, draft.fields.priority))
        if draft.body.kind:
            names.append(KIND_LABEL_PREFIX + draft.body.kind)
        names.extend(self._destination.labels)
        names.extend(draft.labels)
        if needs_owner:
            names.append(NEEDS_OWNER_LABEL)
        return _unique(github_label(name) for name in names if name.strip())

    def _milestone(self) -> github.Milestone.Milestone | None:
        number = self._destination.milestone
        if number is None:
            return None
        # Built from its number alone: create_issue only sends the number, so no GET is needed.
        return github.Milestone.Milestone(
            self._gh.requester, {}, {"number": number, "url": f"/repos/{self._repo_name}/milestones/{number}"}
        )

    def _check_assignee(self, login: str) -> bool:
        # Repository.has_in_assignees reads any non-204 as "no", so a 500 or a rate limit would silently
        # create an unassigned ticket; ask the endpoint ourselves and let real failures raise.
        path = f"/repos/{self._repo_name}/assignees/{urllib.parse.quote(login, safe='')}"
        try:
            self._gh.requester.requestJsonAndCheck("GET", path)
        except GithubException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _list_by_label(self, label: str) -> list[Ticket]:
        def read_all() -> list[Ticket]:
            issues = self._repo.get_issues(labels=[label], state="all")
            return [self._ticket(issue) for issue in issues if not _is_pull_request(issue)]

        return self._call(f"list issues labelled {label}", read_all)

    def _ticket(self, issue: Issue) -> Ticket:
        labels = frozenset(lb.name for lb in issue.labels)
        body = issue.body
        status, status_name = issue_status(issue.state, issue.state_reason)
        return Ticket(
            key=self._key(issue.number),
            url=issue.html_url,
            fingerprint=parse_fingerprint(body) or _fingerprint_from_labels(labels),
            fields=TicketFields(
                # Read back without the zero-width spaces we inserted, so an unchanged title compares equal.
                title=issue.title.replace(ZWSP, ""),
                due=parse_due(body),
                assignee=issue.assignees[0].login if issue.assignees else None,
                priority=label_priority(labels, self._destination.priority_label),
            ),
            status=status,
            status_name=status_name,
            labels=labels,
            updated=issue.updated_at,
        )

    def _read_ticket(self, number: int) -> Ticket:
        issue = self._repo.get_issue(number)
        return self._call(f"read {self._key(number)}", lambda: self._ticket(issue))

    def _issue(self, key: str) -> Issue:
        return self._repo.get_issue(self._number(key))

    def _number(self, key: str) -> int:
        match = _KEY_RE.fullmatch(key.strip())
        if match is None or match["repo"].lower() != self._repo_name.lower():
            raise Invalid(f"{key!r} is not an issue key of {self._repo_name} (expected {self._repo_name}#N)")
        return int(match["number"])

    def _key(self, number: int) -> str:
        return f"{self._repo_name}#{number}"

    def _call(self, action: str, fn: Callable[[], T], *, write: bool = False) -> T:
        """Run one API call with errors mapped; sleep out a short rate limit, surface a long one."""
        attempt = 0
        while True:
            if write:
                self._throttle.acquire()
            try:
                with github_errors(action):
                    return fn()
            except RateLimited as exc:
                # A rate-limited request was not carried out, so repeating even a write is safe.
                attempt += 1
                if exc.retry_after > self._max_wait or attempt > self._rate_limit_retries:
                    raise
                self._sleep(exc.retry_after)


_MARKER_RE = re.compile(r"<!-- followthrough:comment=[^ ]+ -->")


def _marker(name: str) -> str:
    return f"\n\n<!-- followthrough:comment={name} -->"


def _fit(body: str, marker: str) -> str:
    if len(body) + len(marker) > BODY_BUDGET:
        body = body[: BODY_BUDGET - len(marker) - 1] + "…"
    return body + marker


def _body_and_label_edits(wanted: set[str], fields: TicketFields, body: str,
                          labels: list[str], form: str) -> dict[str, Any]:
    """The body, assignee and label edits for the wanted due date, priority and assignee."""
    edits: dict[str, Any] = {}
    new_labels = list(labels)
    if "due" in wanted:
        edits["body"] = replace_due(body, fields.due)
    if "priority" in wanted:
        new_labels = [lb for lb in new_labels if label_priority([lb], form) is None]
        if fields.priority:
            new_labels.append(github_label(priority_label(form, fields.priority)))
    if "assignee" in wanted:
        edits["assignees"] = [fields.assignee] if fields.assignee else []
        new_labels = [lb for lb in new_labels if lb.lower() != NEEDS_OWNER_LABEL]
        if not fields.assignee:
            new_labels.append(NEEDS_OWNER_LABEL)
    if new_labels != labels:
        edits["labels"] = new_labels
    return edits


def _is_pull_request(issue: Issue) -> bool:
    # Listed issues carry a `pull_request` key only when they are pull requests, and PyGithub answers a
    # missing attribute with one GET per issue; the html_url (`.../pull/N` vs `.../issues/N`) costs nothing.
    return "/pull/" in issue.html_url


def issue_status(state: object, reason: object) -> tuple[TicketStatus, str]:
    """Our status and the tracker's status name for an issue's `state` and `state_reason`.

    Shared with the webhook parser (connectors.github_events), whose payload fields may be of any type.
    """
    if state != "closed":
        return TicketStatus.OPEN, str(state or "open")
    if reason in ("not_planned", "duplicate"):
        return TicketStatus.DROPPED, f"closed ({reason})"
    return TicketStatus.DONE, f"closed ({reason or 'completed'})"


def _fingerprint_from_labels(labels: Iterable[str]) -> str | None:
    # Only an unshortened label holds the whole fingerprint; the body marker is the primary source.
    for name in sorted(labels):
        if name.startswith(FINGERPRINT_LABEL_PREFIX) and name != REMOVED_LABEL:
            value = name.removeprefix(FINGERPRINT_LABEL_PREFIX)
            if len(name) < LABEL_LIMIT and FINGERPRINT_RE.fullmatch(value):
                return value
    return None


def priority_label(form: str, priority: str) -> str:
    """The team's priority label for `priority` (`form` holds `{priority}` once)."""
    return form.replace("{priority}", priority)


def label_priority(labels: Iterable[str], form: str) -> str | None:
    """The priority a label of the team's form carries (GitHub labels are case-blind), else None."""
    head, _, tail = form.lower().partition("{priority}")
    values = sorted(name[len(head) : len(name) - len(tail)] for name in labels
                    if len(name) > len(head) + len(tail) and name.lower().startswith(head)
                    and name.lower().endswith(tail))
    return values[0] if values else None


def _unique(names: Iterable[str]) -> list[str]:
    # GitHub label names are case-insensitive; keep the first spelling.
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out
