"""Adopt, don't duplicate: refs to existing tickets become the items' tickets (CLI against the stand-ins)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn
from tests.tracker17.support import GITHUB_TEAMS, cli, jira_env, seed_jira_issue, write_doc


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(hang=2.0) as standin:
        yield standin


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana"}) as standin:
        yield standin


def test_jira_refs_are_adopted_and_an_unreadable_ref_is_reported(tmp_path: Path, jira: JiraStandIn) -> None:
    existing = seed_jira_issue(jira, "Circuit breaker for the payment client (filed in the review)")
    doc = write_doc(tmp_path, [
        ("Add a circuit breaker to the payment client", existing),
        ("Alert on checkout error rate", ""),
        ("Write the failover runbook", "OPS-99"),
        ("Rotate the database credentials", f"https://elsewhere.example/browse/{existing}"),
    ])
    proc = cli(tmp_path, "sync", str(doc), "--format", "json", env=jira_env(jira))
    assert proc.returncode == 1, proc.stderr  # an item failed: the summary says which
    out = json.loads(proc.stdout)
    results = {item["title"]: item for item in out["items"]}
    adopted = results["Add a circuit breaker to the payment client"]
    assert adopted["result"] == "adopted" and adopted["ticket"] == existing
    assert results["Alert on checkout error rate"]["result"] == "created"
    missing = results["Write the failover runbook"]
    assert missing["result"] == "failed" and "OPS-99" in missing["reason"] and "resync" in missing["reason"]
    assert missing["ticket"] is None
    other_site = results["Rotate the database credentials"]
    assert other_site["result"] == "failed" and "elsewhere.example" in other_site["reason"]
    # One ticket made (the item with no ref); the referenced one carries our labels, its summary untouched.
    assert len(jira.issues) == 2
    fields = jira.issues[existing]
    assert fields["summary"] == "Circuit breaker for the payment client (filed in the review)"
    ours = {"followthrough", f"ftpm-{out['postmortem']}", f"ft-{adopted['fingerprint']}"}
    assert ours <= set(fields["labels"])
    posts = jira.count("POST", r"/issue(/bulk)?$")

    again = json.loads(cli(tmp_path, "sync", str(doc), "--format", "json", env=jira_env(jira)).stdout)
    assert jira.count("POST", r"/issue(/bulk)?$") == posts and len(jira.issues) == 2
    rerun = {item["title"]: item for item in again["items"]}
    assert rerun["Add a circuit breaker to the payment client"]["ticket"] == existing
    assert rerun["Add a circuit breaker to the payment client"]["result"] == "unchanged"
    assert rerun["Write the failover runbook"]["result"] == "failed"


def test_adopted_ticket_is_followed_like_a_created_one(tmp_path: Path, jira: JiraStandIn) -> None:
    existing = seed_jira_issue(jira, "Breaker")
    doc = write_doc(tmp_path, [("Add a circuit breaker", existing)])
    assert cli(tmp_path, "sync", str(doc), env=jira_env(jira)).returncode == 0
    jira.close_issue(existing)
    report = cli(tmp_path, "report", "--refresh", "--format", "json", env=jira_env(jira))
    assert report.returncode == 0, report.stderr
    key = json.loads(cli(tmp_path, "list", "--format", "json", env={}).stdout)[0]["key"]
    show = json.loads(cli(tmp_path, "show", key, "--format", "json", env={}).stdout)
    item = show["action_items"][0]
    assert item["ticket"] == existing and item["outcome"] == "adopted" and item["state"] == "done"


def test_github_refs_owner_repo_and_bare_number_are_adopted(tmp_path: Path, gh: GitHubStandIn) -> None:
    first = gh.add_issue("Retries in the webhook sender", labels=["bug"])
    second = gh.add_issue("Cache TTLs")
    doc = write_doc(tmp_path, [
        ("Fix retries in the webhook sender", f"acme/ops#{first.number}"),
        ("Document the cache TTLs", f"#{second.number}"),
        ("Tune the pool", "acme/other#5"),
        ("Add a dashboard", "#404"),
        ("Page on saturation", ""),
    ])
    env = {"GITHUB_TOKEN": "test-token", "GITHUB_API_URL": gh.url}
    proc = cli(tmp_path, "sync", str(doc), "--format", "json", env=env, teams=GITHUB_TEAMS)
    assert proc.returncode == 1, proc.stderr
    results = {item["title"]: item for item in json.loads(proc.stdout)["items"]}
    assert results["Fix retries in the webhook sender"]["ticket"] == f"acme/ops#{first.number}"
    assert results["Fix retries in the webhook sender"]["result"] == "adopted"
    assert results["Document the cache TTLs"]["result"] == "adopted"
    pool = results["Tune the pool"]
    assert pool["result"] == "failed" and "acme/other#5" in pool["reason"]
    assert results["Add a dashboard"]["result"] == "failed" and "#404" in results["Add a dashboard"]["reason"]
    assert results["Page on saturation"]["result"] == "created"
    assert len(gh.issues) == 3  # two seeded, one created
    assert first.has_label("followthrough") and first.has_label("bug")
    again = cli(tmp_path, "sync", str(doc), "--format", "json", env=env)
    assert len(gh.issues) == 3 and again.returncode == 1
