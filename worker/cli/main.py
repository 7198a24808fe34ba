"""`followthrough` command line: one subcommand module per job, each registered here."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from config.settings import ConfigError
from connectors.errors import TrackerError
from worker.errors import UserError

#: Subcommand modules. Each defines `register(subparsers)`, which adds its parser and sets `func`.
COMMAND_MODULES: tuple[str, ...] = (
    "worker.cli.commands.parse",
    "worker.cli.commands.demo",
    "worker.cli.commands.sync",
    "worker.cli.commands.resync",
    "worker.cli.commands.serve",
    "worker.cli.commands.worker",
    "worker.cli.commands.report",
)

EXIT_USAGE = 2


class _Registrar(Protocol):
    def __call__(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="followthrough",
        description="Turn postmortem action items into tracked tickets and follow them up.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        register = cast(_Registrar, importlib.import_module(module_name).register)
        register(subparsers)
    return parser


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    first_line = (message.strip().splitlines() or ["unknown error"])[0]
    print(f"followthrough: error: {first_line}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = cast(Callable[[argparse.Namespace], int], args.func)
    try:
        return func(args)
    except (UserError, ConfigError) as exc:
        return _fail(str(exc))
    except TrackerError as exc:
        return _fail(f"{type(exc).__name__}: {exc}", 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
