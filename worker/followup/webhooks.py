"""Ticket changes pushed by the trackers (Jira `jira:issue_updated`, GitHub `issues`) into the store.

The parsers are pure (payload -> Ticket); `status_routes` mounts signed Starlette endpoints that apply
them at once, so a closed ticket leaves the next report without waiting for the periodic refresh (which
still runs: GitHub never redelivers a failed delivery). A replayed or late delivery cannot roll a ticket
back: changes older than what the store already holds are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.settings import Settings
from connectors.github_markup import ZWSP, parse_due, parse_fingerprint
from connectors.jira_fields import PriorityMap, fingerprint_from_labels, ticket_from_issue
from connectors.tracker import Ticket, TicketFields, TicketStatus

if TYPE_CHECKING:
    from worker.followup.storage import FollowupStore

#: GitHub `issues` actions that can change status, due date (body) or assignee.
GITHUB_ACTIONS = frozenset({"opened", "edited", "closed", "reopened", "assigned", "unassigned"})
MAX_BODY = 1024 * 1024


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def ticket_from_jira_event(payload: Any, *, server: str = "") -> Ticket | None:
    """The ticket in a `jira:issue_updated` event, or None for any other event."""
    body = _dict(payload)
    if body.get("webhookEvent") != "jira:issue_updated":
        return None
    issue = _dict(body.get("issue"))
    if not isinstance(issue.get("key"), str) or not issue["key"]:
        return None
    assignee = _dict(_dict(issue.get("fields")).get("assignee"))
    # Cloud identifies people by accountId only; Data Center by name.
    cloud = "accountId" in assignee or not assignee
    return ticket_from_issue(issue, server=server, cloud=cloud, priorities=PriorityMap({}))


def _github_status(state: Any, reason: Any) -> tuple[TicketStatus, str]:
    if state != "closed":
        return TicketStatus.OPEN, str(state or "open")
    if reason in ("not_planned", "duplicate"):
        return TicketStatus.DROPPED, f"closed ({reason})"
    return TicketStatus.DONE, f"closed ({reason or 'completed'})"


def _github_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def ticket_from_github_event(event: str | None, payload: Any) -> Ticket | None:
    """The issue in a GitHub `issues` event (pull requests and other events give None)."""
    body = _dict(payload)
    if event != "issues" or body.get("action") not in GITHUB_ACTIONS:
        return None
    issue = _dict(body.get("issue"))
    repo = _dict(body.get("repository")).get("full_name")
    number = issue.get("number")
    if not isinstance(repo, str) or not isinstance(number, int) or "pull_request" in issue:
        return None
    assignees = [a.get("login") for a in issue.get("assignees") or () if isinstance(a, dict)]
    labels = frozenset(str(_dict(label).get("name")) for label in issue.get("labels") or ())
    status, status_name = _github_status(issue.get("state"), issue.get("state_reason"))
    text = issue.get("body") if isinstance(issue.get("body"), str) else None
    return Ticket(
        key=f"{repo}#{number}", url=str(issue.get("html_url") or ""),
        fingerprint=parse_fingerprint(text) or fingerprint_from_labels(sorted(labels)),
        fields=TicketFields(title=str(issue.get("title") or "").replace(ZWSP, ""), due=parse_due(text),
                            assignee=assignees[0] if assignees else None),
        status=status, status_name=status_name, labels=labels, updated=_github_time(issue.get("updated_at")),
    )


def _verified(secret: SecretStr, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    digest = hmac.new(secret.get_secret_value().encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = header.strip().lower().encode("ascii", "replace")
    return hmac.compare_digest(f"sha256={digest}".encode("ascii"), given)


StoreOpener = Callable[[], AbstractContextManager["FollowupStore"]]


def status_routes(settings: Settings, open_store: StoreOpener, *,
                  prefix: str = "/hooks/status") -> list[Route]:
    """Signed endpoints `<prefix>/jira` and `<prefix>/github` that write ticket changes to the store."""

    def apply(ticket: Ticket) -> int:
        with open_store() as store:
            return store.apply_tickets([ticket], now=datetime.now(UTC), only_newer=True)

    async def receive(request: Request, secret: SecretStr | None, header: str,
                      parse: Callable[[Any], Ticket | None]) -> JSONResponse:
        # An empty secret is no secret: anyone can compute an HMAC with the empty key.
        if secret is None or not secret.get_secret_value():
            return JSONResponse({"status": "error", "reason": "no webhook secret is configured"}, 503)
        # Imported here: worker.web.app mounts these routes, so it imports this module first.
        from worker.web.app import HookError, read_body

        try:
            # Refused by Content-Length or while streaming, never buffered whole first (unsigned senders too).
            body = await read_body(request, MAX_BODY)
        except HookError as exc:
            reason = "body too large" if exc.status == 413 else exc.reason
            return JSONResponse({"status": "error", "reason": reason}, exc.status)
        if not _verified(secret, body, request.headers.get(header)):
            return JSONResponse({"status": "error", "reason": f"missing or bad {header}"}, 401)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            return JSONResponse({"status": "error", "reason": "body is not valid JSON"}, 400)
        try:
            ticket = parse(payload)
        except (TypeError, AttributeError, ValueError, KeyError):
            # Signed, but not shaped like the tracker's event (a field of the wrong type): no traceback.
            return JSONResponse({"status": "error", "reason": "not a usable event payload"}, 400)
        if ticket is None:
            return JSONResponse({"status": "ignored"})
        changed = await run_in_threadpool(apply, ticket)
        return JSONResponse({"status": "updated" if changed else "unchanged", "ticket": ticket.key})

    async def jira(request: Request) -> JSONResponse:
        secret = settings.jira_webhook_secret or settings.webhook_secret
        return await receive(request, secret, "X-Hub-Signature",
                             lambda payload: ticket_from_jira_event(payload, server=settings.jira_url or ""))

    async def github(request: Request) -> JSONResponse:
        secret = settings.github_webhook_secret or settings.webhook_secret
        event = request.headers.get("X-GitHub-Event")
        return await receive(request, secret, "X-Hub-Signature-256",
                             lambda payload: ticket_from_github_event(event, payload))

    return [Route(f"{prefix}/jira", jira, methods=["POST"]),
            Route(f"{prefix}/github", github, methods=["POST"])]
