"""`followthrough demo`: parse the bundled example postmortems, then dry-run their sync.

The sync runs against an embedded SQLite store in a temporary directory, with the bundled example
configuration (teams and people) and no tracker credentials, so it needs no Redis and no network:
it shows the plan, including how each owner was resolved and which team's tracker each item goes to.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console
from rich.text import Text

from config.settings import Settings, load_settings
from worker.cli.render import default_console, owner_names, print_postmortem, print_sync_result
from worker.models import Postmortem
from worker.parse import parse_document
from worker.sync import pipeline

EXAMPLES_PACKAGE = "worker.examples"
EXAMPLE_CONFIG = "_followthrough.yaml"
#: Which example goes to which team of the example config (the rest go to its default team).
EXAMPLE_TEAMS = {"02-payments-outage-confluence.html": "payments", "04-caida-pagos.md": "payments"}


def example_documents() -> list[tuple[str, bytes]]:
    """(file name, bytes) of every bundled example, sorted by name."""
    folder = resources.files(EXAMPLES_PACKAGE)
    return sorted(
        (entry.name, entry.read_bytes())
        for entry in folder.iterdir()
        if entry.is_file() and not entry.name.startswith(("_", "."))
    )


def run_demo(*, console: Console | None = None) -> list[Postmortem]:
    """Parse and print every bundled example; returns the parsed postmortems."""
    out = console or default_console()
    parsed: list[Postmortem] = []
    for name, data in example_documents():
        postmortem = parse_document(data, filename=name)
        print_postmortem(postmortem, source=name, console=out)
        out.print()
        parsed.append(postmortem)
    return parsed


def example_settings(database_url: str) -> Settings:
    """Settings from the bundled example config, with an embedded store and no tracker credentials."""
    config: dict[str, Any] = yaml.safe_load(
        resources.files(EXAMPLES_PACKAGE).joinpath(EXAMPLE_CONFIG).read_text()
    )
    # Explicit None beats any JIRA_*/GITHUB_* in the environment: the demo never calls a real tracker.
    return load_settings(
        database_url=database_url,
        jira_url=None,
        jira_email=None,
        jira_api_token=None,
        jira_pat=None,
        github_token=None,
        **config,
    )


def run_sync_demo(database_url: str, *, console: Console | None = None) -> list[pipeline.SyncResult]:
    """Ingest every bundled example into the store and print its dry-run sync plan."""
    out = console or default_console()
    settings = example_settings(database_url)
    results: list[pipeline.SyncResult] = []
    for name, data in example_documents():
        ingested = pipeline.ingest(
            settings,
            content=data,
            source=f"inline:example/{name}",
            filename=name,
            team=EXAMPLE_TEAMS.get(name),
        )
        result = pipeline.sync(settings, ingested.postmortem_key, dry_run=True)
        team = settings.teams[result.team]
        where = team.jira.project if team.jira else team.github.repo if team.github else "?"
        out.print(Text(f"sync plan for {name} -> team {result.team} ({team.tracker} {where}):", style="bold"))
        print_sync_result(result, names=owner_names(settings.people), console=out)
        out.print()
        results.append(result)
    return results


@click.command(
    "demo", help="Parse the bundled example postmortems and dry-run their sync (no services needed)."
)
def command() -> int:
    run_demo()
    with tempfile.TemporaryDirectory(prefix="followthrough-demo-") as tmp:
        run_sync_demo(f"sqlite:///{Path(tmp) / 'followthrough.db'}")
        pipeline.close_stores()
    default_console().print(
        "Dry run: no tracker credentials were used. Set JIRA_URL/JIRA_EMAIL/JIRA_API_TOKEN or GITHUB_TOKEN "
        "and FOLLOWTHROUGH_CONFIG, then run `followthrough sync PATH` to create the tickets.",
        markup=False,
    )
    return 0
