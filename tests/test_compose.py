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
APP_SERVICES = ("worker", "beat", "web")
#: A compose variable that must be set: `${NAME:?message}` (compose refuses to start without it).
REQUIRED = r"\$\{(?P<name>[A-Z_]+):\?[^}]+\}"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def _subcommands() -> set[str]:
    """Subcommands registered by the CLI's modules (those importable in this checkout)."""
    import argparse

    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    for name in cli.COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        module.register(subparsers)
    return set(subparsers.choices)


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
    redis_match = re.fullmatch(rf"redis://:{REQUIRED}@redis:6379/\d+", redis_url)
    assert redis_match is not None and redis_match["name"] == "REDIS_PASSWORD", redis_url
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


def test_every_secret_is_required_never_defaulted() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    # `${VAR:-default}` would start with a password everyone knows.
    assert not re.search(r"\$\{[A-Z_]*(PASSWORD|SECRET|TOKEN)[A-Z_]*:?-", text)
    required = {m["name"] for m in re.finditer(REQUIRED, text)}
    assert {"REDIS_PASSWORD", "POSTGRES_PASSWORD"} <= required


def test_redis_requires_the_password_the_app_uses(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = _command(redis)
    password = command[command.index("--requirepass") + 1]
    assert re.fullmatch(REQUIRED, password)
    # The healthcheck authenticates through the environment, not on its command line.
    assert redis["environment"]["REDISCLI_AUTH"] == password
    assert password in compose["services"]["worker"]["environment"]["REDIS_URL"]
    postgres_password = compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert postgres_password.startswith("${POSTGRES_PASSWORD:?")


def test_nothing_unauthenticated_can_send_tasks(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        command = " ".join(_command(service))
        if "flower" in command:
            assert "--basic-auth" in command or "--auth" in command, f"{name}: Flower without authentication"
    # Only the receiver (signed hooks) is published beyond localhost.
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert name == "web" or str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
