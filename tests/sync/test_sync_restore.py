"""An item removed from the postmortem and then put back: the removed label comes off, with one comment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.tracker import REMOVED_LABEL
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn
from tests.sync.support import document, ingest_and_sync, sync_until_settled
from tests.sync.test_sync_github import gh_settings
from tests.sync.test_sync_jira import jira_settings


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ft.db'}"


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(hang=2.0) as standin:
        yield standin


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana", "bob"}) as standin:
        standin.faults.timeout_delay = 2.0
        yield standin


def jira_comments(jira: JiraStandIn, key: str) -> list[str]:
    with jira.lock:
        return [c["body"] for c in jira.comments.get(key, [])]


@pytest.mark.parametrize("fault", [None, "lost_response", "500"])
def test_jira_item_that_comes_back_loses_the_label_with_one_comment(
    jira: JiraStandIn, db: str, fault: str | None
) -> None:
    settings = jira_settings(jira, db)
    first = ingest_and_sync(settings, document(3))
    key = first.items[2].ticket or ""
    ingest_and_sync(settings, document(3, drop={2}))
    assert REMOVED_LABEL in jira.issues[key]["labels"] and len(jira_comments(jira, key)) == 1

    if fault:
        jira.faults.add("PUT", rf"/issue/{key}$", fault)
    sync_until_settled(settings, document(3))
    assert bool(jira.faults.injected) == bool(fault)
    assert REMOVED_LABEL not in jira.issues[key]["labels"]
    comments = jira_comments(jira, key)
    assert len(comments) == 2 and "back in the postmortem" in comments[1]
    again = ingest_and_sync(settings, document(3))
    assert again.counts() == {"unchanged": 3} and len(jira_comments(jira, key)) == 2

    # Removed once more: told again (the earlier notice does not count any more), and back again.
    ingest_and_sync(settings, document(3, drop={2}))
    assert REMOVED_LABEL in jira.issues[key]["labels"] and len(jira_comments(jira, key)) == 3
    ingest_and_sync(settings, document(3))
    assert REMOVED_LABEL not in jira.issues[key]["labels"] and len(jira_comments(jira, key)) == 4


@pytest.mark.parametrize("fault", [None, "lost_response"])
def test_github_item_that_comes_back_loses_the_label_with_one_comment(
    gh: GitHubStandIn, db: str, fault: str | None
) -> None:
    settings = gh_settings(gh, db)
    first = ingest_and_sync(settings, document(3))
    number = int((first.items[2].ticket or "").rpartition("#")[2])
    ingest_and_sync(settings, document(3, drop={2}))
    assert gh.issues[number].has_label(REMOVED_LABEL) and len(gh.issues[number].comments) == 1

    if fault:
        gh.faults.add("POST", rf"/issues/{number}/comments$", fault)
        gh.faults.add("DELETE", rf"/issues/{number}/labels/", fault)
    sync_until_settled(settings, document(3))
    assert len(gh.faults.injected) == (2 if fault else 0)
    assert not gh.issues[number].has_label(REMOVED_LABEL)
    comments = gh.issues[number].comments
    assert len(comments) == 2 and "back in the postmortem" in comments[1]
    assert ingest_and_sync(settings, document(3)).counts() == {"unchanged": 3}
    ingest_and_sync(settings, document(3, drop={2}))
    assert gh.issues[number].has_label(REMOVED_LABEL) and len(gh.issues[number].comments) == 3
    ingest_and_sync(settings, document(3))
    assert not gh.issues[number].has_label(REMOVED_LABEL) and len(gh.issues[number].comments) == 4


def test_an_item_back_before_the_search_shows_its_removed_label_still_loses_it(db: str) -> None:
    """Removed in one version and back in the next within the search index's lag: the search still shows
    the ticket without the label, but the store remembers the removal was noted on it."""
    with JiraStandIn(search_lag=30.0) as jira:
        settings = jira_settings(jira, db)
        first = ingest_and_sync(settings, document(3))
        key = first.items[2].ticket or ""
        ingest_and_sync(settings, document(3, drop={2}))
        assert REMOVED_LABEL in jira.issues[key]["labels"]
        sync_until_settled(settings, document(3))  # the index is 30 s behind: no label in the search
        assert REMOVED_LABEL not in jira.issues[key]["labels"]
        comments = jira_comments(jira, key)
        assert len(comments) == 2 and "back in the postmortem" in comments[1]
