"""The Notion and GitLab approval hooks: which deliveries mean "read this postmortem again".

`POST /hooks/notion`: Notion's events are signals without content. A page event queues an ingest of
the page; the ingest re-reads it and keeps it only when it is in a configured database and approved
(its status property), and its `last_edited_time` orders versions, so events arriving out of order or
replayed change nothing. Events whose authors are all our own bot (or, with no bot id configured, all
bots or agents) are ignored. The unsigned subscription handshake is answered, and its token written to
`notion_verification_file` when set (never logged): it is the secret the events are signed with.

`POST /hooks/gitlab`: a push to the postmortem branch, a merge request merged into it or approved, or
(when configured) an incident issue closed. Pushes and merge requests go to the GitLab change task, which
reads the changed files; handlers never call GitLab.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from config.logs import bind as bind_log_context
from config.settings import Settings
from config.sources import GitLabSource
from connectors.gitlab_events import (
    gitlab_closed_incident,
    gitlab_merge_request,
    gitlab_open_merge_request,
    gitlab_project,
    gitlab_push,
)
from connectors.notion_events import is_page_event, notion_page_event, own_edit
from worker.service.requests import IngestRequest
from worker.tasks.names import INGEST_GITLAB_TASK, INGEST_TASK, PREVIEW_GITLAB_TASK
from worker.web.body import HookError
from worker.web.receive import Answer, Delivery, Enqueue, Outcome
from worker.web.signatures import BadSignature
from worker.web.source_signatures import NOTION_HEADER, verify_standard_webhook


def _handshake(settings: Settings, token: str) -> Outcome:
    if settings.notion_webhook_secret is not None:
        # Verified already: an unsigned request must not replace the token the operator will paste.
        return Answer({"status": "ignored", "reason": "already verified"})
    path = settings.notion_verification_file
    if path:
        # Written for the operator to paste into Notion and FOLLOWTHROUGH_NOTION_WEBHOOK_SECRET.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
    return Answer({"status": "verification token received"})


def notion(settings: Settings, delivery: Delivery) -> Outcome:
    """A Notion page event: queue a re-read of the page (the handshake is answered)."""
    payload = delivery.payload
    if NOTION_HEADER not in delivery.headers:  # the scheme let only the handshake through unsigned
        return _handshake(settings, str(payload["verification_token"]))
    source = settings.sources.notion
    if source is None or not is_page_event(payload, source):
        return Answer({"status": "ignored"})
    if own_edit(source, payload.get("authors")):
        return Answer({"status": "ignored", "reason": "our own edit"})
    event = notion_page_event(payload)
    sent = datetime.fromisoformat(event.timestamp.replace("Z", "+00:00"))
    if datetime.now(UTC) - sent > timedelta(seconds=settings.webhook_dedupe_ttl_seconds):
        # Older than the dedupe window: a replay could no longer be recognised.
        raise HookError(400, "event too old")
    bind_log_context(postmortem_id=f"notion:{event.page}")
    request = IngestRequest(source=f"notion:{event.page}", team=source.team)
    return Enqueue(f"notion:{event.event_id}", INGEST_TASK, [request.to_task()])


def _incident(settings: Settings, source: GitLabSource, payload: dict[str, Any]) -> Outcome | None:
    closed = gitlab_closed_incident(source, payload)
    if closed is None:
        return None
    request = IngestRequest(source=closed[0], team=source.team)
    return Enqueue(f"gitlab-incident:{request.source}:{closed[1]}", INGEST_TASK, [request.to_task()])


def _signed_key(settings: Settings, delivery: Delivery) -> str:
    """The dedupe key: the Standard Webhooks id when signed (checked here), else the body's hash."""
    secret = settings.gitlab_signing_secret
    if secret is None:
        return "gitlab:" + hashlib.sha256(delivery.body).hexdigest()
    try:
        webhook_id, _ = verify_standard_webhook(secret, delivery.body, delivery.headers, now=time.time())
    except BadSignature as exc:
        raise HookError(401, str(exc)) from None
    return f"gitlab:{webhook_id}"


def gitlab(settings: Settings, delivery: Delivery) -> Outcome:
    """A push or merge request on the postmortem branch, or a closed incident, of the configured project."""
    key = _signed_key(settings, delivery)
    source = settings.sources.gitlab
    payload = delivery.payload
    if source is None or not source.has_project(gitlab_project(payload)):
        return Answer({"status": "ignored"})
    event = delivery.headers.get("X-Gitlab-Event")
    if event == "Issue Hook":
        outcome = _incident(settings, source, payload)
        return outcome or Answer({"status": "ignored"})
    change = gitlab_push(source, payload) if event == "Push Hook" else (
        gitlab_merge_request(source, payload) if event == "Merge Request Hook" else None)
    if change is None:
        review = gitlab_open_merge_request(source, payload) if event == "Merge Request Hook" else None
        if review is None:
            return Answer({"status": "ignored"})
        # An open merge request with a new version: its review preview is refreshed (no ticket made).
        return Enqueue(key, PREVIEW_GITLAB_TASK, [source.project, review])
    return Enqueue(key, INGEST_GITLAB_TASK, [change])
