"""The operator's commands do what their help says, through the command line: sweep (and its dry run),
pausing a team, the item export with its filters, resync by key prefix, and --team completion."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import yaml

from tests.cli.support import ACCOUNT, files, one_error_line, run, write_config
from tests.servers import RedisServer
from tests.standins.jira import JiraStandIn
from tests.sync.support import BASE_DUE, document, item_title


@pytest.fixture
def jira() -> Iterator[JiraStandIn]:
    with JiraStandIn() as standin:
        standin.add_user("Ana Lima", email="ana@example.com", account_id=ACCOUNT)
        yield standin


def _env(tmp_path: Path, jira: JiraStandIn, **extra: str) -> dict[str, str]:
    return {"FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'ft.db'}", "JIRA_URL": jira.url,
            "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.api_token,
            "FOLLOWTHROUGH_CONFIG": str(tmp_path / "followthrough.yaml"), **extra}


def _pause(tmp_path: Path, paused: bool) -> None:
    path = tmp_path / "followthrough.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["teams"]["ops"]["paused"] = paused
    path.write_text(yaml.safe_dump(config), encoding="utf-8")


def test_a_paused_team_gets_no_tickets_until_unpaused(tmp_path: Path, jira: JiraStandIn) -> None:
    write_config(tmp_path)
    env = _env(tmp_path, jira)
    (tmp_path / "pm.md").write_bytes(document(2))
    synced = run(tmp_path, "sync", "pm.md", "--format", "json", env=env)
    assert synced.returncode == 0, synced.stderr
    key = json.loads(synced.stdout)["postmortem"]
    (tmp_path / "pm.md").write_bytes(document(3))  # a third item while the team is paused
    _pause(tmp_path, True)
    check = run(tmp_path, "check", env=env)
    assert "ops: paused (teams.ops.paused)" in check.stdout
    paused = run(tmp_path, "sync", "pm.md", "--format", "json", env=env)
    assert paused.returncode == 4
    assert "team ops is paused (teams.ops.paused): dry run, nothing written" in paused.stderr
    assert json.loads(paused.stdout)["dry_run"] is True and len(jira.issues) == 2
    resynced = run(tmp_path, "resync", key[:5], env=env)  # a key prefix, as `show` takes
    assert resynced.returncode == 4 and "team ops is paused" in resynced.stderr
    assert len(jira.issues) == 2
    _pause(tmp_path, False)
    done = run(tmp_path, "resync", key[:5], env=env)
    assert done.returncode == 0, done.stderr
    assert len(jira.issues) == 3


def test_resync_prefix_errors_are_one_line(tmp_path: Path, jira: JiraStandIn) -> None:
    write_config(tmp_path)
    env = _env(tmp_path, jira)
    (tmp_path / "pm.md").write_bytes(document(1))
    assert run(tmp_path, "sync", "pm.md", env=env).returncode == 0
    unknown = run(tmp_path, "resync", "zzzzzz", env=env)
    assert unknown.returncode == 2
    assert "no stored postmortem has key or id 'zzzzzz'" in one_error_line(unknown)


def test_items_export_with_filters(tmp_path: Path, jira: JiraStandIn) -> None:
    write_config(tmp_path)
    env = _env(tmp_path, jira)
    (tmp_path / "pm.md").write_bytes(document(3))  # due dates in 2025: all overdue by now
    synced = json.loads(run(tmp_path, "sync", "pm.md", "--format", "json", env=env).stdout)
    tickets = {item["title"]: item["ticket"] for item in synced["items"]}
    jira.close_issue(tickets[item_title(0)])
    assert run(tmp_path, "report", "--refresh", env=env).returncode == 0
    exported = run(tmp_path, "items", env=env)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["title"], r["ticket"], r["state"], r["overdue"]) for r in rows] == [
        (item_title(0), tickets[item_title(0)], "done", "false"),
        (item_title(1), tickets[item_title(1)], "open", "true"),
        (item_title(2), tickets[item_title(2)], "open", "true"),
    ]
    assert rows[1]["kind"] == "detect" and rows[1]["team"] == "ops"
    assert rows[1]["due"] == (BASE_DUE + timedelta(days=1)).isoformat()
    overdue = json.loads(run(tmp_path, "items", "--overdue", "--kind", "Detection", "--format", "json",
                             env=env).stdout)
    assert [item["title"] for item in overdue] == [item_title(1)]
    done = json.loads(run(tmp_path, "items", "--state", "done", "--format", "json", env=env).stdout)
    assert [item["ticket"] for item in done] == [tickets[item_title(0)]]
    early = json.loads(run(tmp_path, "items", "--overdue", "--at", "2025-01-01T00:00+00:00", "--format",
                           "json", env=env).stdout)
    assert early == []
    bad = run(tmp_path, "items", "--team", "nope", env=env)
    assert bad.returncode == 2 and "unknown team 'nope'" in one_error_line(bad)
    other = f"sqlite:///{tmp_path / 'x.db'}"
    empty = run(tmp_path, "items", env={**env, "FOLLOWTHROUGH_DATABASE_URL": other})
    assert empty.stdout.splitlines()[0].startswith("postmortem,postmortem_title,team,")
    assert "x.db" not in files(tmp_path)


@pytest.fixture
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_sweep_dry_run_lists_and_sweep_queues(tmp_path: Path, jira: JiraStandIn, broker: str) -> None:
    from config.settings import load_settings
    from worker.sync import pipeline

    write_config(tmp_path)
    env = _env(tmp_path, jira, REDIS_URL=broker)
    # A postmortem ingested whose sync never ran (a worker killed between the two tasks).
    settings = load_settings(database_url=env["FOLLOWTHROUGH_DATABASE_URL"], **yaml.safe_load(
        (tmp_path / "followthrough.yaml").read_text(encoding="utf-8")))
    ingested = pipeline.ingest(settings, content=document(2), source="inline:pm.md", filename="pm.md")
    pipeline.close_stores()
    young = run(tmp_path, "sweep", "--dry-run", "--format", "json", env=env)
    assert json.loads(young.stdout) == {"dry_run": True, "ingest": [], "sync": [], "republish": []}
    planned = run(tmp_path, "sweep", "--dry-run", "--grace", "0", env=env)
    assert planned.returncode == 0, planned.stderr
    assert ingested.postmortem_key in planned.stdout
    assert "sweep would queue: 0 to ingest, 1 to sync" in planned.stdout
    client = redis.Redis.from_url(broker)
    assert client.llen("tracker") == 0
    queued = run(tmp_path, "sweep", "--grace", "0", "--format", "json", env=env)
    assert queued.returncode == 0, queued.stderr
    assert json.loads(queued.stdout)["sync"] == [ingested.postmortem_key]
    assert client.llen("tracker") == 1
    down = run(tmp_path, "sweep", "--grace", "0", env={**env, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert down.returncode == 3 and "cannot reach the broker" in one_error_line(down)


def test_team_option_completes_team_names(tmp_path: Path) -> None:
    write_config(tmp_path, teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}},
                                  "payments": {"tracker": "github", "github": {"repo": "acme/pay"}}})
    for command in ("list", "items", "report", "sync"):
        proc = run(tmp_path, env={"_FOLLOWTHROUGH_COMPLETE": "bash_complete", "COMP_WORDS":
                                  f"followthrough --config followthrough.yaml {command} --team p",
                                  "COMP_CWORD": "5"})
        assert proc.stdout.split() == ["plain,payments"], (command, proc.stdout, proc.stderr)
