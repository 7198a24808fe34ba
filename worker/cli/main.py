"""`followthrough` command line (Click): one module per subcommand, imported only when it runs.

Building the command list imports nothing but Click, so `followthrough --help` starts fast; each
subcommand's module imports its own heavy dependencies (SQLAlchemy, Celery, the parser) when it runs.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from worker.cli.exits import EXIT_INTERRUPTED, EXIT_PARTIAL, EXIT_USAGE, fail

PROG = "followthrough"
#: Environment variable Click's shell completion answers to (`_FOLLOWTHROUGH_COMPLETE=bash_source`).
COMPLETE_VAR = "_FOLLOWTHROUGH_COMPLETE"

#: name -> (module, attribute, one-line help). The help is repeated here so that `--help` imports nothing.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "parse": ("worker.cli.commands.parse", "command", "Extract the action items of one postmortem."),
    "sync": ("worker.cli.commands.sync", "command", "Create or update the tickets of a postmortem's items."),
    "resync": ("worker.cli.commands.resync", "command", "Re-read stored postmortems and reconcile tickets."),
    "backfill": ("worker.cli.commands.backfill", "command", "Import postmortems from before the cutoff."),
    "list": ("worker.cli.commands.list", "command", "List the stored postmortems with their ticket counts."),
    "items": ("worker.cli.commands.items", "command", "Export every action item (CSV or JSON), filtered."),
    "show": ("worker.cli.commands.show", "command", "Show one postmortem's items, tickets and last sync."),
    "check": ("worker.cli.commands.check", "command", "Check the configuration against the trackers."),
    "config": ("worker.cli.commands.config", "command", "Print every setting, its value and its source."),
    "report": ("worker.cli.commands.report", "command", "Show (with --send deliver) the follow-up report."),
    "sweep": ("worker.cli.commands.sweep", "command", "Run (or dry-run) the reconciliation sweep now."),
    "migrate": ("worker.cli.commands.migrate", "command", "Bring the store's schema up to date."),
    "serve": ("worker.cli.commands.serve", "command", "Run the webhook receiver (verifies and enqueues)."),
    "worker": ("worker.cli.commands.worker", "worker", "Run a Celery worker (ingest and tracker queues)."),
    "beat": ("worker.cli.commands.worker", "beat", "Run the periodic scheduler (run exactly one)."),
    "demo": ("worker.cli.commands.demo", "command", "Parse the bundled examples and dry-run their sync."),
    "completion": ("worker.cli.commands.completion", "command", "Print the shell completion script."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attribute, _ = entry
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Click would import every command for its short help; the table above has it.
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_text) for name, (_, _, help_text) in COMMANDS.items()])


def _use_config(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        # The settings read FOLLOWTHROUGH_CONFIG when they are built; workers started from here inherit it.
        from config.settings import CONFIG_ENV

        os.environ[CONFIG_ENV] = os.path.abspath(value)
    return value


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="followthrough", prog_name=PROG, message="%(prog)s %(version)s")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    callback=_use_config,
    expose_value=False,
    is_eager=True,
    help="YAML file of teams, people and sources (instead of FOLLOWTHROUGH_CONFIG).",
)
def cli() -> None:
    """Turn postmortem action items into tracked tickets and follow them up.

    Exit codes: 0 done; 1 some items failed or wait for a retry; 2 bad input, usage or configuration;
    3 a service it needs is unavailable; 4 nothing written for lack of tracker credentials (dry run);
    130 interrupted.
    """


def command_names() -> list[str]:
    """Every subcommand's name (for tests and documentation checks)."""
    return list(COMMANDS)


def _usage_error(exc: click.UsageError) -> int:
    where = exc.ctx.command_path if exc.ctx is not None else PROG
    hint = f" (see '{where} --help')"
    return fail(f"{exc.format_message()}{hint}", EXIT_USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see `cli`'s docstring and the README)."""
    try:
        result: Any = cli.main(args=list(argv) if argv is not None else None, prog_name=PROG,
                               complete_var=COMPLETE_VAR, standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        if exc.ctx is not None:
            click.echo(exc.ctx.get_help(), err=True)
        return EXIT_USAGE
    except click.UsageError as exc:
        return _usage_error(exc)
    except click.ClickException as exc:
        return fail(exc.format_message(), exc.exit_code)
    except (KeyboardInterrupt, click.Abort):
        return fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        code = _known_error_code(exc)
        if code is None:
            raise
        message = f"{type(exc).__name__}: {exc}" if code == EXIT_PARTIAL else str(exc)
        return fail(message, code)
    return result if isinstance(result, int) else 0


def run() -> NoReturn:
    """The `followthrough` process (the console script and `python -m worker`): `main()`, then exit.

    Before the interpreter tears itself down, every object alive is moved out of the collector's reach
    (`gc.freeze`): the finalisation's full collections then skip the tens of thousands of objects the imports
    made, which are freed by reference counting as modules are cleared anyway. That last collection was a
    tenth of a `followthrough parse` process (issue 21). Not in `main()`: tests call it in their own process.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


def _known_error_code(exc: Exception) -> int | None:
    """The exit code of an error the user can act on, None for a bug (which keeps its traceback)."""
    # Imported here, not at the top: `--help` must not pay for pydantic-settings and the connectors.
    from config.settings import ConfigError
    from connectors.errors import TrackerError
    from worker.errors import Unavailable, UserError

    if isinstance(exc, UserError | ConfigError):
        return EXIT_USAGE
    if isinstance(exc, Unavailable):
        return exc.exit_code
    if isinstance(exc, TrackerError):
        return EXIT_PARTIAL
    return None


if __name__ == "__main__":
    sys.exit(main())
