"""`parse`'s limits read without the settings: the same answers and errors as the settings give."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.limits import MAX_DOCUMENT_BYTES, PARSE_BUDGET_SECONDS
from config.settings import ConfigError, load_settings
from worker.cli.commands.parse import parse_limits


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from wherever the tests run
    names = ("FOLLOWTHROUGH_CONFIG", "FOLLOWTHROUGH_MAX_DOCUMENT_BYTES", "FOLLOWTHROUGH_PARSE_BUDGET_SECONDS")
    for name in names:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (MAX_DOCUMENT_BYTES, PARSE_BUDGET_SECONDS)),
        ({"FOLLOWTHROUGH_MAX_DOCUMENT_BYTES": " 2048 "}, (2048, PARSE_BUDGET_SECONDS)),
        ({"followthrough_parse_budget_seconds": "2.5"}, (MAX_DOCUMENT_BYTES, 2.5)),
        ({"FOLLOWTHROUGH_PARSE_BUDGET_SECONDS": "600"}, (MAX_DOCUMENT_BYTES, 600.0)),
    ],
)
def test_limits_from_the_environment_equal_the_settings(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: tuple[int, float]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert parse_limits() == expected == (settings.max_document_bytes, settings.parse_budget_seconds)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FOLLOWTHROUGH_MAX_DOCUMENT_BYTES", "0", "greater than 0"),
        ("FOLLOWTHROUGH_MAX_DOCUMENT_BYTES", "lots", "valid integer"),
        ("FOLLOWTHROUGH_PARSE_BUDGET_SECONDS", "601", "less than or equal to 600"),
    ],
)
def test_a_bad_limit_fails_as_the_settings_do(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"invalid setting {name}: .*{message}"):
        parse_limits()


def test_a_dotenv_file_is_read_as_the_settings_read_it(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FOLLOWTHROUGH_MAX_DOCUMENT_BYTES=4096\n")
    assert parse_limits() == (4096, PARSE_BUDGET_SECONDS)
