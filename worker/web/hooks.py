"""The table of webhooks: each hook's path, secret, signature scheme, body limit and handler.

Adding a hook is one row here and one handler (worker.web.approvals for hooks that queue an ingest,
worker.web.ticket_changes for hooks that write ticket changes); worker.web.receive does the rest.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import SecretStr
from starlette.routing import Route

from config.settings import Settings
from worker.web import approvals, source_approvals, ticket_changes
from worker.web.drive_channel import DriveChannel
from worker.web.receive import Hook, Receiver, StoreOpener, hook_routes
from worker.web.signatures import HubSignature, TimestampedSignature
from worker.web.source_signatures import GitLabToken, NotionSignature

#: Header of the generic hook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
SIGNATURE_HEADER = "X-Followthrough-Signature"
#: Room for the JSON envelope and escaping around a document of max_document_bytes.
ENVELOPE_BYTES = 64 * 1024
#: GitHub's and Jira's events carry no document: 1 MiB is ample (GitHub caps payloads at 25 MB, but a
#: pull_request or issue_updated event is a few tens of KB).
TRACKER_HOOK_BYTES = 1024 * 1024
#: The status hooks have answered these refusals in shorter words since they were added (HTTP contract).
STATUS_REASONS = {503: "no webhook secret is configured", 413: "body too large"}


def body_limit(settings: Settings) -> int:
    """Largest generic body: a document JSON-escaped (up to twice its size) plus the envelope."""
    return 2 * settings.max_document_bytes + ENVELOPE_BYTES


def tracker_limit(settings: Settings) -> int:
    """Largest GitHub or Jira body."""
    return TRACKER_HOOK_BYTES


def generic_secret(settings: Settings) -> SecretStr | None:
    return settings.webhook_secret


def github_secret(settings: Settings) -> SecretStr | None:
    return settings.github_webhook_secret or settings.webhook_secret


def jira_secret(settings: Settings) -> SecretStr | None:
    return settings.jira_webhook_secret or settings.webhook_secret


#: Until the Notion token is configured, events are checked against a key nobody knows (so all are
#: refused) while the unsigned subscription handshake that delivers the token still gets through.
_UNSET_NOTION_SECRET = SecretStr(secrets.token_hex(32))


def notion_secret(settings: Settings) -> SecretStr | None:
    return settings.notion_webhook_secret or _UNSET_NOTION_SECRET


def gitlab_secret(settings: Settings) -> SecretStr | None:
    return settings.gitlab_webhook_secret or settings.webhook_secret


def confluence_secret(settings: Settings) -> SecretStr | None:
    return settings.confluence_webhook_secret or settings.webhook_secret


def gdrive_secret(settings: Settings) -> SecretStr | None:
    return settings.gdrive_channel_secret


GITHUB_SIGNATURE = HubSignature("X-Hub-Signature-256")
JIRA_SIGNATURE = HubSignature("X-Hub-Signature")  # Jira signs admin webhooks only

#: Hooks that approve a postmortem and queue its ingest through the outbox. The kind names the outbox
#: rows and the log lines.
APPROVAL_HOOKS = (
    Hook("generic", "/hooks/postmortem-approved", generic_secret, TimestampedSignature(SIGNATURE_HEADER),
         body_limit, approvals.generic),
    Hook("github", "/hooks/github", github_secret, GITHUB_SIGNATURE, tracker_limit, approvals.github),
    Hook("jira", "/hooks/jira", jira_secret, JIRA_SIGNATURE, tracker_limit, approvals.jira),
    Hook("notion", "/hooks/notion", notion_secret, NotionSignature(), tracker_limit, source_approvals.notion),
    Hook("gitlab", "/hooks/gitlab", gitlab_secret, GitLabToken(), tracker_limit, source_approvals.gitlab),
    # Confluence Data Center admin webhooks sign like Jira's (Cloud has none: it is polled).
    Hook("confluence", "/hooks/confluence", confluence_secret, HubSignature("X-Hub-Signature"),
         tracker_limit, approvals.confluence),
    Hook("gdrive", "/hooks/gdrive", gdrive_secret, DriveChannel(), tracker_limit, approvals.gdrive,
         empty_body=True),
)
#: Hooks that write tracker ticket changes (status, due date, assignee) to the store at once.
STATUS_HOOKS = (
    Hook("status-jira", "/hooks/status/jira", jira_secret, JIRA_SIGNATURE, tracker_limit,
         ticket_changes.jira_change, STATUS_REASONS),
    Hook("status-github", "/hooks/status/github", github_secret, GITHUB_SIGNATURE, tracker_limit,
         ticket_changes.github_change, STATUS_REASONS),
)
HOOKS = (*APPROVAL_HOOKS, *STATUS_HOOKS)


def status_routes(settings: Settings, open_store: StoreOpener, *, celery: Any = None) -> list[Route]:
    """The status hooks alone, writing to the store `open_store` opens (they publish nothing)."""
    return hook_routes(Receiver(settings, celery=celery, open_store=open_store), STATUS_HOOKS)
