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
from config.sources import GitLabSource, notion_id
from worker.service.requests import IngestRequest
from worker.tasks.names import INGEST_GITLAB_TASK, INGEST_TASK
from worker.web.body import HookError
from worker.web.receive import Answer, Delivery, Enqueue, Outcome
from worker.web.signatures import BadSignature
from worker.web.source_signatures import NOTION_HEADER, verify_standard_webhook

#: Notion event types that can change a page's text or its status property.
NOTION_PAGE_EVENTS = frozenset({"page.created", "page.content_updated", "page.properties_updated",
                                "page.undeleted", "page.moved"})


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


def _own_edit(settings: Settings, authors: Any) -> bool:
    source = settings.sources.notion
    if not isinstance(authors, list) or not authors:
        return False
    if source is not None and source.bot_id:
        ours = source.bot_id.replace("-", "").lower()
        return all(str(a.get("id", "")).replace("-", "").lower() == ours for a in authors)
    return all(a.get("type") in ("bot", "agent") for a in authors)


def notion(settings: Settings, delivery: Delivery) -> Outcome:
    """A Notion page event: queue a re-read of the page (the handshake is answered)."""
    payload = delivery.payload
    if NOTION_HEADER not in delivery.headers:  # the scheme let only the handshake through unsigned
        return _handshake(settings, str(payload["verification_token"]))
    source = settings.sources.notion
    entity = payload.get("entity") or {}
    if source is None or payload.get("type") not in NOTION_PAGE_EVENTS or entity.get("type") != "page":
        return Answer({"status": "ignored"})
    if _own_edit(settings, payload.get("authors")):
        return Answer({"status": "ignored", "reason": "our own edit"})
    sent = datetime.fromisoformat(str(payload["timestamp"]).replace("Z", "+00:00"))
    if datetime.now(UTC) - sent > timedelta(seconds=settings.webhook_dedupe_ttl_seconds):
        # Older than the dedupe window: a replay could no longer be recognised.
        raise HookError(400, "event too old")
    page = notion_id(str(entity["id"]))
    bind_log_context(postmortem_id=f"notion:{page}")
    request = IngestRequest(source=f"notion:{page}", team=source.team)
    return Enqueue(f"notion:{payload['id']}", INGEST_TASK, [request.to_task()])


def _gitlab_branch(source: GitLabSource, payload: dict[str, Any]) -> str:
    return source.branch or str((payload.get("project") or {}).get("default_branch") or "")


def _push(source: GitLabSource, payload: dict[str, Any]) -> dict[str, Any] | None:
    if payload.get("ref") != f"refs/heads/{_gitlab_branch(source, payload)}" or not payload.get("after"):
        return None
    commits = payload.get("commits") or []
    paths = {p for c in commits for key in ("added", "modified") for p in c.get(key) or []}
    # A push lists only its first 20 commits: past that, the task compares before..after instead.
    complete = int(payload.get("total_commits_count") or 0) <= len(commits)
    wanted = sorted(p for p in paths if isinstance(p, str) and source.covers(p))
    if complete and not wanted:
        return None
    return {"project": source.project, "sha": str(payload["after"]), "before": str(payload.get("before")),
            "paths": wanted if complete else None}


def _merge_request(source: GitLabSource, payload: dict[str, Any]) -> dict[str, Any] | None:
    attributes = payload.get("object_attributes") or {}
    if attributes.get("action") not in ("merge", "approved"):
        return None
    if attributes.get("target_branch") != _gitlab_branch(source, payload):
        return None
    return {"project": source.project, "mr": int(attributes["iid"])}


def _incident(settings: Settings, source: GitLabSource, payload: dict[str, Any]) -> Outcome | None:
    attributes = payload.get("object_attributes") or {}
    if not source.incidents or attributes.get("issue_type") != "incident":
        return None
    if attributes.get("action") != "close":
        return None
    request = IngestRequest(source=f"gitlab-incident:{source.project}#{int(attributes['iid'])}",
                            team=source.team)
    return Enqueue(f"gitlab-incident:{request.source}:{attributes.get('updated_at')}", INGEST_TASK,
                   [request.to_task()])


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
    project = str((payload.get("project") or {}).get("path_with_namespace") or "")
    if source is None or not source.has_project(project):
        return Answer({"status": "ignored"})
    event = delivery.headers.get("X-Gitlab-Event")
    if event == "Issue Hook":
        outcome = _incident(settings, source, payload)
        return outcome or Answer({"status": "ignored"})
    change = _push(source, payload) if event == "Push Hook" else (
        _merge_request(source, payload) if event == "Merge Request Hook" else None)
    if change is None:
        return Answer({"status": "ignored"})
    return Enqueue(key, INGEST_GITLAB_TASK, [change])
