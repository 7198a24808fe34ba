"""docker-compose.yml, checked without a Docker engine: it parses, its commands exist, its env agrees."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices

from config.settings import CONFIG_ENV, Settings
from worker.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = ("worker", "beat", "web", "flower")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def _subcommands() -> set[str]:
    """Subcommands of the CLI."""
    return set(cli.command_names())


def _setting_env_names() -> set[str]:
    names = {CONFIG_ENV}
    for field_name, field in Settings.model_fields.items():
        names.add(f"FOLLOWTHROUGH_{field_name.upper()}")
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
    return names


def test_services_and_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"redis", "postgres", *APP_SERVICES}
    for name, service in services.items():
        assert "healthcheck" in service and service["healthcheck"]["test"], name


def test_redis_persists_with_aof(compose: dict[str, Any]) -> None:
    command = _command(compose["services"]["redis"])
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any("/data" in volume for volume in compose["services"]["redis"]["volumes"])


def test_every_command_exists_in_the_project(compose: dict[str, Any]) -> None:
    subcommands = _subcommands()
    for name in APP_SERVICES:
        service = compose["services"][name]
        command = _command(service)
        assert service["build"] == "." and (ROOT / "Dockerfile").is_file()
        if command[0] == "followthrough":
            assert command[1] in subcommands, f"{name}: followthrough {command[1]} does not exist"
        else:
            assert command[:3] == ["celery", "-A", "config.celery_app"], name
            module = importlib.import_module("config.celery_app")
            assert module.app.main == "followthrough"
            if command[3] == "flower":
                assert importlib.util.find_spec("flower") is not None, "flower is not installed"
    worker_queues = _command(compose["services"]["worker"])
    queues = worker_queues[worker_queues.index("--queues") + 1].split(",")
    assert set(queues) == {"ingest", "tracker"}


def test_environment_is_consistent(compose: dict[str, Any]) -> None:
    services = compose["services"]
    envs = {name: services[name]["environment"] for name in APP_SERVICES}
    for key in ("REDIS_URL", "FOLLOWTHROUGH_DATABASE_URL", "FOLLOWTHROUGH_CONFIG"):
        values = {name: env.get(key) for name, env in envs.items()}
        assert len(set(values.values())) == 1 and None not in values.values(), f"{key} differs: {values}"
    redis_url = envs["worker"]["REDIS_URL"]
    assert re.fullmatch(r"redis://redis:6379/\d+", redis_url)
    database = envs["worker"]["FOLLOWTHROUGH_DATABASE_URL"]
    pg = services["postgres"]["environment"]
    match = re.fullmatch(r"postgresql\+psycopg://(\w+):(.+)@postgres:5432/(\w+)", database)
    assert match is not None, database
    assert match.group(1) == pg["POSTGRES_USER"]
    assert match.group(2) == pg["POSTGRES_PASSWORD"]
    assert match.group(3) == pg["POSTGRES_DB"]


def test_every_env_var_is_a_documented_setting(compose: dict[str, Any]) -> None:
    known = _setting_env_names()
    for name in APP_SERVICES:
        unknown = set(compose["services"][name]["environment"]) - known
        assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"


def test_beat_schedule_file_is_on_a_volume(compose: dict[str, Any]) -> None:
    beat = compose["services"]["beat"]
    schedule = beat["environment"]["FOLLOWTHROUGH_BEAT_SCHEDULE_FILE"]
    assert any(schedule.startswith(volume.split(":")[1]) for volume in beat["volumes"])
