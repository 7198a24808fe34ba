"""Shell completion: postmortem keys (`show ID`, `resync ID...`) from the store if there is one, and the
configured team names (every `--team`)."""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem


def postmortem_keys(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Stored postmortem keys starting with what was typed, each with its title as help."""
    from config.settings import ConfigError, load_settings
    from worker.errors import UserError
    from worker.sync.pipeline import existing_store

    try:
        store = existing_store(load_settings())
    except (ConfigError, UserError):
        return []  # a completion never prints errors into the user's shell line
    if store is None:
        return []
    return [
        CompletionItem(pm.key, help=pm.title or pm.identity)
        for pm in store.list_postmortems()
        if pm.key.startswith(incomplete)
    ]


def team_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Configured team names starting with what was typed, each with its tracker destination as help."""
    from config.settings import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError:
        return []
    items = []
    for name, team in sorted(settings.teams.items()):
        if not name.startswith(incomplete):
            continue
        where = team.jira.project if team.jira else team.github.repo if team.github else ""
        items.append(CompletionItem(name, help=f"{team.tracker} {where}".strip()))
    return items
