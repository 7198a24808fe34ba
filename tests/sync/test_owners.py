"""Owner resolution tables: directory, aliases, emails, handles, accents, apostrophes, accountIds."""

from __future__ import annotations

import unicodedata

import pytest

from config.teams import JiraDestination, Person, Team
from connectors.tracker import UserMatch
from worker.sync.owners import Directory, OwnerResolver, fold_accents, normalise

ACC_JOSE = "5b10ac8d82e05b22cc7d4ef5"
ACC_SIO = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
ACC_OTHER = "712020:0e2a4b1c-1111-2222-3333-444455556666"

PEOPLE = (
    Person(
        name="José Núñez",
        aliases=("Pepe",),
        email="jose@example.com",
        jira_account_id=ACC_JOSE,
        github_login="jnunez",
    ),
    Person(
        name="Siobhan O'Brien",
        aliases=("Shiv",),
        email="sob@example.com",
        jira_account_id=ACC_SIO,
        github_login="sobrien",
    ),
    Person(name="Chris Lee", aliases=("Chris",), jira_account_id="acc-chris-lee", github_login="clee"),
    Person(name="Chris Park", aliases=("Chris", "cpark@example.com"), jira_account_id="acc-chris-park"),
    Person(name="Martha Lambert", email="martha@example.com", github_login="mlambert"),
)


class UserDirectoryTracker:
    """Answers only the two user questions owner resolution asks (no tickets involved)."""

    def __init__(self, kind: str, users: dict[str, list[str]], assignable: set[str]) -> None:
        self.kind = kind
        self.users = users
        self.assignable = assignable
        self.calls: list[tuple[str, str]] = []

    def find_users(self, text: str) -> list[UserMatch]:
        self.calls.append(("find_users", text))
        return [UserMatch(id=u, display_name=u) for u in self.users.get(text, [])]

    def is_assignable(self, user_id: str) -> bool:
        self.calls.append(("is_assignable", user_id))
        return user_id in self.assignable


def jira_tracker() -> UserDirectoryTracker:
    return UserDirectoryTracker(
        "jira",
        users={
            "Dana Scully": ["acc-dana"],
            "Alex Kim": ["acc-alex1", "acc-alex2"],
            "martha@example.com": ["acc-martha"],
            "Fox Mulder": ["acc-fox"],
        },
        assignable={ACC_JOSE, ACC_SIO, "acc-dana", "acc-martha", ACC_OTHER, "acc-chris-lee"},
    )


def github_tracker() -> UserDirectoryTracker:
    return UserDirectoryTracker(
        "github",
        users={"octocat": ["octocat"], "ghost": ["ghost"]},
        assignable={"jnunez", "sobrien", "octocat"},
    )


NFD_JOSE = unicodedata.normalize("NFD", "José Núñez")


