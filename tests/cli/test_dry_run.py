"""A plan never changes the store nor creates one; a run that could only plan says so and exits 4."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import files, one_error_line, run, write_config
from tests.standins.jira import JiraStandIn
from tests.sync.support import document, item_title


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn(hang=2.0) as standin:
        yield standin


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Where the configuration lives; the commands run in an empty `work` folder beside it."""
    (tmp_path / "work").mkdir()
    write_config(tmp_path)
    return tmp_path


def creds(jira: JiraStandIn) -> dict[str, str]:
    return {"JIRA_URL": jira.url, "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.api_token}


def config(home: Path, **more: str) -> dict[str, str]:
    return {"FOLLOWTHROUGH_CONFIG": str(home / "followthrough.yaml"), **more}


def snapshot(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables a sync or a plan could touch."""
    with sqlite3.connect(database) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("postmortems", "action_items", "sync_runs", "owner_lookups")
        }


def test_failing_and_dry_commands_leave_no_litter(home: Path, jira: JiraStandIn) -> None:
    work = home / "work"
    pm = home / "pm.md"
    pm.write_bytes(document(3))
    failing = run(work, "sync", "--dry-run", "--team", "nope", str(pm), env=config(home))
    assert failing.returncode == 2 and "unknown team 'nope'" in one_error_line(failing)
    nothing = run(work, "resync", "--all")
    assert nothing.returncode == 0 and nothing.stdout.strip() == "no stored postmortems"
    listed = run(work, "list", "--format", "json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    planned = run(work, "sync", "--dry-run", str(pm), "--format", "json", env={**config(home), **creds(jira)})
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["counts"] == {"planned-create": 3}
    assert jira.issues == {}
    fallback = run(work, "sync", str(pm), env=config(home))
    assert fallback.returncode == 4
    assert "dry run, nothing written" in fallback.stderr
    # No followthrough.db, no followthrough.db.locks/ in the working directory.
    assert files(work) == []


def test_resync_without_credentials_plans_writes_nothing_and_exits_4(home: Path, jira: JiraStandIn) -> None:
    work, pm, database = home / "work", home / "pm.md", home / "ft.db"
    env = config(home, FOLLOWTHROUGH_DATABASE_URL=f"sqlite:///{database}")
    pm.write_bytes(document(3))
    synced = run(work, "sync", str(pm), "--format", "json", env={**env, **creds(jira)})
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["counts"] == {"created": 3}
    pm.write_bytes(document(4, drop={0}))  # item 0 removed, item 3 new
    before = snapshot(database)
    proc = run(work, "resync", "--all", env=env)
    assert proc.returncode == 4, proc.stderr
    assert "dry run, nothing written" in proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == (
        "planned 1 of 1 postmortem(s) (dry run, nothing written): "
        "1 planned-create, 1 removed, 2 unchanged"
    )
    # No removed_at on the edited item, no row for the new one, no sync-run or owner-lookup rows.
    assert snapshot(database) == before
    assert files(work) == []


def test_resync_dry_run_with_credentials_reads_only_and_names_problems(
    home: Path, jira: JiraStandIn
) -> None:
    work, pm, database = home / "work", home / "pm.md", home / "ft.db"
    env = {**config(home, FOLLOWTHROUGH_DATABASE_URL=f"sqlite:///{database}"), **creds(jira)}
    pm.write_bytes(document(3))
    synced = json.loads(run(work, "sync", str(pm), "--format", "json", env=env).stdout)
    keys = {item["title"]: item["ticket"] for item in synced["items"]}
    # A person moves ticket 1's due date and deletes ticket 2; the document then changes both due dates.
    jira.edit_issue(keys[item_title(1)], duedate="2030-06-30")
    del jira.issues[keys[item_title(2)]]
    pm.write_bytes(document(3, changes={1: {"due": "2031-01-01"}, 2: {"due": "2031-01-01"}}))
    before = snapshot(database)
    calls = len(jira.calls)
    proc = run(work, "resync", "--all", "--dry-run", env=env)
    assert proc.returncode == 0, proc.stderr
    assert all(m == "GET" or p.endswith("/search/jql") for m, p in jira.calls[calls:])
    assert snapshot(database) == before
    lines = proc.stdout.strip().splitlines()
    key = synced["postmortem"]
    missing = [line for line in lines if "missing" in line and line.startswith(key)]
    assert missing and keys[item_title(2)] in missing[0] and item_title(2) in missing[0], lines
    conflict = [line for line in lines if "conflict" in line and line.startswith(key)]
    assert conflict and keys[item_title(1)] in conflict[0], lines
    assert lines[-1].startswith("planned 1 of 1 postmortem(s) (dry run, nothing written): ")


def test_a_plan_against_an_empty_postgresql_database_creates_no_tables(home: Path) -> None:
    from sqlalchemy import create_engine, inspect

    from tests.servers import postgres_database

    pm = home / "pm.md"
    pm.write_bytes(document(2))
    with postgres_database("ft_cli") as url:
        env = config(home, FOLLOWTHROUGH_DATABASE_URL=url)
        planned = run(home / "work", "sync", str(pm), env=env)
        assert planned.returncode == 4, planned.stderr
        listed = run(home / "work", "list", "--format", "json", env=env)
        assert listed.returncode == 0 and json.loads(listed.stdout) == []
        engine = create_engine(url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()
