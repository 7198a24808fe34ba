"""JSON log lines and their context fields; the Celery signal handlers that count task outcomes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from celery import signals
from celery.exceptions import Retry
from prometheus_client import REGISTRY

from config import logs
from config.celery_app import make_celery
from config.settings import load_settings
from config.task_signals import postmortem_of
from connectors.errors import RateLimited, Transient
from worker.errors import UserError
from worker.models import postmortem_key
from worker.tasks.names import INGEST_TASK, RESYNC_TASK, SYNC_TASK


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("tests.json_log")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logs.clear()


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_context_fields_are_added_and_restored(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    logger.info("before")
    with logs.log_context(delivery_id="d-1"):
        logs.bind(postmortem_id="PM-7", task_id=None, body="never")  # unknown or empty fields are dropped
        logger.info("inside %s", "hook")
    logger.info("after")
    before, inside, after = _lines(stream)
    assert "delivery_id" not in before and "delivery_id" not in after and "postmortem_id" not in after
    assert inside["message"] == "inside hook"
    assert (inside["delivery_id"], inside["postmortem_id"]) == ("d-1", "PM-7")
    assert set(inside) == {"time", "level", "logger", "message", "delivery_id", "postmortem_id"}


def test_extra_attributes_are_not_written_and_values_are_cleaned(
        json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    with logs.log_context(delivery_id="evil\nline\x1b[31m" + "x" * 500):
        logger.info("hook", extra={"body": "SECRET BODY", "headers": {"Authorization": "token"}})
    (entry,) = _lines(stream)
    assert "SECRET BODY" not in stream.getvalue() and "Authorization" not in stream.getvalue()
    delivery = str(entry["delivery_id"])
    assert len(delivery) == logs.MAX_FIELD and "\n" not in delivery and "\x1b" not in delivery


def test_exceptions_are_one_json_line(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    try:
        raise ValueError("bad")
    except ValueError:
        logger.exception("failed")
    assert len(stream.getvalue().splitlines()) == 1
    (entry,) = _lines(stream)
    assert entry["exc_type"] == "ValueError" and "Traceback" in str(entry["exc"])


def test_restyle_turns_celery_handlers_to_json() -> None:
    logger = logging.getLogger("tests.restyle")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # not inherited from whatever level the root logger has by now
    logger.propagate = False
    try:
        logs.restyle("json", loggers=("tests.restyle",))
        logs.restyle("json", loggers=("tests.restyle",))  # twice: still one filter
        with logs.log_context(task_id="t-1"):
            logger.warning("hello")
    finally:
        logger.removeHandler(handler)
    assert json.loads(stream.getvalue())["task_id"] == "t-1"
    assert len(handler.filters) == 1


@pytest.mark.parametrize(("task", "args", "kwargs", "expected"), [
    (SYNC_TASK, ["a1b2c3d4e5f6"], {}, "a1b2c3d4e5f6"),
    (SYNC_TASK, [], {"postmortem_key": "k"}, "k"),
    (RESYNC_TASK, ["k2"], {}, "k2"),
    # An ingest's lines carry the store key its id or source implies, as the receiver's and sync's do.
    (INGEST_TASK, [{"id": "PM-1", "content": "..."}], {}, postmortem_key("PM-1")),
    (INGEST_TASK, [{"source": "jira:PIR-7"}], {}, postmortem_key("jira:PIR-7")),
    (INGEST_TASK, [{"source": "github:acme/pm@abc123:postmortems/x.md"}], {},
     postmortem_key("github:acme/pm:postmortems/x.md")),
    (INGEST_TASK, [{"content": "no id"}], {}, None),
    ("followthrough.reconcile", [], {}, None),
])
def test_postmortem_of_task_arguments(task: str, args: list[object], kwargs: dict[str, object],
                                      expected: str | None) -> None:
    make_celery(load_settings())  # installs the handlers with the task names
    assert postmortem_of(task, args, kwargs) == expected


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_task_outcomes_are_counted_through_celerys_signals() -> None:
    import worker.tasks.pipeline  # noqa: F401 (registers the shared tasks)

    celery = make_celery(load_settings())
    sync, ingest = celery.tasks[SYNC_TASK], celery.tasks[INGEST_TASK]
    before = {
        "ok": _value("followthrough_syncs_total", result="ok"),
        "partial": _value("followthrough_syncs_total", result="partial"),
        "retry": _value("followthrough_syncs_total", result="retry"),
        "created": _value("followthrough_tickets_created_total"),
        "waits": _value("followthrough_rate_limit_waits_total", source="retry"),
        "seconds": _value("followthrough_rate_limit_wait_seconds_total", source="retry"),
        "invalid": _value("followthrough_ingests_total", result="invalid"),
        "unchanged": _value("followthrough_ingests_total", result="unchanged"),
    }
    signals.task_success.send(sender=sync, result={"created": 3, "unchanged": 2})
    signals.task_success.send(sender=sync, result={"created": 1, "failed": 1})
    signals.task_retry.send(sender=sync, request=None, einfo=None,
                            reason=Retry(exc=RateLimited("429", retry_after=30), when=31.5))
    signals.task_retry.send(sender=sync, request=None, einfo=None, reason=Retry(exc=Transient("502"), when=4))
    signals.task_failure.send(sender=ingest, exception=UserError("not a document"))
    signals.task_success.send(sender=ingest, result={"changed": False})
    assert _value("followthrough_syncs_total", result="ok") - before["ok"] == 1
    assert _value("followthrough_syncs_total", result="partial") - before["partial"] == 1
    assert _value("followthrough_syncs_total", result="retry") - before["retry"] == 2
    assert _value("followthrough_tickets_created_total") - before["created"] == 4
    assert _value("followthrough_rate_limit_waits_total", source="retry") - before["waits"] == 1
    # A float counter other tests in this process may have moved already: the difference is 31.5 up to
    # rounding (2.7788... + 31.5 - 2.7788... is 31.499999999999996).
    waited = _value("followthrough_rate_limit_wait_seconds_total", source="retry") - before["seconds"]
    assert waited == pytest.approx(31.5, abs=1e-9)
    assert _value("followthrough_ingests_total", result="invalid") - before["invalid"] == 1
    assert _value("followthrough_ingests_total", result="unchanged") - before["unchanged"] == 1
