"""The one receive path of every webhook: secret, limits, signature, JSON, the outcome, one answer.

A hook is a row of a table (`Hook`): its path, its secret, its signature scheme, its body limit and a
handler. The handler is a pure decision on the verified payload (worker.web.approvals,
worker.web.ticket_changes); it returns what to do, and this module does it:

- `Answer`: answer as it says (`pong`, `ignored`);
- `Enqueue`: write the delivery to the store's outbox (the durable dedupe: a repeated delivery finds its
  row), publish the task, and answer 202 (the deliveries that arrive together are claimed and published
  together: worker/web/batch.py);
- `ApplyTicket`: write a tracker's ticket change to the store at once (never rolling a ticket back).

Every refusal is a `HookError`, answered here as `{"status": "error", "reason": ...}`. The body is refused
by its Content-Length or while streaming, and a header that cannot be a signature is refused before the
body is read, so an unsigned sender never makes the receiver buffer a body. Bodies and secrets are never
logged.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import Counter
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from config.logs import current as current_log_context
from config.settings import Settings
from connectors.tracker import Ticket
from worker.service.enqueue import publish_entries
from worker.store import registry
from worker.store.outbox import Claim, Outbox, OutboxEntry, OutboxFull
from worker.web.batch import GroupCommit
from worker.web.body import HookError, check_declared_length, read_body
from worker.web.signatures import BadSignature

if TYPE_CHECKING:
    from worker.store.tracked import FollowupStore

# A publish must not hang the request when the broker is away: the outbox row is already durable, so
# give up fast and let the sweep publish it again.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

log = logging.getLogger(__name__)

#: The most deliveries claimed and published together.
MAX_BATCH = 64

#: Refusals that may leave the request's body unread.
_UNREAD_BODY = frozenset({400, 401, 408, 413, 503})

OUTBOX_FULL = Counter(
    "followthrough_outbox_full",
    "Signed deliveries refused with 503 because the outbox's pending rows were at their row or byte cap.",
    ["kind"],
)

StoreOpener = Callable[[], AbstractContextManager["FollowupStore"]]


@dataclass(frozen=True, slots=True)
class Delivery:
    """A verified request as a handler sees it: the raw body, its JSON, the headers and the signed time."""

    body: bytes
    payload: Any
    headers: Mapping[str, str]
    signed_at: int | None


@dataclass(frozen=True, slots=True)
class Answer:
    """Answer with this JSON and status; nothing else happens."""

    body: dict[str, Any]
    status: int = 200


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Claim `delivery` in the outbox, then publish `task` with `args`."""

    delivery: str
    task: str
    args: list[Any]


@dataclass(frozen=True, slots=True)
class ApplyTicket:
    """Write this ticket change to the store, unless what is stored is newer."""

    ticket: Ticket


Outcome = Answer | Enqueue | ApplyTicket


@dataclass(frozen=True, slots=True)
class _Accepting:
    """An Enqueue on its way into the outbox and the broker, with its hook and delivery id."""

    kind: str
    outcome: Enqueue
    delivery_id: str | None


@dataclass(frozen=True, slots=True)
class _Accepted:
    """`queued`, `accepted` (durable, publish failed) or `duplicate`; None: refused with 503. `warning` is
    logged by the request, in its log context."""

    word: str | None
    warning: str | None = None


class Scheme(Protocol):
    """A signature scheme (worker.web.signatures): a header check before the body, a body check after."""

    def precheck(self, headers: Mapping[str, str]) -> None: ...

    def verify(self, secret: SecretStr, body: bytes, headers: Mapping[str, str]) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Hook:
    """One webhook: its path, secret, signature scheme, body limit and handler.

    `reasons` words some refusals (by HTTP status) the hook's own way: the status hooks have answered a
    shorter text since they were added, and the answers are part of the HTTP contract.
    """

    name: str
    path: str
    secret: Callable[[Settings], SecretStr | None]
    scheme: Scheme
    limit: Callable[[Settings], int]
    handle: Callable[[Settings, Delivery], Outcome]
    reasons: Mapping[int, str] = field(default_factory=dict)
    #: The sender may post no body at all (Drive push notifications): the payload is then None.
    empty_body: bool = False


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # undecodable or not JSON; RecursionError: nesting too deep
        raise HookError(400, "body is not valid JSON") from None