@pytest.mark.parametrize(
    ("text", "assignee", "how", "reason_part"),
    [
        ("José Núñez", ACC_JOSE, "directory", ""),
        ("josé núñez", ACC_JOSE, "directory", ""),
        ("  JOSÉ   NÚÑEZ ", ACC_JOSE, "directory", ""),
        (NFD_JOSE, ACC_JOSE, "directory", ""),
        ("Jose Nunez", ACC_JOSE, "alias", ""),  # accent-folded pass, one person
        ("Siobhan O’Brien", ACC_SIO, "directory", ""),  # curly apostrophe
        ("siobhan o`brien", ACC_SIO, "directory", ""),
        ("Siobhan OBrien", None, "needs-owner", "unknown"),  # a missing apostrophe is another name
        ("jose@example.com", ACC_JOSE, "alias", ""),
        ("JOSE@Example.COM", ACC_JOSE, "alias", ""),
        ("@sobrien", ACC_SIO, "alias", ""),
        ("Pepe", ACC_JOSE, "alias", ""),
        ("shiv", ACC_SIO, "alias", ""),
        ("José Núñez <jose@example.com>", ACC_JOSE, "alias", ""),
        ("Siobhan O'Brien (SRE)", ACC_SIO, "directory", ""),
        # The name and the email name two different people: never pick one of them.
        ("José Núñez <sob@example.com>", None, "needs-owner", "ambiguous"),
        ("Chris", None, "needs-owner", "ambiguous: 'Chris' matches Chris Lee, Chris Park"),
        ("José Núñez and Siobhan O'Brien", None, "needs-owner", "several owners named"),
        (f"accountid:{ACC_SIO}", ACC_SIO, "alias", ""),
        (ACC_JOSE, ACC_JOSE, "alias", ""),
        (f"accountid:{ACC_OTHER}", ACC_OTHER, "account-id", ""),
        ("712020:0e2a4b1c-9999-2222-3333-444455556666", None, "needs-owner", "not assignable"),
        ("Dana Scully", "acc-dana", "tracker", "tracker user"),
        ("Alex Kim", None, "needs-owner", "ambiguous: 2 users"),
        ("Fox Mulder", None, "needs-owner", "cannot be assigned"),
        ("Ghost Person", None, "needs-owner", "unknown: no user found"),
        ("Martha Lambert", "acc-martha", "directory", "by email"),  # no accountId: looked up by email
    ],
)
def test_jira_resolution(text: str, assignee: str | None, how: str, reason_part: str) -> None:
    resolver = OwnerResolver(Directory(PEOPLE), kind="jira", tracker=jira_tracker())
    found = resolver.resolve(text)
    assert (found.assignee, found.how) == (assignee, how)
    assert reason_part in found.reason
    assert found.needs_owner is (assignee is None)


@pytest.mark.parametrize(
    ("text", "assignee", "how", "reason_part"),
    [
        ("José Núñez", "jnunez", "directory", ""),
        ("@sobrien", "sobrien", "alias", ""),
        ("Chris Lee", None, "needs-owner", "clee cannot be assigned"),  # has_in_assignees says no
        ("Chris Park", None, "needs-owner", "no github_login"),
        ("@octocat", "octocat", "tracker", ""),
        ("@ghost", None, "needs-owner", "cannot be assigned"),
        ("Dana Scully", None, "needs-owner", "not a @handle"),
        (ACC_OTHER, None, "needs-owner", "cannot be assigned on GitHub"),
    ],
)
def test_github_resolution(text: str, assignee: str | None, how: str, reason_part: str) -> None:
    tracker = github_tracker()
    found = OwnerResolver(Directory(PEOPLE), kind="github", tracker=tracker).resolve(text)
    assert (found.assignee, found.how) == (assignee, how)
    assert reason_part in found.reason
    # The GitHub lookup is by login, never by a display name.
    assert all(arg != "Dana Scully" for _, arg in tracker.calls)


def test_accent_folding_never_picks_between_two_people() -> None:
    people = (
        Person(name="José Núñez", jira_account_id="a1"),
        Person(name="Jose Nunez", jira_account_id="a2"),
    )
    resolver = OwnerResolver(Directory(people), kind="jira")
    assert resolver.resolve("Jose Nunez").assignee == "a2"  # exact wins over folded
    assert resolver.resolve("josé núñez").assignee == "a1"
    mixed = resolver.resolve("Jose Núñez")
    assert (mixed.assignee, mixed.how) == (None, "needs-owner")
    assert "ambiguous" in mixed.reason


def test_two_people_sharing_an_email_alias_is_ambiguous() -> None:
    people = (
        Person(name="A", aliases=("oncall@example.com",), jira_account_id="a"),
        Person(name="B", aliases=("ONCALL@example.com",), jira_account_id="b"),
    )
    found = OwnerResolver(Directory(people), kind="jira").resolve("oncall@example.com")
    assert (found.assignee, found.how) == (None, "needs-owner") and "ambiguous" in found.reason


