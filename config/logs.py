"""Logging for the receiver, the workers and beat: text or one JSON object a line, with request context.

The context (delivery id, postmortem id, task id) lives in a contextvar: the receiver binds the webhook's
delivery id for the request, the Celery signals bind the task id and postmortem for the task, and a filter
copies them onto every record. Only these fields and the message are written: never request bodies,
headers or the record's other attributes (a library may put anything there).

The formatter is hand-written (20 lines): python-json-logger writes every extra attribute of a record by
default, the opposite of that rule, and structlog would replace the standard logging Celery and uvicorn
configure themselves.
"""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

#: The context fields every record carries (None when unknown).
FIELDS = ("delivery_id", "postmortem_id", "task_id")
#: Context values are untrusted (headers, payload ids): cut to this many characters.
MAX_FIELD = 200

_EMPTY: Mapping[str, str] = MappingProxyType({})
_context: ContextVar[Mapping[str, str]] = ContextVar("followthrough_log_context", default=_EMPTY)


def _clean(value: object) -> str:
    text = str(value)[:MAX_FIELD]
    if text.isprintable():  # nearly always (a delivery id, a task id): no pass over each character
        return text
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def bind(**fields: object) -> None:
    """Add fields to the current context until `clear()` (Celery tasks: bound at start, cleared at end)."""
    merged = dict(_context.get())
    merged.update({name: _clean(value) for name, value in fields.items() if value and name in FIELDS})
    _context.set(merged)


def clear() -> None:
    """Forget every context field."""
    _context.set(_EMPTY)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Bind fields for the duration of a block (a request)."""
    token = _context.set(dict(_context.get()))
    try:
        bind(**fields)
        yield
    finally:
        _context.reset(token)


def current() -> dict[str, str]:
    """The fields bound now."""
    return dict(_context.get())


class ContextFilter(logging.Filter):
    """Copies the bound context onto each record (as attributes named after FIELDS)."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _context.get()
        for name in FIELDS:
            if not hasattr(record, name) or getattr(record, name) is None:
                setattr(record, name, bound.get(name))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the context fields, and any exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        bound = _context.get()
        for name in FIELDS:
            value = getattr(record, name, None) or bound.get(name)
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def printable(value: object, limit: int = 1000) -> str:
    """Untrusted text for a log line: cut to `limit` characters, control characters escaped."""
    text = str(value)[:limit]
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class TextFormatter(logging.Formatter):
    """The text format, with the message's control characters escaped: a request path or header that
    holds a newline cannot forge a log line (the traceback, added after, keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        message = record.message
        if not message.isprintable():
            record.message = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)
        return super().formatMessage(record)


def dict_config(log_format: str, level: str | int = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for one process: stderr, our formatter, the context filter.

    Also used as uvicorn's `log_config`, so its error and access loggers write the same lines.
    """
    formatter: dict[str, Any] = (
        {"()": "config.logs.JsonFormatter"} if log_format == "json"
        else {"()": "config.logs.TextFormatter", "fmt": TEXT_FORMAT}
    )
    level_name = logging.getLevelName(level) if isinstance(level, int) else str(level).upper()
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["context"],
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "config.logs.ContextFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level_name},
        "loggers": {
            name: {"handlers": ["main"], "level": level_name, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure(log_format: str, level: str | int = "INFO") -> None:
    """Configure this process's logging (the CLI's serve; Celery sets up its own, see `restyle`)."""
    logging.config.dictConfig(dict_config(log_format, level))


def restyle(log_format: str, loggers: tuple[str, ...] = ("", "celery.task")) -> None:
    """Give the handlers Celery installed our filter, and the JSON formatter when asked for.

    Celery configures logging itself (root, and `celery.task`, which does not propagate); this keeps its
    handlers, levels and files and only changes how each line is written.
    """
    if log_format == "json":
        logging.captureWarnings(True)  # later warnings become log lines too, not raw stderr text
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, ContextFilter) for f in handler.filters):
                handler.addFilter(ContextFilter())
            if log_format == "json":
                handler.setFormatter(JsonFormatter())
