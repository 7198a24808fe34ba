"""A seeded store, the configuration naming it, and the real app served by uvicorn on a loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.settings import Settings
from config.teams import JiraDestination
from connectors.jira import JiraTracker, connect_jira
from tests.dashboard.seeding import PEOPLE, seed
from tests.dashboard.serving import Served
from tests.servers import postgres_database
from tests.standins.jira import JiraStandIn
from worker.store import Store


@dataclass(frozen=True)
class Seeded:
    config: Path  # FOLLOWTHROUGH_CONFIG for `followthrough report`
    values: dict[str, Any]  # the same configuration, for Settings(...)
    standin: JiraStandIn

    def settings(self, **overrides: Any) -> Settings:
        return Settings(**{**self.values, **overrides}, _env_file=None)  # type: ignore[call-arg]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("FOLLOWTHROUGH_", "JIRA_", "GITHUB_"))}
        return {**env, "FOLLOWTHROUGH_CONFIG": str(self.config)}


@contextmanager
def seeded_store(folder: Path, url: str) -> Iterator[Seeded]:
    """Seed the store at `url` (tickets in a Jira stand-in) and write a configuration naming both."""
    with JiraStandIn() as standin:
        values: dict[str, Any] = {
            "database_url": url, "embedded_broker_url": f"sqla+sqlite:///{folder / 'broker.db'}",
            "jira_url": standin.url, "jira_email": standin.email, "jira_api_token": standin.api_token,
            "default_team": "sre",
            "teams": {"sre": {"tracker": "jira", "jira": {"project": "OPS"}, "timezone": "Europe/Berlin"},
                      "web": {"tracker": "jira", "jira": {"project": "OPS"}}},
            "people": [{"name": name, "jira_account_id": account} for account, name in PEOPLE.items()],
        }
        settings = Settings(**values, _env_file=None)  # type: ignore[call-arg]
        client = connect_jira(settings, timeout=5)
        store = Store(url)
        seed(store, JiraTracker(client, JiraDestination(project="OPS")), standin)
        store.close()
        client.close()  # type: ignore[no-untyped-call]  # the jira library leaves close() unannotated
        config = folder / "followthrough.yaml"
        config.write_text(yaml.safe_dump(values))
        yield Seeded(config=config, values=values, standin=standin)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("dashboard")
    with seeded_store(folder, f"sqlite:///{folder / 'ft.db'}") as made:
        yield made


@pytest.fixture(scope="module")
def seeded_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("dashboard_pg")
    with postgres_database("ft_dashboard") as url, seeded_store(folder, url) as made:
        yield made


PAGE_TOKEN = "page-tests-token"


@pytest.fixture(scope="module")
def served(seeded: Seeded) -> Iterator[Served]:
    """The dashboard with its token, every request signed in with it (the page tests)."""
    with Served(seeded.settings(dashboard_token=PAGE_TOKEN), signed_in=PAGE_TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def served_with_token(seeded: Seeded) -> Iterator[Served]:
    with Served(seeded.settings(dashboard_token="s3cret-token")) as server:
        yield server
