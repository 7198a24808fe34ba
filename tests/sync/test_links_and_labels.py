"""Links and labels follow the configuration: GitHub Enterprise hosts instead of github.com, a link back to
a Jira-sourced review, and each tracker's configurable label forms (real clients against the stand-ins)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import load_settings
from config.teams import GitHubDestination, JiraDestination, Team
from connectors.throttle import NoThrottle
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn
from tests.sync.support import document, settings_for
from worker.sync import pipeline


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana"}) as standin:
        yield standin


@pytest.mark.parametrize(("api", "web"), [
    ("https://api.github.com", "https://github.com"),
    ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
    ("https://ghe.example.com/api/v3/", "https://ghe.example.com"),
    ("https://api.acme.ghe.com", "https://acme.ghe.com"),
])
def test_github_web_url_comes_from_the_api_url(api: str, web: str) -> None:
    assert load_settings(github_api_url=api).github_web_url == web


def test_github_links_and_labels_follow_the_team(gh: GitHubStandIn, tmp_path: Path) -> None:
    team = Team(tracker="github", github=GitHubDestination(
        repo="acme/ops", standard_labels=(), labels=("team-web",), priority_label="prio/{priority}"))
    settings = settings_for(f"sqlite:///{tmp_path / 'ft.db'}", github_token=SecretStr("test-token"),
                            github_api_url=gh.url, teams={"web": team}, default_team="web")
    source = "github:acme/postmortems@main:postmortems/2025-03-01-db.md"
    ingested = pipeline.ingest(settings, content=document(1), source=source)
    result = pipeline.sync(settings, ingested.postmortem_key, throttle=NoThrottle())
    assert result.counts() == {"created": 1}
    issue = gh.issues[1]
    # The stand-in is the "Enterprise" host here: the link goes to it, never to github.com.
    assert f"{gh.url}/acme/postmortems/blob/main/postmortems/2025-03-01-db.md" in (issue.body or "")
    assert "github.com" not in (issue.body or "")
    assert "prio/P1" in issue.labels and "team-web" in issue.labels
    assert not {"postmortem", "action-item", "priority:P1"} & set(issue.labels)
    # Read back through the team's form: the priority is unchanged, so a re-sync changes nothing.
    again = pipeline.sync(settings, ingested.postmortem_key, throttle=NoThrottle())
    assert again.counts() == {"unchanged": 1}


def test_tickets_of_a_jira_review_link_back_to_it(tmp_path: Path) -> None:
    with JiraStandIn() as jira:
        team = Team(jira=JiraDestination(project="OPS", priority_label="prio_{priority}"))
        settings = settings_for(f"sqlite:///{tmp_path / 'ft.db'}", jira_url=jira.url, jira_email=jira.email,
                                jira_api_token=SecretStr(jira.api_token), teams={"ops": team},
                                default_team="ops")
        ingested = pipeline.ingest(settings, content=document(1), source="jira:PIR-7")
        result = pipeline.sync(settings, ingested.postmortem_key, throttle=NoThrottle())
        assert result.counts() == {"created": 1}
        [fields] = list(jira.issues.values())
        assert f"{jira.url}/browse/PIR-7" in str(fields["description"])
        assert "prio_p1" in fields["labels"] and "priority-p1" not in fields["labels"]
