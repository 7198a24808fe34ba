"""Celery tasks of follow-up: bulk status refresh and the per-team report send (thin wrappers on `jobs`).

Both are idempotent: a refresh rewrites what the trackers say, and a send goes through the ledger, so a
redelivered or retried send delivers only the channels that have not gone out for that period. A retry
carries the original moment (`at`), so it finishes the period it started even if it runs after the
period's end.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import Task, shared_task

from config.settings import Settings
from connectors.errors import TrackerError
from worker.followup import jobs
from worker.store.sends import CLAIM_LEASE
from worker.store.tracked import open_followup_store
from worker.tasks.names import REFRESH_TASK, REMIND_TASK, SEND_TASK
from worker.tasks.retry import RETRYABLE, countdown_for

log = logging.getLogger(__name__)

MAX_RETRIES = 8
#: Retry timing (worker/tasks/retry.py): about 1, 2, 4 ... minutes, at most 30, or the Retry-After.
RETRY_BASE = 60.0
RETRY_CAP = 1800.0


class DeliveryFailed(Exception):
    """Some channels of a report could not be delivered; the task retries them."""


def _countdown(task: Task, exc: BaseException) -> float:
    return countdown_for(exc, task.request.retries, base=RETRY_BASE, cap=RETRY_CAP)


def _settings(task: Task) -> Settings:
    settings = getattr(task.app, "settings", None)
    if not isinstance(settings, Settings):
        raise RuntimeError("the Celery app carries no Followthrough settings; use config.celery_app")
    return settings


@shared_task(bind=True, name=REFRESH_TASK, max_retries=MAX_RETRIES)  # type: ignore[untyped-decorator]
def refresh_statuses(self: Task, team: str | None = None) -> dict[str, Any]:
    """Read every managed ticket's state from the trackers (paged, by label) into the store."""
    settings = _settings(self)
    now = datetime.now(UTC)
    try:
        with open_followup_store(settings) as store:
            outcome = jobs.refresh(settings, store, now, team=team)
    except RETRYABLE as exc:
        raise self.retry(exc=exc, countdown=_countdown(self, exc)) from None
    return {"tickets": outcome.result.tickets, "changed": outcome.result.changed,
            "skipped": list(outcome.skipped)}


@shared_task(bind=True, name=SEND_TASK, max_retries=MAX_RETRIES)  # type: ignore[untyped-decorator]
def send_reports(self: Task, team: str | None = None, at: str | None = None) -> list[dict[str, Any]]:
    """Send this period's report of one team (or every team) that has not had it yet."""
    settings = _settings(self)
    now = datetime.fromisoformat(at) if at else datetime.now(UTC)
    with open_followup_store(settings) as store:
        try:
            # Freshest state first; when the tracker is unavailable the stored state still makes a report.
            jobs.refresh(settings, store, now, team=team)
        except TrackerError as exc:
            log.warning("send_reports: refresh failed (%s); reporting the stored state", type(exc).__name__)
        results = jobs.send_reports(settings, store, now, team=team)
    summary = [{"team": r.team, "period_start": r.period_start.isoformat(), "decision": r.decision,
                "failed": [o.target for o in r.failed]} for r in results]
    failed = sum(len(r.failed) for r in results)
    # "busy": another sender holds the channel's claim. It may be a worker killed mid-send, whose claim
    # only lapses after the lease; come back after it, or that channel's report is lost for the period.
    busy = sum(o.state == "busy" for r in results for o in r.channels)
    if failed or busy:
        undelivered = DeliveryFailed(f"{failed} channel(s) failed, {busy} busy")
        countdown = _countdown(self, undelivered)
        if busy:
            countdown = max(countdown, CLAIM_LEASE.total_seconds() + RETRY_BASE)
        raise self.retry(exc=undelivered, countdown=countdown, kwargs={"team": team, "at": now.isoformat()})
    return summary


@shared_task(bind=True, name=REMIND_TASK)  # type: ignore[untyped-decorator]
def send_reminders(self: Task, team: str | None = None, at: str | None = None) -> dict[str, Any]:
    """Send the owner reminders due now; a failed one is recorded and tried again on the next beat run."""
    settings = _settings(self)
    now = datetime.fromisoformat(at) if at else datetime.now(UTC)
    with open_followup_store(settings) as store:
        results = jobs.send_reminders(settings, store, now, team=team)
    return {name: [{"item": o.fingerprint, "trigger": o.trigger, "via": o.via, "state": o.state}
                   for o in outcomes] for name, outcomes in results.items()}
