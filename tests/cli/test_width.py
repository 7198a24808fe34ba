"""Every table at an ordinary 80-column terminal (COLUMNS=80), through the command line as a user runs it:
no line past 80 characters, the main column (title, action) at least 20 wide and wrapped on words, the
ticket key never cut, and the columns left out named."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import ACCOUNT, run, write_config
from tests.standins.jira import JiraStandIn
from tests.sync.support import document, item_title

Stored = tuple[Path, dict[str, str], dict[str, object]]
LONG_TITLE = "Checkout database outage after the nightly vacuum filled the primary disk on 2025-03-01"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    """One synced postmortem (a long title, three items with long names and owners) in a SQLite store."""
    folder = tmp_path_factory.mktemp("width")
    with JiraStandIn() as jira:
        jira.add_user("Ana Lima", email="ana@example.com", account_id=ACCOUNT)
        env = {"FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{folder / 'ft.db'}", "JIRA_URL": jira.url,
               "JIRA_EMAIL": jira.email, "JIRA_API_TOKEN": jira.api_token, "COLUMNS": "80",
               "FOLLOWTHROUGH_CONFIG": str(write_config(folder))}
        (folder / "pm.md").write_bytes(document(3, owners=("Ana Lima", "Bartholomew Featherstonehaugh"),
                                                title=LONG_TITLE))
        synced = run(folder, "sync", "pm.md", env=env)
        assert synced.returncode == 0, synced.stderr
        _assert_fits(synced.stdout)
        result = json.loads(run(folder, "show", "--format", "json", _key(folder, env), env=env).stdout)
        yield folder, env, result


def _key(folder: Path, env: dict[str, str]) -> str:
    listed = json.loads(run(folder, "list", "--format", "json", env=env).stdout)
    return str(listed[0]["key"])


def _assert_fits(output: str, width: int = 80) -> None:
    lines = output.splitlines()
    assert lines, "no output"
    too_wide = [line for line in lines if len(line.rstrip()) > width]
    assert not too_wide, too_wide


def _column_start(header: str, name: str) -> int:
    match = re.search(rf"(^|\s){re.escape(name)}(\s|$)", header)
    assert match is not None, (name, header)
    return match.start() + len(match.group(1))


def _main_width(output: str, main: str, after: str) -> int:
    """The width of the main column: from its header to the header of the column after it."""
    header = next(line for line in output.splitlines() if re.search(rf"(^|\s){main}\s", line))
    return _column_start(header, after) - _column_start(header, main)


def test_list_at_80_columns(stored: Stored) -> None:
    folder, env, _ = stored
    proc = run(folder, "list", env=env)
    assert proc.returncode == 0, proc.stderr
    _assert_fits(proc.stdout)
    assert _main_width(proc.stdout, "title", "team") >= 20
    # The title wraps on words: every word of it is printed whole.
    words = set(proc.stdout.split())
    assert set(LONG_TITLE.split()) <= words
    assert "not shown at this width: synced" in " ".join(proc.stdout.split())


def test_show_at_80_columns_keeps_action_and_ticket(stored: Stored
                                                   ) -> None:
    folder, env, detail = stored
    proc = run(folder, "show", str(detail["key"]), env=env)
    assert proc.returncode == 0, proc.stderr
    _assert_fits(proc.stdout)
    assert _main_width(proc.stdout, "action", "ticket") >= 20
    words = set(proc.stdout.split())
    for item in detail["action_items"]:  # type: ignore[attr-defined]
        assert item["ticket"] in words  # never cut ("ticke")
        assert set(item["title"].split()) <= words
    assert "ticket" in words and "state" in words


def test_parse_at_80_columns(stored: Stored) -> None:
    folder, env, _ = stored
    proc = run(folder, "parse", "pm.md", env=env)
    assert proc.returncode == 0, proc.stderr
    _assert_fits(proc.stdout)
    assert _main_width(proc.stdout, "title", "owner") >= 20
    assert set(item_title(2).split()) <= set(proc.stdout.split())


def test_report_at_80_columns(stored: Stored) -> None:
    folder, env, _ = stored
    proc = run(folder, "report", env=env)
    assert proc.returncode == 0, proc.stderr
    _assert_fits(proc.stdout)
    assert item_title(0) in " ".join(proc.stdout.split())


def test_check_and_failures_at_80_columns(stored: Stored) -> None:
    folder, env, _ = stored
    (folder / "bad.md").write_text("", encoding="utf-8")
    failed = run(folder, "list", "--failed", env=env)
    assert failed.returncode == 0, failed.stderr
    _assert_fits(failed.stdout)
    check = run(folder, "check", env={**env, "JIRA_URL": "http://127.0.0.1:9"})
    _assert_fits(check.stdout + check.stderr)


@pytest.mark.parametrize("columns", ["60", "100", "200"])
def test_other_widths_fit_too(stored: Stored, columns: str) -> None:
    folder, env, detail = stored
    for args in (("list",), ("show", str(detail["key"])), ("parse", "pm.md")):
        proc = run(folder, *args, env={**env, "COLUMNS": columns})
        assert proc.returncode == 0, proc.stderr
        _assert_fits(proc.stdout, max(int(columns), 20 + 2 + 12))
