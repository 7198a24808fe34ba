"""The Jinja2 environment of the dashboard: templates from this package, autoescaping always on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

HERE = Path(__file__).resolve().parent


def ticket_href(url: str | None) -> str | None:
    """Only http(s) links reach an href: a `javascript:` URL stored by anyone stays text."""
    if url and url.startswith(("https://", "http://")):
        return url
    return None


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def days(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}".removesuffix(".0")


def when(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value.tzinfo else value.isoformat()
    return value.isoformat()


@cache
def environment() -> Environment:
    # autoescape=True for every template (not only *.html): all document text is untrusted.
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(ticket_href=ticket_href, percent=percent, days=days, when=when)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
