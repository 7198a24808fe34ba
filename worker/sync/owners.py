"""Owner resolution: turn "owner as written" into a tracker user id, or say plainly why not.

Order: (1) the owner directory, by exact name and then by alias (name variants, emails, @handles,
Jira accountIds); (2) a tracker lookup that must find exactly one assignable user; (3) otherwise the
ticket is created unassigned with the `needs-owner` label. Ambiguity is never guessed.

Matching is case-insensitive after NFKC normalisation, with every apostrophe form (’ ‘ ʼ `) read as
"'" and runs of spaces collapsed. Accents count: "José Núñez" matches "jose núñez" but "Jose Nunez"
only through an accent-folded second pass, and only when that pass finds exactly one person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from config.teams import Person, Team
from connectors.errors import TrackerError
from connectors.tracker import UserMatch

TrackerKind = Literal["jira", "github", "gitlab"]
#: The directory field that holds a person's user id on each tracker.
_ID_FIELD = {"jira": "jira_account_id", "github": "github_login", "gitlab": "gitlab_username"}
_TRACKER_NAMES = {"jira": "Jira", "github": "GitHub", "gitlab": "GitLab"}
#: Trackers whose users are looked up by @handle only (never by name or email).
_HANDLE_TRACKERS = frozenset({"github", "gitlab"})

#: How long a tracker user lookup is trusted before it is asked again.
LOOKUP_TTL = timedelta(days=1)

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "′": "'", "＇": "'"})
# Letters that NFKD does not split into base + accent.
_FOLD_EXTRA = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"^@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))$")
_GITLAB_HANDLE = re.compile(r"^@([A-Za-z0-9_][A-Za-z0-9_.-]{0,254})$")
_ACCOUNT_ID = re.compile(
    r"^(?:accountid:)?([0-9a-f]{24}|\d{6}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\+|\band\b|\by\b|\bund\b|\bet\b|\be\b)\s*", re.IGNORECASE)


def normalise(text: str) -> str:
    """Case-insensitive comparison key: NFKC, one apostrophe form, casefold, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    return " ".join(text.split())


