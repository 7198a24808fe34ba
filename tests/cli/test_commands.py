"""list, show, --config, completion and terminal width, as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import ACCOUNT, files, one_error_line, run, write_config
from tests.standins.jira import JiraStandIn
from tests.sync.support import document, item_title


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(hang=2.0) as standin:
        standin.add_user("Ana Lima", email="ana@example.com", account_id=ACCOUNT)
        yield standin


@pytest.fixture
def synced(tmp_path: Path, jira: JiraStandIn) -> tuple[dict[str, str], dict[str, object]]:
    """A store holding one synced postmortem of three items; one ticket since closed, one overdue."""
    env = {"FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'ft.db'}", "JIRA_URL": jira.url,
           "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.api_token, "COLUMNS": "200"}
    write_config(tmp_path)
    pm = tmp_path / "pm.md"
    pm.write_bytes(document(3))  # due dates in 2025: overdue by now unless done
    proc = run(tmp_path, "--config", "followthrough.yaml", "sync", "pm.md", "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return env, result


def test_sync_table_shows_owners_by_name_and_fits_columns(tmp_path: Path, jira: JiraStandIn) -> None:
    env = {"FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'ft.db'}", "JIRA_URL": jira.url,
           "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.api_token, "COLUMNS": "90"}
    write_config(tmp_path)
    (tmp_path / "pm.md").write_bytes(document(3, owners=("Ana Lima", "Zed Unknown")))
    proc = run(tmp_path, "--config", "followthrough.yaml", "sync", "pm.md", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 90
    assert "Ana Lima" in proc.stdout and ACCOUNT not in proc.stdout.split("\n\n")[0].replace("\n", "")
    assert lines[-1].endswith("3 created; 1 needs an owner (needs-owner)")


Synced = tuple[dict[str, str], dict[str, object]]


def test_list_and_show(tmp_path: Path, jira: JiraStandIn, synced: Synced) -> None:
    env, result = synced
    key = str(result["postmortem"])
    items = {str(i["title"]): str(i["ticket"]) for i in result["items"]}  # type: ignore[attr-defined]
    jira.close_issue(items[item_title(0)])
    refreshed = run(tmp_path, "--config", "followthrough.yaml", "report", "--refresh", env=env)
    assert refreshed.returncode == 0, refreshed.stderr
    listing = run(tmp_path, "--config", "followthrough.yaml", "list", "--format", "json", env=env)
    listed = json.loads(listing.stdout)
    assert [(p["key"], p["items"], p["tickets"], p["open"], p["overdue"], p["done"]) for p in listed] == [
        (key, 3, 3, 2, 2, 1)
    ]
    table = run(tmp_path, "--config", "followthrough.yaml", "list", env=env)
    assert key in table.stdout and "Database outage" in table.stdout
    none = run(tmp_path, "--config", "followthrough.yaml", "list", "--team", "ops", "--format", "json",
               env={**env, "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"})
    assert json.loads(none.stdout) == [] and not (tmp_path / "other.db").exists()
    shown = run(tmp_path, "--config", "followthrough.yaml", "show", key[:6], env=env)
    assert shown.returncode == 0, shown.stderr
    for title, ticket in items.items():
        assert ticket in shown.stdout and title in shown.stdout
    assert "Ana Lima" in shown.stdout and "last sync: " in shown.stdout and "3 created" in shown.stdout
    detail = json.loads(run(tmp_path, "--config", "followthrough.yaml", "show", key, "--format", "json",
                            env=env).stdout)
    assert detail["last_sync"]["counts"] == {"created": 3}
    states = {i["ticket"]: (i["state"], i["assignee"]) for i in detail["action_items"]}
    assert states[items[item_title(0)]] == ("done", ACCOUNT)
    completed = run(tmp_path, env={**env, "FOLLOWTHROUGH_CONFIG": str(tmp_path / "followthrough.yaml"),
                                   "_FOLLOWTHROUGH_COMPLETE": "bash_complete",
                                   "COMP_WORDS": f"followthrough show {key[:3]}", "COMP_CWORD": "2"})
    assert completed.stdout.split() == [f"plain,{key}"]
    unknown = run(tmp_path, "--config", "followthrough.yaml", "show", "nope", env=env)
    assert unknown.returncode == 2 and "no stored postmortem" in one_error_line(unknown)


def test_config_option_names_the_yaml_file(tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    write_config(folder, default_team="web", teams={"web": {"tracker": "github", "github": {"repo": "a/b"}}})
    proc = run(tmp_path, "--config", str(folder / "followthrough.yaml"), "list", "--team", "nope")
    assert proc.returncode == 2 and "configured teams: web" in one_error_line(proc)
    assert files(tmp_path) == ["elsewhere"]


def test_shell_completion(tmp_path: Path) -> None:
    script = run(tmp_path, "completion", "bash")
    assert script.returncode == 0 and "_FOLLOWTHROUGH_COMPLETE" in script.stdout
    answered = run(tmp_path, env={"_FOLLOWTHROUGH_COMPLETE": "bash_complete",
                                  "COMP_WORDS": "followthrough re", "COMP_CWORD": "1"})
    assert answered.returncode == 0
    assert {"plain,resync", "plain,report"} <= set(answered.stdout.split())
    options = run(tmp_path, env={"_FOLLOWTHROUGH_COMPLETE": "bash_complete",
                                 "COMP_WORDS": "followthrough sync --dr", "COMP_CWORD": "2"})
    assert "plain,--dry-run" in options.stdout.split()


def test_list_failed_shows_documents_the_parser_refused(tmp_path: Path) -> None:
    from tests.sync.support import settings_for
    from worker.errors import UserError
    from worker.sync import pipeline

    write_config(tmp_path)
    env = {"FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'ft.db'}"}
    settings = settings_for(env["FOLLOWTHROUGH_DATABASE_URL"])
    with pytest.raises(UserError):
        pipeline.ingest(settings, content=b"\x00\x01\x02binary\xff" * 50, source="github:acme/pm@main:x.md")
    listed = run(tmp_path, "--config", "followthrough.yaml", "list", "--failed", "--format", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    failures = json.loads(listed.stdout)
    assert [(f["source"], f["attempts"]) for f in failures] == [("github:acme/pm@main:x.md", 1)]
    assert failures[0]["reason"]
    table = run(tmp_path, "--config", "followthrough.yaml", "list", "--failed", env={**env, "COLUMNS": "100"})
    assert "github:acme/pm@main:x.md" in table.stdout
    empty = run(tmp_path, "--config", "followthrough.yaml", "list", "--failed",
                env={"FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    assert "no documents failed to parse" in empty.stdout and not (tmp_path / "none.db").exists()
