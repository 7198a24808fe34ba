"""Project-wide pytest setup: fixture plugins of the stand-in servers, a fresh serverInfo memory, and the
terminal variables of the command that started the run in every pytest-xdist worker."""

import os
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.jira_connect import forget_server_info

pytest_plugins = ["tests.standins.jira_fixtures"]

#: GNU readline (imported in every pytest process) exports the terminal size as COLUMNS and LINES when they
#: are unset and it sees a terminal; in an xdist worker that is 80x24, which the `followthrough` commands
#: the tests start would inherit as their table width.
_TERMINAL = ("COLUMNS", "LINES")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """(xdist, in the controller) hand each worker the controller's terminal variables."""
    node.workerinput["terminal_env"] = {name: os.environ.get(name) for name in _TERMINAL}


def pytest_configure(config: pytest.Config) -> None:
    """(in an xdist worker) the terminal variables exactly as in the controller."""
    given: dict[str, str | None] | None = getattr(config, "workerinput", {}).get("terminal_env")
    for name, value in (given or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _fresh_jira_server_info() -> Iterator[None]:
    # The Jira client remembers serverInfo per site URL for the process; every test's stand-in is a new
    # site, even when the port of an earlier one comes back.
    forget_server_info()
    yield