def fold_accents(key: str) -> str:
    """A normalised key with accents removed ("núñez" -> "nunez"), for the second matching pass."""
    decomposed = unicodedata.normalize("NFKD", key.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def account_id_in(text: str) -> str | None:
    """The Jira accountId the text is (bare, or `accountid:...` as left by `[~accountid:...]`)."""
    match = _ACCOUNT_ID.match(text.strip())
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class OwnerResolution:
    """Who gets the ticket, how we know, and (when nobody) why."""

    assignee: str | None  # Jira accountId or GitHub login
    #: directory | alias | account-id | tracker | fallback:<source>:<how> | needs-owner | deferred
    how: str
    owner_as_written: str | None
    reason: str = ""
    person: str | None = None  # directory name, when the directory matched

    @property
    def needs_owner(self) -> bool:
        return self.how == "needs-owner"

    @property
    def deferred(self) -> bool:
        """A tracker lookup failed transiently: the item waits for a retry rather than go unassigned."""
        return self.how == "deferred"


class _Deferred(Exception):
    """A tracker lookup failed in a way worth retrying: decide about this owner next time."""

    def __init__(self, error: TrackerError) -> None:
        super().__init__(str(error))
        self.error = error


class LookupCache(Protocol):
    """Where tracker lookups are remembered between syncs (the store implements this)."""

    def get(self, query: str) -> tuple[str | None, str] | None: ...

    def put(self, query: str, user_id: str | None, outcome: str) -> None: ...


class UserLookup(Protocol):
    """The two user questions owner resolution asks a tracker; every connector's Tracker answers them."""

    def find_users(self, text: str) -> list[UserMatch]: ...

    def is_assignable(self, user_id: str) -> bool: ...


class Directory:
    """The configured people, indexed by normalised name and by alias."""

    def __init__(self, people: Sequence[Person]) -> None:
        self.people = tuple(people)
        self._names: dict[str, set[int]] = {}
        self._aliases: dict[str, set[int]] = {}
        self._folded: dict[str, set[int]] = {}
        for index, person in enumerate(self.people):
            self._add(self._names, person.name, index)
            for alias in _aliases_of(person):
                self._add(self._aliases, alias, index)
            for text in (person.name, *person.aliases):
                self._folded.setdefault(fold_accents(normalise(text)), set()).add(index)

    @staticmethod
    def _add(index: dict[str, set[int]], text: str, person: int) -> None:
        index.setdefault(normalise(text), set()).add(person)

    def match(self, text: str) -> tuple[list[Person], str]:
        """People the text names and how: ([one], "directory"|"alias"), ([], ...) or ([two+], "ambiguous")."""
        key = normalise(text)
        for table, how in ((self._names, "directory"), (self._aliases, "alias")):
            found = table.get(key, set())
            if found:
                return [self.people[i] for i in sorted(found)], how
        folded = self._folded.get(fold_accents(key), set())
        if folded:
            return [self.people[i] for i in sorted(folded)], "alias"
        return [], "unknown"


def _aliases_of(person: Person) -> Iterable[str]:
    yield from person.aliases
    if person.email:
        yield person.email
    if person.github_login:
        yield person.github_login
        yield f"@{person.github_login}"
    if person.jira_account_id:
        yield person.jira_account_id
        yield f"accountid:{person.jira_account_id}"


class OwnerResolver:
    """Resolves owner texts for one destination; results are memoised for the resolver's lifetime."""

    def __init__(
        self,
        directory: Directory,
        *,
        kind: TrackerKind,
        tracker: UserLookup | None = None,
        cache: LookupCache | None = None,
    ) -> None:
        self._directory = directory
        self._kind = kind
        self._tracker = tracker
        self._cache = cache
        self._memo: dict[str, OwnerResolution] = {}
        self.tracker_calls = 0
        #: The first retryable error of a lookup (items whose owner was deferred wait for a retry).
        self.deferred_error: TrackerError | None = None

    def resolve_item(self, owner: str | None, *, postmortem_owner: str | None, team: Team) -> OwnerResolution:
        """An item's owner, or when it names none the team's fallbacks in order (never a guess)."""
        if owner and owner.strip():
            return self.resolve(owner)
        sources = {"postmortem_owner": postmortem_owner, "triage_owner": team.triage_owner}
        tried: list[str] = []
        for source in team.owner_fallback:
            text = sources[source]
            if not text or not text.strip():
                continue
            found = self.resolve(text)
            if found.deferred:
                return found
            if found.assignee is not None:
                return OwnerResolution(
                    assignee=found.assignee,
                    how=f"fallback:{source}:{found.how}",
                    owner_as_written=None,
                    reason=f"no owner named; {source.replace('_', ' ')} {text}",
                    person=found.person,
                )
            tried.append(f"{source.replace('_', ' ')} {text}: {found.reason}")
        reason = "no owner named" + (f"; {'; '.join(tried)}" if tried else " and no fallback configured")
        return OwnerResolution(assignee=None, how="needs-owner", owner_as_written=None, reason=reason)

    def resolve(self, text: str) -> OwnerResolution:
        """Resolve one owner as written."""
        text = " ".join(text.split())
        if text not in self._memo:
            try:
                self._memo[text] = self._resolve(text)
            except _Deferred as exc:
                self.deferred_error = self.deferred_error or exc.error
                reason = f"user lookup failed ({type(exc.error).__name__}); will retry"
                self._memo[text] = OwnerResolution(None, "deferred", text, reason)
        return self._memo[text]

    def _resolve(self, text: str) -> OwnerResolution:
        people, how = self._directory.match(text)
        if not people:
            # "Jane Doe <jane@example.com>" or "Jane Doe (SRE)": try the parts a person is named by.
            # Every part must agree: a name and an email of two different people is ambiguous.
            named: dict[int, Person] = {}
            for part in _variants(text):
                found, found_how = self._directory.match(part)
                if found and not named:
                    how = found_how
                named.update((id(p), p) for p in found)
            people = list(named.values())
        if len(people) > 1:
            names = ", ".join(p.name for p in people)
            return self._needs_owner(text, f"ambiguous: {text!r} matches {names}")
        if people:
            return self._from_person(text, people[0], how)
        several = self._several_owners(text)
        if several is not None:
            return several
        return self._from_tracker(text)

    def _several_owners(self, text: str) -> OwnerResolution | None:
        parts = [p for p in _SEPARATORS.split(text) if p.strip()]
        if len(parts) < 2:
            return None
        found = {people[0].name for part in parts for people, _ in [self._directory.match(part)] if people}
        if len(found) >= 2:
            return self._needs_owner(text, f"several owners named: {', '.join(sorted(found))}")
        return None

    def _from_person(self, text: str, person: Person, how: str) -> OwnerResolution:
        user_id: str | None = getattr(person, _ID_FIELD[self._kind])
        if user_id is None:
            if self._kind == "jira" and person.email and self._tracker is not None:
                found = self._lookup(person.email)
                if found.assignee is not None:
                    return OwnerResolution(found.assignee, how, text, f"{person.name} by email", person.name)
            field = _ID_FIELD[self._kind]
            return self._needs_owner(text, f"{person.name} has no {field} in the directory", person.name)
        if self._tracker is None:
            return OwnerResolution(user_id, how, text, "not verified: no tracker configured", person.name)
        if not self._assignable(user_id):
            # A stale directory entry must not fail the create: the ticket goes out unassigned.
            where = "repository" if self._kind == "github" else "project"  # Jira and GitLab: projects
            return self._needs_owner(text, f"{user_id} cannot be assigned in this {where}", person.name)
        return OwnerResolution(user_id, how, text, "", person.name)

    def _from_tracker(self, text: str) -> OwnerResolution:
        account_id = account_id_in(text)
        if account_id is not None:
            if self._kind != "jira":
                where = _TRACKER_NAMES[self._kind]
                return self._needs_owner(text, f"a Jira accountId cannot be assigned on {where}")
            if self._tracker is None:
                return OwnerResolution(account_id, "account-id", text, "not verified: no tracker configured")
            if self._assignable(account_id):
                return OwnerResolution(account_id, "account-id", text)
            return self._needs_owner(text, f"accountId {account_id} is unknown or not assignable")
        if self._tracker is None:
            return self._needs_owner(text, "unknown: not in the directory (no tracker to look up)")
        handle_re = _GITLAB_HANDLE if self._kind == "gitlab" else _HANDLE
        if self._kind in _HANDLE_TRACKERS and not handle_re.match(text):
            return self._needs_owner(text, "unknown: not in the directory and not a @handle")
        found = self._lookup(text)
        if found.assignee is None:
            return self._needs_owner(text, found.reason)
        return OwnerResolution(found.assignee, "tracker", text, found.reason)

    def _lookup(self, text: str) -> OwnerResolution:
        """Tracker user search that must find exactly one assignable user (cached between syncs)."""
        query = f"users:{normalise(text)}"
        cached = self._cache.get(query) if self._cache else None
        if cached is not None:
            return OwnerResolution(cached[0], "tracker", text, cached[1])
        assert self._tracker is not None
        try:
            self.tracker_calls += 1
            handle = self._kind in _HANDLE_TRACKERS
            matches = self._tracker.find_users(text.removeprefix("@") if handle else text)
        except TrackerError as exc:  # not cached: try again next sync
            if exc.retryable:
                raise _Deferred(exc) from None
            return OwnerResolution(None, "tracker", text, f"user lookup failed ({type(exc).__name__})")
        unique = {m.id: m for m in matches}
        if len(unique) > 1:
            result = OwnerResolution(
                None, "tracker", text, f"ambiguous: {len(unique)} users match in the tracker"
            )
        elif not unique:
            result = OwnerResolution(None, "tracker", text, "unknown: no user found in the tracker")
        else:
            match = next(iter(unique.values()))
            if self._assignable(match.id):
                result = OwnerResolution(match.id, "tracker", text, f"tracker user {match.display_name}")
            else:
                result = OwnerResolution(
                    None, "tracker", text, f"{match.display_name} cannot be assigned here"
                )
        if self._cache is not None:
            self._cache.put(query, result.assignee, result.reason)
        return result

    def _assignable(self, user_id: str) -> bool:
        query = f"assignable:{user_id}"
        cached = self._cache.get(query) if self._cache else None
        if cached is not None:
            return cached[0] is not None
        assert self._tracker is not None
        try:
            self.tracker_calls += 1
            ok = self._tracker.is_assignable(user_id)
        except TrackerError as exc:
            if exc.retryable:
                raise _Deferred(exc) from None
            return False
        if self._cache is not None:
            self._cache.put(query, user_id if ok else None, "assignable" if ok else "not assignable")
        return ok

    @staticmethod
    def _needs_owner(text: str, reason: str, person: str | None = None) -> OwnerResolution:
        return OwnerResolution(None, "needs-owner", text, reason, person)


def _variants(text: str) -> list[str]:
    variants = _EMAIL.findall(text)
    bare = re.sub(r"\s*[(<\[].*?[)>\]]\s*", " ", text).strip()
    if bare and bare != text:
        variants.append(bare)
    return variants
