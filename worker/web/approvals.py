"""The approval hooks: which deliveries approve a postmortem, and which ingest task each one queues.

`POST /hooks/postmortem-approved` (our generic hook, the document in the body), `/hooks/github` (a pull
request merged into the postmortem branch) and `/hooks/jira` (an issue moved to the approved status). Each
handler decides on a verified payload (worker.web.receive reads, verifies and answers; worker.web.hooks
lists the hooks); the vendor payload
parsers are the connectors' (connectors.github_events, connectors.jira_events). A handler never calls a
tracker or parses a document.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from config.logs import bind as bind_log_context
from config.settings import Settings
from connectors.confluence_events import confluence_page_event
from connectors.github_events import github_merged_pull, github_open_pull
from connectors.jira_events import jira_approved_issue, jira_review_issue
from worker.errors import UserError
from worker.service.requests import IngestRequest, parse_request
from worker.service.trust import check_source
from worker.tasks.names import (
    INGEST_PULL_TASK,
    INGEST_TASK,
    POLL_SOURCE_TASK,
    PREVIEW_JIRA_TASK,
    PREVIEW_PULL_TASK,
)
from worker.web.body import HookError
from worker.web.receive import Answer, Delivery, Enqueue, Outcome
from worker.web.signatures import signed_payload


def _request(settings: Settings, payload: Any) -> IngestRequest:
    try:
        ingest = parse_request(payload)
        check_source(settings, ingest)
    except UserError as exc:
        raise HookError(422, str(exc)) from None
    return ingest


def generic(settings: Settings, delivery: Delivery) -> Outcome:
    """Our own hook: the postmortem (or the source to read it from) is the signed body."""
    ingest = _request(settings, delivery.payload)
    bind_log_context(postmortem_id=ingest.id)
    size = len(ingest.content.encode("utf-8")) if ingest.content is not None else 0
    if size > settings.max_document_bytes:
        raise HookError(413, "content over max_document_bytes")
    if ingest.team and settings.teams and ingest.team not in settings.teams:
        raise HookError(422, f"team {ingest.team[:100]!r} is not configured")
    signed_at = int(delivery.signed_at or 0)  # the timestamped scheme always gives it
    # The signed time orders this postmortem's versions: a replayed older delivery never wins.
    ingest = ingest.model_copy(update={"version": datetime.fromtimestamp(signed_at, UTC)})
    # Dedupe on what is signed, never on unsigned headers.
    key = hashlib.sha256(signed_payload(signed_at, delivery.body)).hexdigest()
    return Enqueue(key, INGEST_TASK, [ingest.to_task()])


def github(settings: Settings, delivery: Delivery) -> Outcome:
    """A pull request merged into the postmortem branch: ingest its changed files."""
    event = delivery.headers.get("X-GitHub-Event")
    if event == "ping":
        return Answer({"status": "pong"})
    merged = github_merged_pull(event, delivery.payload, settings.sources.github)
    # GitHub signs the body only; a replay with a new delivery id is made harmless by the merge time.
    key = delivery.headers.get("X-GitHub-Delivery") or hashlib.sha256(delivery.body).hexdigest()
    if merged is None:
        # An open pull request with a new version: its review preview is refreshed (no ticket made).
        review = github_open_pull(event, delivery.payload, settings.sources.github)
        if review is None:
            return Answer({"status": "ignored"})
        return Enqueue(key, PREVIEW_PULL_TASK, [review.repo, review.number])
    return Enqueue(key, INGEST_PULL_TASK, [merged.repo, merged.number])


def jira(settings: Settings, delivery: Delivery) -> Outcome:
    """An issue of a configured project moved to the approved status: ingest its description."""
    source = settings.sources.jira
    issue = jira_approved_issue(delivery.payload, source)
    key = delivery.headers.get("X-Atlassian-Webhook-Identifier") or hashlib.sha256(delivery.body).hexdigest()
    review = jira_review_issue(delivery.payload, source) if issue is None else None
    if review is not None:
        return Enqueue(key, PREVIEW_JIRA_TASK, [review])  # a review's new version: refresh its preview
    if issue is None or source is None:
        return Answer({"status": "ignored"})
    # The issue key comes from the payload: validate it like any request (a bad one is a 422, no traceback).
    ingest = _request(settings, {"source": f"jira:{issue}", "team": source.team})
    bind_log_context(postmortem_id=issue)
    return Enqueue(key, INGEST_TASK, [ingest.to_task()])


#: How old a Confluence event's signed `timestamp` may be: Data Center signs the body only, so an older
#: delivery is a replay (a replay within the window repeats its body, which the outbox dedupes).
CONFLUENCE_EVENT_MAX_AGE_SECONDS = 3600


def confluence(settings: Settings, delivery: Delivery) -> Outcome:
    """A Data Center page or label event in a configured space: re-read the page (it may be approved)."""
    source = settings.sources.confluence
    event = confluence_page_event(delivery.payload, delivery.headers)
    if source is None or event is None:
        return Answer({"status": "ignored"})
    # The signed `timestamp` (milliseconds) dates the delivery: an old one is a replay. Without one, the
    # outbox's dedupe on the body and the page's version ordering still make a replay harmless.
    if event.timestamp is not None:
        age = datetime.now(UTC).timestamp() - event.timestamp / 1000
        if age > CONFLUENCE_EVENT_MAX_AGE_SECONDS:
            raise HookError(401, "the event is too old (a replay)")
    space = source.space(event.space_key)
    if space is None:
        raise HookError(422, f"space {event.space_key[:50]!r} is not a configured postmortem space")
    ingest = _request(settings, {"source": f"confluence:{event.page_id}", "team": space.team or source.team})
    bind_log_context(postmortem_id=f"confluence:{event.page_id}")
    return Enqueue(hashlib.sha256(delivery.body).hexdigest(), INGEST_TASK, [ingest.to_task()])


def gdrive(settings: Settings, delivery: Delivery) -> Outcome:
    """A Drive push notification of a live channel: poll the change feed (the notification says no more)."""
    if settings.sources.gdocs is None:
        return Answer({"status": "ignored"})
    state = delivery.headers.get("X-Goog-Resource-State", "")
    if state == "sync":
        return Answer({"status": "ok"})  # the first message of every channel: nothing changed yet
    channel = delivery.headers.get("X-Goog-Channel-ID", "")
    number = delivery.headers.get("X-Goog-Message-Number", "")
    if not number.isdigit():
        # Drive numbers every message; without a number, dedupe on what the headers say.
        goog = sorted((k.lower(), v) for k, v in delivery.headers.items() if k.lower().startswith("x-goog-"))
        number = hashlib.sha256(repr(goog).encode()).hexdigest()
    return Enqueue(f"{channel}:{number}", POLL_SOURCE_TASK, ["gdocs"])
