"""Options shared by several commands, so that every command spells them the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def log_level_options(levels: Sequence[str], default: str = "info") -> Callable[[F], F]:
    """`--log-level/-l LEVEL` (any case), with the old `--loglevel` kept as a hidden alias."""
    choice = click.Choice(levels, case_sensitive=False)

    def _merge(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            ctx.meta["followthrough.loglevel"] = value
        return value

    def decorate(func: F) -> F:
        func = click.option("--loglevel", "old_log_level", type=choice, hidden=True, expose_value=False,
                            callback=_merge, help="Old spelling of --log-level.")(func)
        return click.option("--log-level", "-l", "log_level", type=choice, default=None,
                            callback=_pick(default), show_default=default,
                            help=f"Logging level: {', '.join(levels)}.")(func)

    return decorate


def _pick(default: str) -> Callable[[click.Context, click.Parameter, str | None], str]:
    def pick(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
        if value is not None:
            return value
        old = ctx.meta.get("followthrough.loglevel")
        return str(old) if old is not None else default

    return pick


def parse_at(text: str | None) -> datetime:
    """`--at ISO-DATETIME` (with a UTC offset), else now; UserError for anything else."""
    from worker.errors import UserError

    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--at: {text!r} is not an ISO date-time (e.g. 2026-03-30T09:00+02:00)") from None
    if moment.tzinfo is None:
        raise UserError(f"--at: {text!r} has no UTC offset (add e.g. +00:00)")
    return moment
