"""Celery tasks of the postmortem contract: keep a review's preview current, write ticket links back.

Thin wrappers over worker.contract.flows with the pipeline's retry rule. Each is idempotent: a preview
is found by its marker and edited, and write-back writes nothing when the links are there already.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from worker.contract import flows, review_sweep, source_flows
from worker.tasks.names import (
    PREVIEW_GITLAB_TASK,
    PREVIEW_JIRA_TASK,
    PREVIEW_NOTION_TASK,
    PREVIEW_PULL_TASK,
    PREVIEW_SWEEP_TASK,
    WRITE_BACK_TASK,
)
from worker.tasks.pipeline import MAX_RETRIES, _outbox_entry, _retry, _settings
from worker.tasks.retry import RETRYABLE

log = logging.getLogger(__name__)


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=PREVIEW_PULL_TASK, max_retries=MAX_RETRIES
)
def preview_pull_request(self: Task, repo: str, number: int, outbox_id: int | None = None) -> dict[str, Any]:
    """Post or edit the one preview of an open pull request that touches postmortem files."""
    settings = _settings(self)
    with _outbox_entry(settings, outbox_id):
        try:
            posted = flows.preview_pull(settings, repo, number)
        except RETRYABLE as exc:
            raise _retry(self, exc) from None
    return {"preview": posted.action, "postmortems": len(posted.previews)}


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=PREVIEW_JIRA_TASK, max_retries=MAX_RETRIES
)
def preview_jira_review(self: Task, key: str, outbox_id: int | None = None) -> dict[str, Any]:
    """Post or edit the one preview comment of a Jira postmortem review."""
    settings = _settings(self)
    with _outbox_entry(settings, outbox_id):
        try:
            posted = flows.preview_jira(settings, key)
        except RETRYABLE as exc:
            raise _retry(self, exc) from None
    return {"preview": posted.action, "postmortems": len(posted.previews)}


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=PREVIEW_GITLAB_TASK, max_retries=MAX_RETRIES
)
def preview_gitlab_merge_request(self: Task, project: str, iid: int,
                                 outbox_id: int | None = None) -> dict[str, Any]:
    """Post or edit the one preview note of an open GitLab merge request touching postmortem files."""
    settings = _settings(self)
    with _outbox_entry(settings, outbox_id):
        try:
            action, previews, _ = source_flows.preview_gitlab(settings, project, iid)
        except RETRYABLE as exc:
            raise _retry(self, exc) from None
    return {"preview": action, "postmortems": len(previews)}


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=PREVIEW_NOTION_TASK, max_retries=MAX_RETRIES
)
def preview_notion_page(self: Task, page: str) -> dict[str, Any]:
    """Post or edit the one preview comment of a Notion page in the review status."""
    settings = _settings(self)
    try:
        action, previews, _ = source_flows.preview_notion(settings, page)
    except RETRYABLE as exc:
        raise _retry(self, exc) from None
    return {"preview": action, "postmortems": len(previews)}


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=PREVIEW_SWEEP_TASK, max_retries=MAX_RETRIES
)
def preview_reviews(self: Task) -> dict[str, Any]:
    """Keep the one preview of each Confluence page and Google Doc under review current."""
    settings = _settings(self)
    window = int(2 * settings.reconcile_every_minutes) + 1  # overlapping windows: CQL search lags edits
    actions: dict[str, int] = {}
    try:
        for page in review_sweep.confluence_reviews(settings, minutes=window):
            action = source_flows.preview_confluence(settings, page)[0].split(":")[0]
            actions[action] = actions.get(action, 0) + 1
        for doc in review_sweep.gdocs_reviews(settings):
            action = source_flows.preview_gdocs(settings, doc)[0].split(":")[0]
            actions[action] = actions.get(action, 0) + 1
    except RETRYABLE as exc:
        raise _retry(self, exc) from None
    return actions


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=WRITE_BACK_TASK, max_retries=MAX_RETRIES
)
def write_back(self: Task, postmortem_key: str) -> dict[str, Any]:
    """Write each tracked item's ticket link into the postmortem (a no-op where write-back is off)."""
    settings = _settings(self)
    try:
        result = flows.write_back_postmortem(settings, postmortem_key)
    except RETRYABLE as exc:
        raise _retry(self, exc) from None
    if result is None:
        return {"status": "off"}
    return {"status": result.status, "written": list(result.written), "attempts": result.attempts,
            "reason": result.reason}
