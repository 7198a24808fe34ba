"""`followthrough config [--format table|json]`: every setting in effect, secrets masked, with its source."""

from __future__ import annotations

import click

from worker.cli.output import FORMAT_CHOICES


@click.command(
    "config",
    help="Print every setting in effect: its value (secrets and URL passwords masked) and where it came "
    "from: environment, .env, YAML (the file in FOLLOWTHROUGH_CONFIG or --config) or default. Teams, "
    "people, sources and the follow-up policy are summed up in the table and given whole in JSON.",
)
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True,
              help="Output format.")
def command(fmt: str) -> int:
    from config import catalog
    from config.settings import load_settings

    settings = load_settings()
    where = catalog.sources()
    rows = [(entry, catalog.value_of(settings, entry, structured=fmt == "json"), where[entry.field])
            for entry in catalog.entries()]
    if fmt == "json":
        from worker.cli.output import print_json

        print_json([{"setting": entry.name, "key": entry.field, "value": value, "source": source,
                     "secret": entry.secret} for entry, value, source in rows])
        return 0
    from worker.cli.render import Layout, default_console, table

    out = default_console()
    out.print(table(
        ("setting", "value", "source"),
        # Structures are YAML keys, not variables anyone would set: show them by their key.
        [(f"{entry.field} (YAML)" if entry.yaml_only else entry.name, _text(value), source)
         for entry, value, source in rows],
        Layout(main="value", caps={"setting": 34}),
        width=out.width,
    ))
    return 0


def _text(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
