"""Project-wide pytest setup: fixture plugins of the stand-in servers."""

pytest_plugins = ["tests.standins.jira_fixtures"]
