"""Settings: sources (env, .env, YAML), secrets, and one-line errors that name the setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import ConfigError, load_settings

REPO = Path(__file__).resolve().parents[2]

_VARS = (
    "FOLLOWTHROUGH_CONFIG", "JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT", "GITHUB_TOKEN",
    "GITHUB_API_URL", "REDIS_URL", "CELERY_BROKER_URL", "FOLLOWTHROUGH_MAX_DOCUMENT_BYTES",
    "FOLLOWTHROUGH_DATABASE_URL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()
    assert settings.github_api_url == "https://api.github.com"
    assert settings.database_url == "sqlite:///followthrough.db"
    assert settings.max_document_bytes == 5 * 1024 * 1024
    assert settings.broker_url is None


def test_conventional_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_URL", "https://example.atlassian.net/")
    monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
    monkeypatch.setenv("JIRA_API_TOKEN", "jira-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")
    settings = load_settings()
    assert settings.jira_url == "https://example.atlassian.net"
    assert settings.jira_api_token is not None
    assert settings.jira_api_token.get_secret_value() == "jira-secret"
    assert "jira-secret" not in repr(settings)
    assert "ghp_secret" not in repr(settings)
    assert settings.github_api_url == "http://127.0.0.1:9999"
    assert settings.broker_url == "redis://127.0.0.1:6390/0"


def test_yaml_file_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "followthrough.yaml"
    config.write_text(
        "max_document_bytes: 1000\n"
        "default_team: sre\n"
        "teams:\n"
        "  sre:\n"
        "    tracker: github\n"
        "    github: {repo: acme/sre}\n"
        "    triage_owner: Ada Lovelace\n"
        "people:\n"
        "  - name: Ada Lovelace\n"
        "    aliases: ['@ada', ada@example.com]\n"
        "    github_login: ada\n",
        encoding="utf-8",
    )
    (tmp_path / ".env").write_text("GITHUB_TOKEN=from-dotenv\n", encoding="utf-8")
    monkeypatch.setenv("FOLLOWTHROUGH_CONFIG", str(config))
    settings = load_settings()
    assert settings.max_document_bytes == 1000
    team = settings.team(None)
    assert team is not None and team.name == "sre" and team.github is not None
    assert team.github.repo == "acme/sre"
    assert settings.people[0].github_login == "ada"
    assert settings.github_token is not None
    assert settings.github_token.get_secret_value() == "from-dotenv"
    # The environment wins over the YAML file.
    monkeypatch.setenv("FOLLOWTHROUGH_MAX_DOCUMENT_BYTES", "2000")
    assert load_settings().max_document_bytes == 2000


@pytest.mark.parametrize(
    ("env", "yaml_text", "expected"),
    [
        ({"JIRA_URL": "ftp://jira"}, None, "invalid setting JIRA_URL: must be an http(s) URL"),
        ({"FOLLOWTHROUGH_MAX_DOCUMENT_BYTES": "x"}, None, "invalid setting FOLLOWTHROUGH_MAX_DOCUMENT_BYTES"),
        ({"FOLLOWTHROUGH_MAX_DOCUMENT_BYTES": "0"}, None, "invalid setting FOLLOWTHROUGH_MAX_DOCUMENT_BYTES"),
        ({}, "teams:\n  sre:\n    tracker: jira\n", "invalid setting teams.sre"),
        ({}, "default_team: nope\nteams:\n  sre: {tracker: github, github: {repo: a/b}}\n", "default_team"),
        ({}, "teams: [unclosed\n", "FOLLOWTHROUGH_CONFIG"),
    ],
)
def test_invalid_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], yaml_text: str | None, expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if yaml_text is not None:
        config = tmp_path / "c.yaml"
        config.write_text(yaml_text, encoding="utf-8")
        monkeypatch.setenv("FOLLOWTHROUGH_CONFIG", str(config))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FOLLOWTHROUGH_CONFIG", str(tmp_path / "absent.yaml"))
    with pytest.raises(ConfigError, match="FOLLOWTHROUGH_CONFIG: cannot read"):
        load_settings()


def test_cli_reports_bad_setting_without_traceback(tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text("# Postmortem\n\n## Action items\n- Fix it\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "FOLLOWTHROUGH_MAX_DOCUMENT_BYTES": "lots"}
    proc = subprocess.run(
        [sys.executable, "-m", "worker", "parse", str(doc)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "followthrough: error: invalid setting FOLLOWTHROUGH_MAX_DOCUMENT_BYTES: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]
