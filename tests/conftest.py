"""Project-wide pytest setup: fixture plugins of the stand-in servers, and a fresh serverInfo memory."""

from collections.abc import Iterator

import pytest

from connectors.jira_connect import forget_server_info

pytest_plugins = ["tests.standins.jira_fixtures"]


@pytest.fixture(autouse=True)
def _fresh_jira_server_info() -> Iterator[None]:
    # The Jira client remembers serverInfo per site URL for the process; every test's stand-in is a new
    # site, even when the port of an earlier one comes back.
    forget_server_info()
    yield
