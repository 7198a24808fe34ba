"""`followthrough check` against the stand-in Jira and GitHub: one line per problem, exit 0/2/3."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import ACCOUNT, run, write_config
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn
from tests.sync.support import document

PEOPLE = [
    {"name": "Ana Lima", "jira_account_id": ACCOUNT, "github_login": "ana"},
    {"name": "Bo Chen", "github_login": "bo"},
]


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(hang=2.0) as standin:
        standin.add_user("Ana Lima", email="ana@example.com", account_id=ACCOUNT)
        yield standin


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/web", collaborators={"ana", "bo"}) as standin:
        yield standin


def env_for(
    tmp_path: Path, jira: JiraStandIn | None, github: GitHubStandIn | None, **config: Any
) -> dict[str, str]:
    env = {"FOLLOWTHROUGH_CONFIG": str(write_config(tmp_path, **config)),
           "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'ft.db'}"}
    if jira is not None:
        env |= {"JIRA_URL": jira.url, "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.api_token}
    if github is not None:
        env |= {"GITHUB_TOKEN": "test-token", "GITHUB_API_URL": github.url}
    return env


def teams(**more: Any) -> dict[str, Any]:
    return {"ops": {"tracker": "jira", "jira": {"project": "OPS"}},
            "web": {"tracker": "github", "github": {"repo": "acme/web", "milestone": 1}}, **more}


def test_a_sound_configuration_passes_and_only_reads(
    tmp_path: Path, jira: JiraStandIn, github: GitHubStandIn
) -> None:
    proc = run(tmp_path, "check", env=env_for(tmp_path, jira, github, teams=teams(), people=PEOPLE))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "checked 2 team(s) and 2 people: no problems"
    assert {m for m, _ in jira.calls} == {"GET"} and {m for m, _ in github.calls} == {"GET"}
    assert not (tmp_path / "ft.db").exists()


def test_each_problem_is_one_line_and_exit_2(
    tmp_path: Path, jira: JiraStandIn, github: GitHubStandIn
) -> None:
    jira.set_create_field("OPS", "customfield_10010", name="Service", required=True)
    jira.remove_create_field("OPS", "duedate")
    jira.add_user("Cy Ward", account_id="5b10a2844c20165700ede0cc", assignable=False)
    config = teams(
        ops={"tracker": "jira", "jira": {"project": "OPS", "priority_map": {"p1": "Urgent", "p2": "High"}}},
        gone={"tracker": "jira", "jira": {"project": "NOPE"}},
        epic={"tracker": "jira", "jira": {"project": "OPS", "issue_type": "Epic"}},
        web={"tracker": "github", "github": {"repo": "acme/web", "milestone": 9}},
        lost={"tracker": "github", "github": {"repo": "acme/lost"}},
    )
    cy = {"name": "Cy Ward", "jira_account_id": "5b10a2844c20165700ede0cc", "github_login": "cy"}
    people = [*PEOPLE, cy]
    proc = run(tmp_path, "check", env=env_for(tmp_path, jira, github, teams=config, people=people))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stdout.strip().splitlines()
    expected = [
        "jira OPS: required field Service (customfield_10010) is not filled by the config",
        "jira OPS: field duedate is not on the create screen of OPS/Task",
        "jira OPS: priority_map 'p1' -> 'Urgent': no such priority",
        "jira OPS: Cy Ward (accountId 5b10a2844c20165700ede0cc) cannot be assigned issues in OPS",
        "jira NOPE: project NOPE does not exist or the bot cannot see it",
        "jira OPS: issue type 'Epic' cannot be created in OPS (available: Bug, Story, Task)",
        "github acme/web: milestone 9 does not exist in acme/web",
        "github acme/web: Cy Ward (login cy) cannot be assigned issues in acme/web",
        "github acme/lost: repository acme/lost does not exist or the token cannot see it",
    ]
    for needle in expected:
        assert sum(needle in line for line in lines) >= 1, (needle, lines)
    assert lines[-1] == f"{len(lines) - 1} problem(s)"
    assert "Traceback" not in proc.stderr


def test_credentials_missing_rejected_or_unreachable(tmp_path: Path, jira: JiraStandIn) -> None:
    only_jira = {"ops": {"tracker": "jira", "jira": {"project": "OPS"}}}
    none = run(tmp_path, "check", env=env_for(tmp_path, None, None, teams=only_jira))
    assert none.returncode == 2 and "jira: no credentials" in none.stdout
    bad = env_for(tmp_path, jira, None, teams=only_jira) | {"JIRA_API_TOKEN": "wrong"}
    rejected = run(tmp_path, "check", env=bad)
    assert rejected.returncode == 2 and "credentials rejected" in rejected.stdout, rejected.stdout
    assert "wrong" not in rejected.stdout + rejected.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    down = run(tmp_path, "check", env=env_for(tmp_path, jira, None, teams=only_jira) | {"JIRA_URL": dead})
    assert down.returncode == 3, down.stdout + down.stderr
    assert "Traceback" not in down.stderr


def test_extra_fields_fill_a_required_custom_field_and_go_out_on_create(
    tmp_path: Path, jira: JiraStandIn
) -> None:
    jira.set_create_field("OPS", "customfield_10010", name="Service", required=True)
    jira.set_create_field("OPS", "components", name="Components")
    extra = {"customfield_10010": {"value": "SRE"}, "components": [{"name": "api"}]}
    config = {"ops": {"tracker": "jira", "jira": {"project": "OPS", "fields": extra}}}
    env = env_for(tmp_path, jira, None, teams=config)
    checked = run(tmp_path, "check", env=env)
    assert checked.returncode == 0, checked.stdout
    pm = tmp_path / "pm.md"
    pm.write_bytes(document(2))
    synced = run(tmp_path, "sync", str(pm), "--format", "json", env=env)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert json.loads(synced.stdout)["counts"] == {"created": 2}
    assert all(fields == extra for fields in jira.extra_fields.values()) and len(jira.extra_fields) == 2
    # Without the extra field Jira refuses every create, which check had said it would.
    bare = env_for(tmp_path, jira, None, teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}}})
    assert run(tmp_path, "check", env=bare).returncode == 2
    pm.write_bytes(document(2, title="Another outage"))
    refused = run(tmp_path, "sync", str(pm), "--format", "json", env=bare)
    assert refused.returncode == 1 and "Service is required" in refused.stdout


def test_extra_fields_may_not_override_what_followthrough_writes(tmp_path: Path) -> None:
    config = {"ops": {"tracker": "jira", "jira": {"project": "OPS", "fields": {"summary": "x"}}}}
    proc = run(tmp_path, "check", env=env_for(tmp_path, None, None, teams=config))
    assert proc.returncode == 2
    assert "written by Followthrough" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_data_center_create_metadata_pages_as_values(tmp_path: Path) -> None:
    with JiraStandIn(deployment="Server") as server:
        server.add_user("Ana Lima", name="ana")
        server.set_create_field("OPS", "customfield_10020", name="Team", required=True)
        env = {"FOLLOWTHROUGH_CONFIG": str(write_config(tmp_path, people=[{"name": "Ana Lima",
                                                                         "jira_account_id": "ana"}])),
               "JIRA_URL": server.url, "JIRA_PAT": server.pat}
        proc = run(tmp_path, "check", env=env)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stdout.strip().splitlines() == [
            "jira OPS: required field Team (customfield_10020) is not filled by the config: add it to the "
            "team's jira.fields (creates fail without it)",
            "1 problem(s)",
        ]
        assert any("/issue/createmeta/OPS/issuetypes/" in path for _, path in server.calls)
