"""The one JSON style of every `--format json`: one document on one line, UTF-8, ISO dates, null for unset."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Any

FORMAT_CHOICES = ("table", "json")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(document: Any) -> str:
    """The JSON text of `document` in the house style (no trailing newline)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=_default)


def print_json(document: Any) -> None:
    """Write `document` to stdout as one line of JSON."""
    sys.stdout.write(dumps(document) + "\n")
    sys.stdout.flush()