def test_without_a_tracker_directory_ids_are_used_unverified() -> None:
    resolver = OwnerResolver(Directory(PEOPLE), kind="jira", tracker=None)
    found = resolver.resolve("Shiv")
    assert (found.assignee, found.how) == (ACC_SIO, "alias") and "not verified" in found.reason
    unknown = resolver.resolve("Dana Scully")
    assert unknown.needs_owner and "no tracker" in unknown.reason


TEAM = Team(name="ops", jira=JiraDestination(project="OPS"), triage_owner="@sobrien")


@pytest.mark.parametrize(
    ("owner", "pm_owner", "fallback", "assignee", "how"),
    [
        (
            None,
            "José Núñez",
            ("postmortem_owner", "triage_owner"),
            ACC_JOSE,
            "fallback:postmortem_owner:directory",
        ),
        ("", "Ghost Person", ("postmortem_owner", "triage_owner"), ACC_SIO, "fallback:triage_owner:alias"),
        (None, "José Núñez", ("triage_owner",), ACC_SIO, "fallback:triage_owner:alias"),
        (None, "José Núñez", (), None, "needs-owner"),
        (None, None, ("postmortem_owner",), None, "needs-owner"),
        ("Ghost Person", "José Núñez", ("postmortem_owner",), None, "needs-owner"),  # named: no fallback
    ],
)
def test_fallbacks(
    owner: str | None, pm_owner: str | None, fallback: tuple[str, ...], assignee: str | None, how: str
) -> None:
    team = TEAM.model_copy(update={"owner_fallback": fallback})
    resolver = OwnerResolver(Directory(PEOPLE), kind="jira", tracker=jira_tracker())
    found = resolver.resolve_item(owner, postmortem_owner=pm_owner, team=team)
    assert (found.assignee, found.how) == (assignee, how)
    if owner is None and assignee is None:
        assert found.reason.startswith("no owner named")


class DictCache:
    def __init__(self) -> None:
        self.data: dict[str, tuple[str | None, str]] = {}

    def get(self, query: str) -> tuple[str | None, str] | None:
        return self.data.get(query)

    def put(self, query: str, user_id: str | None, outcome: str) -> None:
        self.data[query] = (user_id, outcome)


def test_tracker_lookups_are_cached_between_resolvers() -> None:
    cache = DictCache()
    first = jira_tracker()
    a = OwnerResolver(Directory(PEOPLE), kind="jira", tracker=first, cache=cache).resolve("Dana Scully")
    assert first.calls and a.assignee == "acc-dana"
    second = jira_tracker()
    b = OwnerResolver(Directory(PEOPLE), kind="jira", tracker=second, cache=cache).resolve("dana  scully")
    assert second.calls == [] and b.assignee == "acc-dana"


def test_normalisation_helpers() -> None:
    assert normalise("  Siobhan   O’BRIEN ") == "siobhan o'brien"
    assert normalise("ＡＢＣ") == "abc"  # NFKC folds full-width letters
    assert fold_accents(normalise("Łukasz Øster Núñez")) == "lukasz oster nunez"


class FlakyTracker(UserDirectoryTracker):
    def is_assignable(self, user_id: str) -> bool:
        from connectors.errors import Transient

        raise Transient("503 from the assignable search")


def test_transient_lookup_failure_defers_instead_of_guessing() -> None:
    cache = DictCache()
    resolver = OwnerResolver(
        Directory(PEOPLE), kind="github", tracker=FlakyTracker("github", {}, set()), cache=cache
    )
    found = resolver.resolve("José Núñez")
    assert (found.assignee, found.how, found.deferred) == (None, "deferred", True)
    assert "will retry" in found.reason and resolver.deferred_error is not None
    assert cache.data == {}  # nothing remembered: the next sync asks again
    fallback = resolver.resolve_item(None, postmortem_owner="José Núñez", team=TEAM)
    assert fallback.deferred
