"""The parser's limits and their defaults, readable without building the settings.

`followthrough parse` needs only these two settings. Building `Settings` imports pydantic-settings and
reads every source (about half of the command's start-up). When neither a `.env` file here nor a
configuration file (FOLLOWTHROUGH_CONFIG) could set them, they come from the environment alone: read here
when each is absent or a plain number in range. Otherwise (anything pydantic would have to judge) the
caller builds the settings as every other command does, so a bad value fails with the same one-line error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: Default of FOLLOWTHROUGH_MAX_DOCUMENT_BYTES.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
#: Default of FOLLOWTHROUGH_PARSE_BUDGET_SECONDS, and its upper bound.
PARSE_BUDGET_SECONDS = 10.0
MAX_PARSE_BUDGET_SECONDS = 600.0
_INTEGER = re.compile(r"[0-9]{1,18}")
_DECIMAL = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,9})?")


class _Undecided(Exception):
    """The environment alone cannot decide: build the settings."""


def _env_value(name: str) -> str | None:
    # pydantic-settings reads names case-insensitively; two spellings at once are for it to judge.
    found = [value for key, value in os.environ.items() if key.upper() == name]
    if len(found) > 1:
        raise _Undecided
    return found[0].strip() if found else None


def _from_environment() -> tuple[int, float]:
    if Path(".env").exists() or os.environ.get("FOLLOWTHROUGH_CONFIG"):
        raise _Undecided
    size = _env_value("FOLLOWTHROUGH_MAX_DOCUMENT_BYTES")
    budget = _env_value("FOLLOWTHROUGH_PARSE_BUDGET_SECONDS")
    if (size is not None and not _INTEGER.fullmatch(size)) or (
            budget is not None and not _DECIMAL.fullmatch(budget)):
        raise _Undecided
    max_bytes = MAX_DOCUMENT_BYTES if size is None else int(size)
    seconds = PARSE_BUDGET_SECONDS if budget is None else float(budget)
    if max_bytes <= 0 or not 0 < seconds <= MAX_PARSE_BUDGET_SECONDS:
        raise _Undecided
    return max_bytes, seconds


def environment_limits() -> tuple[int, float] | None:
    """(max_document_bytes, parse_budget_seconds) from the environment alone, or None when only the
    settings can tell (a `.env` or configuration file, or a value pydantic would have to judge)."""
    try:
        return _from_environment()
    except _Undecided:
        return None
