"""Shell completion of postmortem keys (for `show ID` and `resync ID...`) from the store, if there is one."""

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
