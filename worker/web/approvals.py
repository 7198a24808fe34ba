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
from connectors.github_events import github_merged_pull
from connectors.jira_events import jira_approved_issue
from worker.errors import UserError
from worker.service.requests import IngestRequest, parse_request
from worker.service.trust import check_source
from worker.tasks.names import INGEST_PULL_TASK, INGEST_TASK
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
    if merged is None:
        return Answer({"status": "ignored"})
    # GitHub signs the body only; a replay with a new delivery id is made harmless by the merge time.
    key = delivery.headers.get("X-GitHub-Delivery") or hashlib.sha256(delivery.body).hexdigest()
    return Enqueue(key, INGEST_PULL_TASK, [merged.repo, merged.number])


def jira(settings: Settings, delivery: Delivery) -> Outcome:
    """An issue of a configured project moved to the approved status: ingest its description."""
    source = settings.sources.jira
    issue = jira_approved_issue(delivery.payload, source)
    if issue is None or source is None:
        return Answer({"status": "ignored"})
    key = delivery.headers.get("X-Atlassian-Webhook-Identifier") or hashlib.sha256(delivery.body).hexdigest()
    # The issue key comes from the payload: validate it like any request (a bad one is a 422, no traceback).
    ingest = _request(settings, {"source": f"jira:{issue}", "team": source.team})
    bind_log_context(postmortem_id=issue)
    return Enqueue(key, INGEST_TASK, [ingest.to_task()])