def _secret(secret: SecretStr | None) -> SecretStr:
    # An empty secret is no secret: anyone can compute an HMAC with the empty key.
    if secret is None or not secret.get_secret_value():
        raise HookError(503, "no webhook secret is configured for this hook")
    return secret


class Receiver:
    """Receives every hook: the settings, the Celery app to publish with, the outbox and the store."""

    def __init__(self, settings: Settings, *, celery: Any, open_store: StoreOpener) -> None:
        self.settings = settings
        self.celery = celery
        self.open_store = open_store
        self._outbox: Outbox | None = None
        self._outbox_guard = threading.Lock()
        # Threads start on first use; as many as webhook requests may hold a store connection at once
        # (the store's pool is sized to match).
        self._executor = ThreadPoolExecutor(settings.webhook_max_concurrency, thread_name_prefix="receiver")
        self._outcomes: dict[type, Callable[[Hook, Any], Any]] = {
            Answer: self.answer, Enqueue: self.accept, ApplyTicket: self.apply}
        self._accepting = GroupCommit(self._claim_and_publish, max_batch=MAX_BATCH, name="receiver-claims")

    def outbox(self) -> Outbox:
        """The outbox of the store in `database_url` (opened, and migrated, on first use)."""
        with self._outbox_guard:
            if self._outbox is None:
                self._outbox = Outbox(registry.open_store(self.settings.database_url),
                                      max_rows=self.settings.webhook_outbox_max_rows,
                                      max_bytes=self.settings.webhook_outbox_max_bytes)
            return self._outbox

    async def in_thread(self, step: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking step (a ticket write) on the receiver's threads, in the request's log context. A
        plain executor: anyio's hand-off (a capacity limiter, cancel scopes) cost about as much CPU per
        delivery as the claim itself."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._executor, context.run, step, *args)

    def endpoint(self, hook: Hook) -> Callable[[Request], Any]:
        """The Starlette endpoint of `hook`: every refusal answered the same way."""

        async def receive(request: Request) -> Response:
            try:
                delivery = await self.verified(hook, request)
                outcome = _decide(hook, self.settings, delivery)
                response: Response = await self._outcomes[type(outcome)](hook, outcome)
            except HookError as exc:
                reason = hook.reasons.get(exc.status, exc.reason)
                # A body left unread (too slow, too big, refused on its header) would keep the connection
                # waiting for its end: close it with the answer.
                headers = {"connection": "close"} if exc.status in _UNREAD_BODY else None
                return JSONResponse({"status": "error", "reason": reason}, status_code=exc.status,
                                    headers=headers)
            return response

        return receive

    async def verified(self, hook: Hook, request: Request) -> Delivery:
        """The request's body and JSON, read under the hook's limits and checked against its signature."""
        secret = _secret(hook.secret(self.settings))
        limit = hook.limit(self.settings)
        try:
            check_declared_length(request, limit)
            hook.scheme.precheck(request.headers)
            body = await read_body(request, limit, timeout=self.settings.webhook_read_timeout_seconds)
            signed_at = hook.scheme.verify(secret, body, request.headers)
        except BadSignature as exc:
            raise HookError(401, str(exc)) from None
        payload = None if hook.empty_body and not body.strip() else _json(body)
        return Delivery(body=body, payload=payload, headers=request.headers, signed_at=signed_at)

    async def answer(self, hook: Hook, outcome: Answer) -> JSONResponse:
        return JSONResponse(outcome.body, status_code=outcome.status)

    async def accept(self, hook: Hook, outcome: Enqueue) -> Response:
        """Write the delivery to the outbox (the dedupe claim), then publish its task; 202 once durable."""
        kind = hook.name
        accepted = await self._accepting.submit(
            _Accepting(kind, outcome, current_log_context().get("delivery_id")))
        if accepted.warning:
            log.warning("%s hook: %s", kind, accepted.warning)
        if accepted.word is None:  # the sender retries later
            raise HookError(503, "temporarily unavailable")
        if accepted.word == "duplicate":
            log.info("%s hook: repeated delivery ignored", kind)
        elif accepted.word == "queued":
            # DEBUG: the access line that follows carries the same delivery and postmortem ids, and a second
            # INFO line per delivery cost a tenth of the receiver's CPU. The outcome word is in the metrics.
            log.debug("%s hook: queued", kind)
        word = accepted.word
        return Response(_status_body(word), status_code=200 if word == "duplicate" else 202,
                        media_type="application/json")

    def _claim_and_publish(self, batch: list[_Accepting]) -> list[_Accepted]:
        """Claim deliveries in the outbox together, then publish the new ones' tasks together."""
        try:
            claimed = self.outbox().accept_many(
                [Claim(a.kind, a.outcome.delivery, a.outcome.task, a.outcome.args) for a in batch])
        except Exception as exc:  # the store is down: nothing was accepted, the senders retry later
            return [_Accepted(None, f"store unavailable: {type(exc).__name__}")] * len(batch)
        results: list[_Accepted] = []
        fresh: list[tuple[OutboxEntry, str | None]] = []
        for accepting, entry_id in zip(batch, claimed, strict=True):
            if isinstance(entry_id, OutboxFull):  # the workers drain the pending rows meanwhile
                OUTBOX_FULL.labels(kind=accepting.kind).inc()
                results.append(_Accepted(None, f"refused with 503: {entry_id}"))
            elif entry_id is None:
                results.append(_Accepted("duplicate"))
            else:
                outcome = accepting.outcome
                fresh.append((OutboxEntry(id=entry_id, kind=accepting.kind, task=outcome.task,
                                          args=outcome.args, attempts=0), accepting.delivery_id))
                results.append(_Accepted("queued"))
        if not fresh:
            return results
        try:
            publish_entries(self.celery, fresh, retry_policy=_PUBLISH_RETRY)
        except Exception as exc:  # accepted all the same: the rows are stored and the sweep publishes them
            failed = _Accepted("accepted",
                               f"publish failed ({type(exc).__name__}); the sweep will publish it")
            return [failed if result.word == "queued" else result for result in results]
        return results

    async def apply(self, hook: Hook, outcome: ApplyTicket) -> JSONResponse:
        """Write the ticket change; a replayed or late delivery older than the stored one changes nothing."""
        changed = await self.in_thread(self._apply, outcome.ticket)
        return JSONResponse({"status": "updated" if changed else "unchanged", "ticket": outcome.ticket.key})

    def _apply(self, ticket: Ticket) -> int:
        with self.open_store() as store:
            return store.apply_tickets([ticket], now=datetime.now(UTC), only_newer=True)


@lru_cache(maxsize=8)
def _status_body(word: str) -> bytes:
    """`{"status": word}` as JSONResponse writes it, encoded once per word: nearly every delivery gets
    one of three answers, and encoding the same JSON each time was a few per cent of intake's CPU."""
    return bytes(JSONResponse({"status": word}).body)


def _decide(hook: Hook, settings: Settings, delivery: Delivery) -> Outcome:
    try:
        return hook.handle(settings, delivery)
    except (TypeError, AttributeError, ValueError, KeyError):
        # Signed, but not shaped like the sender's event (a field of the wrong type): no traceback.
        raise HookError(400, "not a usable event payload") from None


def hook_routes(receiver: Receiver, hooks: Iterable[Hook]) -> list[Route]:
    """One POST route per hook of the table, each through the receive path above."""
    return [Route(hook.path, receiver.endpoint(hook), methods=["POST"]) for hook in hooks]
