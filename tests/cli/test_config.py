"""Settings that must take effect wherever they are placed, and `followthrough config` saying where each
came from: the environment, `.env`, the YAML file, or the default; secrets never printed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.support import one_error_line, run, write_config


def _by_name(stdout: str) -> dict[str, dict[str, object]]:
    return {str(row["setting"]): row for row in json.loads(stdout)}


def test_config_names_every_source_and_masks_secrets(tmp_path: Path) -> None:
    write_config(tmp_path, sweep_grace_minutes=7, public_url="https://ft.example.com")
    (tmp_path / ".env").write_text(
        "FOLLOWTHROUGH_CONFIG=followthrough.yaml\n"
        "GITHUB_TOKEN=ghp_supersecret\n"
        "REDIS_URL=redis://:hunter2@redis.internal:6379/0\n"
        "FOLLOWTHROUGH_PUBLIC_URL=https://from-dotenv.example.com\n", encoding="utf-8")
    proc = run(tmp_path, "config", "--format", "json",
               env={"FOLLOWTHROUGH_WEBHOOK_SECRET": "whsec", "FOLLOWTHROUGH_PUBLIC_URL": "https://env.example.com"})
    assert proc.returncode == 0, proc.stderr
    rows = _by_name(proc.stdout)
    for secret in ("ghp_supersecret", "hunter2", "whsec"):
        assert secret not in proc.stdout
    assert rows["FOLLOWTHROUGH_CONFIG"] == {"setting": "FOLLOWTHROUGH_CONFIG", "key": "config",
                                            "value": "followthrough.yaml", "source": ".env", "secret": False}
    assert (rows["GITHUB_TOKEN"]["value"], rows["GITHUB_TOKEN"]["source"]) == ("********", ".env")
    assert rows["REDIS_URL"]["value"] == "redis://:********@redis.internal:6379/0"
    assert (rows["FOLLOWTHROUGH_WEBHOOK_SECRET"]["value"],
            rows["FOLLOWTHROUGH_WEBHOOK_SECRET"]["source"]) == ("********", "environment")
    # The environment beats .env, which beats the YAML file.
    assert (rows["FOLLOWTHROUGH_PUBLIC_URL"]["value"],
            rows["FOLLOWTHROUGH_PUBLIC_URL"]["source"]) == ("https://env.example.com", "environment")
    assert (rows["FOLLOWTHROUGH_SWEEP_GRACE_MINUTES"]["value"],
            rows["FOLLOWTHROUGH_SWEEP_GRACE_MINUTES"]["source"]) == (7.0, "YAML")
    assert (rows["FOLLOWTHROUGH_DASHBOARD_TREND_DAYS"]["value"],
            rows["FOLLOWTHROUGH_DASHBOARD_TREND_DAYS"]["source"]) == (90, "default")
    assert rows["FOLLOWTHROUGH_TEAMS"]["source"] == "YAML"
    assert rows["FOLLOWTHROUGH_TEAMS"]["value"]["ops"]["jira"]["project"] == "OPS"  # type: ignore[index]


def test_config_table_at_80_columns(tmp_path: Path) -> None:
    write_config(tmp_path)
    proc = run(tmp_path, "--config", "followthrough.yaml", "config",
               env={"COLUMNS": "80", "JIRA_API_TOKEN": "tok-secret"})
    assert proc.returncode == 0, proc.stderr
    assert all(len(line.rstrip()) <= 80 for line in proc.stdout.splitlines())
    assert "tok-secret" not in proc.stdout
    lines = {line.split()[0]: line.split() for line in proc.stdout.splitlines() if line.strip()}
    assert lines["JIRA_API_TOKEN"][1:] == ["********", "environment"]
    assert lines["teams"][-1] == "YAML"


def test_followthrough_config_in_dotenv_is_honoured(tmp_path: Path) -> None:
    write_config(tmp_path)
    (tmp_path / ".env").write_text("FOLLOWTHROUGH_CONFIG=followthrough.yaml\n", encoding="utf-8")
    proc = run(tmp_path, "check")
    # The team from the YAML file is seen (its tracker has no credentials), not "no teams configured".
    assert "no teams configured" not in proc.stdout
    assert "team(s) ops can only dry-run" in proc.stdout


def test_check_says_where_it_looked_for_teams(tmp_path: Path) -> None:
    proc = run(tmp_path, "check")
    assert proc.returncode == 2
    assert "FOLLOWTHROUGH_CONFIG is not set" in proc.stdout


def test_bad_redis_url_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    for value in ("notaurl", "http://localhost:6379", "redis://:pw@host:notaport/0"):
        proc = run(tmp_path, "config", env={"REDIS_URL": value})
        assert proc.returncode == 2
        line = one_error_line(proc)
        assert "invalid setting REDIS_URL" in line and "pw" not in line.replace("password", "")


def test_unreachable_database_exits_3(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"
    for args in (("list",), ("migrate",)):
        proc = run(tmp_path, *args, env={"FOLLOWTHROUGH_DATABASE_URL": url})
        assert proc.returncode == 3, (args, proc.stderr)
        assert "cannot open the store" in one_error_line(proc)


def test_migrate_and_services_that_do_not_migrate_on_start(tmp_path: Path) -> None:
    from config.celery_app import celery_config
    from config.settings import load_settings
    from worker.errors import UserError
    from worker.store.registry import close_stores, migrate_on_open, open_store

    url = f"sqlite:///{tmp_path / 'ft.db'}"
    env = {"FOLLOWTHROUGH_DATABASE_URL": url}
    check = run(tmp_path, "migrate", "--check", env=env)
    assert check.returncode == 1 and "no store yet" in check.stdout and not (tmp_path / "ft.db").exists()
    (tmp_path / "ft.db").write_bytes(b"")  # an empty database, as a fresh PostgreSQL would be
    # A service started with FOLLOWTHROUGH_MIGRATE_ON_START=false refuses the store older than itself.
    celery_config(load_settings(database_url=url, migrate_on_start=False))
    try:
        try:
            open_store(url)
            raise AssertionError("an unmigrated store was opened")
        except UserError as exc:
            assert "run `followthrough migrate` first" in str(exc)
        done = run(tmp_path, "migrate", env=env)
        assert done.returncode == 0 and done.stdout.startswith("migrated the store from revision none"), done
        assert run(tmp_path, "migrate", "--check", env=env).stdout.endswith("up to date\n")
        assert open_store(url).list_postmortems() == []
    finally:
        migrate_on_open(True)
        close_stores()
