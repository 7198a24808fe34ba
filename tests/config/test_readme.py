"""The README is the front door: its configuration example and its commands must stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from config.settings import Settings
from worker.cli.main import command_names

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_yaml_example_is_a_valid_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    block = re.search(r"```yaml\n(.*?)```", README, re.S)
    assert block is not None
    settings = Settings(**yaml.safe_load(block.group(1)))
    assert settings.default_team == "checkout"
    assert set(settings.teams) == {"checkout", "payments"}
    assert settings.people[0].jira_account_id == "5b10a2844c20165700ede001"


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert f"```\n{ci}\n```" in README


def test_every_documented_command_exists() -> None:
    documented = set(re.findall(r"`followthrough (\w+)[^`]*`", "\n".join(
        line for line in README.splitlines() if line.startswith("| `followthrough")
    )))
    assert documented == set(command_names())
