"""Execute a sync plan against one tracker, recording every ticket and written value in the store.

Idempotency rests on the fingerprint label on every ticket, the one label search before creating, and
never repeating a create that may have happened unseen (its answer lost to a timeout, reset or 5xx)
until the tracker's eventually consistent search has had time to show it: such an item is
*unconfirmed* and reported `pending` until a settled search finds its ticket, or until
`create_confirm_searches` searches, each `create_settle_seconds` after the last, all miss it
(worker/sync/settle.py, docs/sync.md). A rate limit longer than `MAX_INLINE_WAIT` is never slept here:
it comes back as `SyncResult.retry_error` for the worker to schedule.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from config.settings import Settings
from config.teams import Team
from connectors.errors import RateLimited, TrackerError
from connectors.factory import MAX_INLINE_WAIT, destination_name
from connectors.tracker import (
    OWNED_FIELDS,
    REMOVED_LABEL,
    Ticket,
    TicketFields,
    Tracker,
    postmortem_label,
)
from worker.store import ItemRecord, PostmortemRecord, Store
from worker.sync.owners import LOOKUP_TTL, Directory, OwnerResolution, OwnerResolver
from worker.sync.plan import PlanContext, Step, filter_reason, plan_sync
from worker.sync.settle import SettlePolicy, Settling, absent

log = logging.getLogger(__name__)

#: In-process attempts for one sync's creates, updates and comments before handing over to a retry.
MAX_ATTEMPTS = 3
#: Pause before attempt n (seconds): short, the worker's retry does the long waits.
BACKOFF = (0.0, 0.2, 0.5)

REMOVED_COMMENT = (
    'This action item is no longer in the postmortem "{title}". Followthrough leaves the ticket as it '
    "is: close it if the work is no longer needed."
)
RESTORED_COMMENT = (
    'This action item is back in the postmortem "{title}". Followthrough removed the '
    f"{REMOVED_LABEL} label."
)


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What happened to one item (one row of `followthrough sync`)."""

    fingerprint: str
    title: str
    tracker: str | None
    ticket: str | None  # ticket key
    assignee: str | None
    owner_resolution: str  # directory | alias | account-id | tracker | fallback:... | needs-owner | -
    result: str  # created updated unchanged skipped failed pending removed conflict missing planned-*
    reason: str
    ticket_url: str | None = None


@dataclass(frozen=True, slots=True)
class SyncResult:
    """The outcome of one sync of one postmortem."""

    postmortem_key: str
    team: str
    dry_run: bool
    items: tuple[ItemResult, ...]
    #: The first retryable failure (RateLimited carries retry_after); None when nothing needs a retry.
    retry_error: TrackerError | None = None
    #: Why this was a dry run when nobody asked for one (no tracker credentials), else "".
    dry_run_reason: str = ""

    def counts(self) -> dict[str, int]:
        """Number of items per result."""
        return dict(Counter(item.result for item in self.items))

    @property
    def failed(self) -> bool:
        return any(item.result in ("failed", "pending") for item in self.items)

    def needs_owner(self) -> int:
        """How many live items have no owner that could be assigned (their tickets carry needs-owner)."""
        return sum(
            1
            for item in self.items
            if item.owner_resolution == "needs-owner" and item.result not in ("skipped", "removed")
        )


class StoreLookupCache:
    """Owner lookups cached in the store for one destination (see worker.sync.owners.LookupCache)."""

    def __init__(self, store: Store, destination: str, *, read_only: bool = False) -> None:
        self._store = store
        self._destination = destination
        #: A dry run reads the cache but keeps its own lookups in memory: a plan never changes the store.
        self._read_only = read_only
        self._fresh: dict[str, tuple[str | None, str]] = {}

    def get(self, query: str) -> tuple[str | None, str] | None:
        if query in self._fresh:
            return self._fresh[query]
        return self._store.get_owner_lookup(self._destination, query, max_age=LOOKUP_TTL)

    def put(self, query: str, user_id: str | None, outcome: str) -> None:
        if self._read_only:
            self._fresh[query] = (user_id, outcome)
            return
        self._store.put_owner_lookup(self._destination, query, user_id=user_id, outcome=outcome)


def source_url(source: str) -> str | None:
    """A link to the postmortem for ticket bodies, when its source is one (http(s) or a GitHub file)."""
    if source.startswith(("https://", "http://")):
        return source
    if source.startswith("github:") and "@" in source and ":" in source[len("github:") :]:
        repo, _, rest = source[len("github:") :].partition("@")
        ref, _, path = rest.partition(":")
        if repo and ref and path:
            return f"https://github.com/{repo}/blob/{ref}/{path}"
    return None


class SyncRun:
    """One sync of one postmortem: resolve owners, search once, plan, then create/update/comment."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        postmortem: PostmortemRecord,
        team: Team,
        tracker: Tracker | None,
        *,
        dry_run: bool,
        records: Sequence[ItemRecord] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.settings = settings
        self.pm = postmortem
        self.team = team
        self.tracker = tracker
        self.dry_run = dry_run or tracker is None
        #: A preview's items (what ingesting the document would store); None: the stored items.
        self._records = list(records) if records is not None else None
        if self._records is not None and not self.dry_run:
            raise ValueError("items not read from the store can only be previewed (dry_run=True)")
        self.sleep = sleep
        self.results: dict[str, ItemResult] = {}
        #: Set only for items left pending: the error the worker's retry should wait out.
        self.retry_error: TrackerError | None = None
        self._stop: RateLimited | None = None  # a long rate limit: no more calls in this run
        self._last_error: TrackerError | None = None
        self._by_fp: dict[str, ItemRecord] = {}

    # --- orchestration --------------------------------------------------------------------------

    def run(self) -> SyncResult:
        started = datetime.now(UTC)
        key = self.pm.key
        records = self._items()
        self._by_fp = {record.fingerprint: record for record in records}
        tickets: list[Ticket] | None = None
        searched_at = datetime.now(UTC)
        if self.tracker is not None:
            try:
                tickets = self.tracker.find_tickets(key)
            except TrackerError as exc:
                if not exc.retryable:
                    raise
                self.retry_error = exc
                return self._finish(started, self._all_pending(exc))
        resolver = OwnerResolver(
            Directory(self.settings.people),
            kind=self.team.tracker,
            tracker=self.tracker,
            cache=None
            if self.dry_run and self.tracker is None
            else StoreLookupCache(self.store, destination_name(self.team), read_only=self.dry_run),
        )
        resolutions: dict[str, OwnerResolution] = {}
        for record in records:
            if record.removed or filter_reason(self.team.filter, record.item) is not None:
                continue
            resolutions[record.fingerprint] = resolver.resolve_item(
                record.item.owner, postmortem_owner=self.pm.owner, team=self.team
            )
        ctx = PlanContext(
            postmortem_key=key,
            team=self.team,
            postmortem_title=self.pm.title,
            postmortem_url=source_url(self.pm.source),
        )
        steps = plan_sync(ctx, records, tickets, resolutions)
        if self.dry_run:
            return self._finish(started, [self._planned(step) for step in steps])
        if tickets is not None:
            recheck = _needs_consistent_read(records, tickets, steps)
            if recheck:
                try:
                    tickets = self._reread(tickets, recheck)
                except TrackerError as exc:
                    if not exc.retryable:
                        raise
                    self.retry_error = exc
                    return self._finish(started, self._all_pending(exc))
                steps = plan_sync(ctx, records, tickets, resolutions)
        self._adopt(steps)
        if tickets:
            self.store.record_status(key, tickets)
        self._create([s for s in steps if s.action == "create"], searched_at=searched_at)
        for step in steps:
            if step.restore and not self._restore(step):
                continue  # left pending or failed; the update waits for the next run
            if step.action == "update":
                self._update(step)
            elif step.action == "comment-removed":
                self._comment_removed(step)
            elif step.result == "pending":  # owner lookup deferred
                self._pending(step, resolver.deferred_error, "owner lookup failed")
            elif step.fingerprint not in self.results:
                self._done(step, step.result, step.reason)
        self.store.record_resolutions(key, {fp: r.how for fp, r in resolutions.items()})
        return self._finish(started, [self.results[s.fingerprint] for s in steps])

    def _reread(self, tickets: list[Ticket], keys: set[str]) -> list[Ticket]:
        """Replace what the search said of these tickets with a consistent read of each, by key.

        The label search may lag writes (Jira's index): a ticket we mapped may be missing from it, or show
        values from before our last edit (a false conflict) or a label we already removed.
        """
        assert self.tracker is not None
        label = postmortem_label(self.pm.key)
        fresh: dict[str, Ticket] = {}
        for key in sorted(keys):
            for ticket in self.tracker.fetch_status(keys=[key]):
                if label in ticket.labels:
                    fresh[ticket.key] = ticket
        kept = [t for t in tickets if t.key not in keys]
        return kept + [fresh[k] for k in sorted(fresh)]

    def _items(self) -> list[ItemRecord]:
        return self._records if self._records is not None else self.store.items(self.pm.key)

    def _finish(self, started: datetime, items: Sequence[ItemResult]) -> SyncResult:
        result = SyncResult(
            postmortem_key=self.pm.key,
            team=self.team.name,
            dry_run=self.dry_run,
            items=tuple(items),
            retry_error=self.retry_error,
            dry_run_reason="no tracker credentials configured" if self.tracker is None else "",
        )
        if self._records is not None or self.dry_run:
            return result  # a plan writes nothing, not even its run (the postmortem may not be stored)
        self.store.record_sync(
            self.pm.key,
            started_at=started,
            dry_run=self.dry_run,
            counts=result.counts(),
            retry_error=f"{type(self.retry_error).__name__}: {self.retry_error}"
            if self.retry_error
            else None,
        )
        return result

    # --- results --------------------------------------------------------------------------------

    def _row(
        self, step: Step, result: str, reason: str, *, key: str | None = None, url: str | None = None
    ) -> ItemResult:
        resolution = step.resolution
        return ItemResult(
            fingerprint=step.fingerprint,
            title=step.title,
            tracker=self.team.tracker,
            ticket=key or step.ticket_key,
            assignee=(step.desired.assignee if step.desired else None)
            if result.startswith("planned") or result in ("created", "updated")
            else (
                step.ticket.fields.assignee if step.ticket else (resolution.assignee if resolution else None)
            ),
            owner_resolution=resolution.how if resolution else "-",
            result=result,
            reason=reason,
            ticket_url=url or step.ticket_url,
        )

    def _done(
        self, step: Step, result: str, reason: str, *, key: str | None = None, url: str | None = None
    ) -> None:
        self.results[step.fingerprint] = self._row(step, result, reason, key=key, url=url)

    def _planned(self, step: Step) -> ItemResult:
        names = {"create": "planned-create", "update": "planned-update", "comment-removed": "planned-comment"}
        result = names.get(step.action, step.result)
        reason = step.reason
        resolution = step.resolution
        if resolution is not None:
            # Show how the owner was resolved: "owner @omar -> 5b10... via alias: <why>".
            owner = resolution.owner_as_written or "(none named)"
            note = f"owner {owner} -> {resolution.assignee or 'unassigned'} via {resolution.how}"
            if resolution.reason:
                note += f": {resolution.reason}"
            reason = note if step.action == "create" or not reason else f"{reason}; {note}"
        return self._row(step, result, reason)

    def _all_pending(self, exc: TrackerError) -> list[ItemResult]:
        rows: list[ItemResult] = []
        for record in self._items():
            rows.append(
                ItemResult(
                    fingerprint=record.fingerprint,
                    title=record.item.title,
                    tracker=self.team.tracker,
                    ticket=record.ticket_key,
                    assignee=record.ticket_assignee,
                    owner_resolution="-",
                    result="pending",
                    reason=f"search failed ({_describe(exc)}); will retry",
                    ticket_url=record.ticket_url,
                )
            )
        return rows

    # --- writes ---------------------------------------------------------------------------------

    def _adopt(self, steps: Sequence[Step]) -> None:
        """Record tickets found by label that the store had not mapped (lost response, lost store)."""
        for step in steps:
            if step.adopt is None or step.ticket is None:
                continue
            self.store.record_ticket(
                self.pm.key,
                step.fingerprint,
                step.ticket,
                tracker=self.team.tracker,
                written=step.adopt.written,
                owned=step.adopt.owned,
            )

    def _create(self, steps: Sequence[Step], *, searched_at: datetime) -> None:
        """Create tickets. A create that may have happened unseen is never repeated until settled."""
        assert self.tracker is not None
        policy = SettlePolicy(self.settings.create_settle_seconds, self.settings.create_confirm_searches)
        pending: dict[str, Step] = {}
        for candidate in steps:
            if candidate.draft is None or self._still_settling(candidate, searched_at, policy):
                continue
            pending[candidate.fingerprint] = candidate
        uncertain: dict[str, Step] = {}
        for attempt in range(MAX_ATTEMPTS):
            if not pending or self._stop is not None:
                break
            if attempt:
                self.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
            drafts = {fp: s.draft for fp, s in pending.items() if s.draft is not None}
            self.store.mark_create_attempted(
                self.pm.key, {fp: d.fields for fp, d in drafts.items()}, tracker=self.team.tracker
            )
            try:
                outcomes = self.tracker.create_tickets(list(drafts.values()))
            except TrackerError as exc:  # a connector may raise for the whole call
                if exc.retryable and not isinstance(exc, RateLimited):
                    self._last_error = exc  # the call went out: anything may have been created
                    uncertain.update(pending)
                    pending.clear()
                elif not self._retryable(exc):
                    self.store.clear_create_attempt(self.pm.key, list(pending))
                    for failed in pending.values():
                        self._done(failed, "failed", _describe(exc))
                    pending.clear()
                continue
            retry: TrackerError | None = None
            for outcome in outcomes:
                step = pending.get(outcome.draft.fingerprint)
                if step is None:
                    continue
                if outcome.ticket is not None:
                    self.store.record_ticket(
                        self.pm.key,
                        step.fingerprint,
                        outcome.ticket,
                        tracker=self.team.tracker,
                        written=_as_created(outcome.draft.fields, outcome.ticket),
                        owned=OWNED_FIELDS,
                    )
                    self._done(step, "created", step.reason, key=outcome.ticket.key, url=outcome.ticket.url)
                    del pending[step.fingerprint]
                elif outcome.uncertain:
                    self._last_error = outcome.error
                    uncertain[step.fingerprint] = pending.pop(step.fingerprint)
                elif outcome.error is not None and not outcome.error.retryable:
                    self.store.clear_create_attempt(self.pm.key, [step.fingerprint])
                    self._done(step, "failed", _describe(outcome.error))
                    del pending[step.fingerprint]
                elif outcome.error is not None and not isinstance(retry, RateLimited):
                    retry = outcome.error
            if retry is not None:
                # One failed call fails many drafts with the same error: wait for it once.
                self._retryable(retry)
        if pending:
            # Refused (rate limit) or never sent: surely not created, so nothing has to settle.
            self.store.clear_create_attempt(self.pm.key, list(pending))
            for step in pending.values():
                self._pending(step, self._stop or self._last_error, "not created yet")
        if uncertain:
            self._settle_lost(uncertain, policy)

    def _still_settling(self, step: Step, searched_at: datetime, policy: SettlePolicy) -> bool:
        """For an item whose last create is unconfirmed: count this run's search, report it if it waits."""
        record = self._by_fp.get(step.fingerprint)
        if record is None or record.ticket_key is not None or record.create_attempted_at is None:
            return False
        verdict = absent(record.create_attempted_at, record.absent_checks, searched_at, policy)
        if verdict.checks != record.absent_checks:
            self.store.record_absent_check(self.pm.key, step.fingerprint, verdict.checks)
        if verdict.create:
            log.info(
                "%s: %d settled searches found no ticket for %s; creating it again",
                self.pm.key, verdict.checks, step.fingerprint,
            )
            return False
        self._settling(
            step,
            verdict.wait,
            policy,
            f"create unconfirmed since {record.create_attempted_at:%Y-%m-%d %H:%M:%S}Z, "
            f"{verdict.checks} of {policy.searches} settled searches found no ticket",
        )
        return True

    def _settle_lost(self, uncertain: dict[str, Step], policy: SettlePolicy) -> None:
        """Creates whose answer was lost: adopt what a search already shows, leave the rest unconfirmed."""
        if self._stop is None:
            # Found now means created; not found proves nothing while the index may lag the write.
            self.sleep(BACKOFF[1])
            self._confirm_created(uncertain)
        for step in uncertain.values():
            self._settling(
                step,
                policy.window,
                policy,
                f"create answer lost ({_describe(self._last_error)}); unconfirmed, not repeated",
            )

    def _settling(self, step: Step, wait: float, policy: SettlePolicy, what: str) -> None:
        # Settling is a RateLimited: the worker's retry waits past the moment the next search counts.
        margin = min(1.0, policy.window / 10)
        error = Settling(f"search index settling for {wait:.1f}s", retry_after=wait + margin)
        self._pending(step, error, what)

    def _confirm_created(self, pending: dict[str, Step]) -> bool:
        """Search again: tickets whose create answer was lost are adopted, not created twice."""
        assert self.tracker is not None
        try:
            found = self.tracker.find_tickets(self.pm.key)
        except TrackerError as exc:
            self._retryable(exc)
            return False
        for ticket in found:
            step = pending.pop(ticket.fingerprint or "", None)
            if step is None or step.draft is None:
                continue
            self.store.record_ticket(
                self.pm.key,
                step.fingerprint,
                ticket,
                tracker=self.team.tracker,
                written=step.draft.fields,
                owned=OWNED_FIELDS,
            )
            self._done(
                step,
                "created",
                _join(step.reason, "confirmed by search after a lost answer"),
                key=ticket.key,
                url=ticket.url,
            )
        return True

    def _update(self, step: Step) -> None:
        tracker, key, desired = self.tracker, step.ticket_key, step.desired
        assert tracker is not None and key is not None and desired is not None
        error = self._call(lambda: tracker.update_ticket(key, desired, only=step.update))
        if error is None:
            self.store.record_written(self.pm.key, step.fingerprint, desired, only=step.update)
            self._done(step, step.result, step.reason)
        else:
            self._failed(step, error)

    def _comment_removed(self, step: Step) -> None:
        tracker, key = self.tracker, step.ticket_key
        assert tracker is not None and key is not None
        text = REMOVED_COMMENT.format(title=self.pm.title or self.pm.key)

        def already_noted() -> bool:
            # A comment whose answer was lost: the marker label, written with it, tells.
            return any(REMOVED_LABEL in t.labels for t in tracker.fetch_status(keys=[key]))

        error = self._call(
            lambda: tracker.comment(key, text, label=REMOVED_LABEL), before_retry=already_noted
        )
        if error is None:
            self.store.mark_removal_notified(self.pm.key, step.fingerprint)
            self._done(step, "removed", step.reason)
        else:
            self._failed(step, error)

    def _restore(self, step: Step) -> bool:
        """Take the removed label off a ticket whose item came back, with one comment saying so."""
        tracker, key = self.tracker, step.ticket_key
        assert tracker is not None and key is not None
        text = RESTORED_COMMENT.format(title=self.pm.title or self.pm.key)

        def already_restored() -> bool:
            # An answer lost after the edit: the label is gone (read by key, not from a lagging search).
            return not any(REMOVED_LABEL in t.labels for t in tracker.fetch_status(keys=[key]))

        error = self._call(
            lambda: tracker.unlabel(key, REMOVED_LABEL, comment=text), before_retry=already_restored
        )
        if error is not None:
            self._failed(step, error)
            return False
        self.store.mark_removal_notified(self.pm.key, step.fingerprint, notified=False)
        return True

    def _call(
        self, call: Callable[[], None], *, before_retry: Callable[[], bool] | None = None
    ) -> TrackerError | None:
        """Run an idempotent write with bounded retries; return the error that stopped it, if any."""
        error: TrackerError | None = None
        for attempt in range(MAX_ATTEMPTS):
            if self._stop is not None:
                return self._stop
            if attempt:
                self.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                try:
                    if before_retry is not None and before_retry():
                        return None
                except TrackerError as exc:
                    if not self._retryable(exc):
                        return exc
                    error = exc
                    continue
            try:
                call()
                return None
            except TrackerError as exc:
                error = exc
                if not self._retryable(exc):
                    return exc
        return error

    def _retryable(self, exc: TrackerError) -> bool:
        """Whether to try again in-process; a long rate limit is recorded for the worker instead."""
        if not exc.retryable:
            return False
        self._last_error = exc
        if isinstance(exc, RateLimited):
            if exc.retry_after <= MAX_INLINE_WAIT:
                self.sleep(exc.retry_after)
            else:
                self._stop = exc
        return True

    def _failed(self, step: Step, error: TrackerError) -> None:
        if error.retryable:
            self._pending(step, error, "")
        else:
            self._done(step, "failed", _describe(error))

    def _pending(self, step: Step, error: TrackerError | None, what: str) -> None:
        """Leave an item for the next attempt; the result's retry_error tells the worker when."""
        if error is not None and _longer_wait(error, self.retry_error):
            self.retry_error = error
        detail = f"{what} ({_describe(error)})" if what else _describe(error)
        self._done(step, "pending", f"{detail}; will retry")


def _needs_consistent_read(
    records: Sequence[ItemRecord], tickets: Sequence[Ticket], steps: Sequence[Step]
) -> set[str]:
    """Keys whose search result must be confirmed by key: mapped but not found, conflicts, restores."""
    seen = {t.key for t in tickets}
    keys = {r.ticket_key for r in records if r.ticket_key and r.ticket_key not in seen}
    keys |= {s.ticket_key for s in steps if s.ticket_key and (s.result == "conflict" or s.restore)}
    return keys


def _longer_wait(new: TrackerError, old: TrackerError | None) -> bool:
    """Whether `new` should replace `old` as the error the worker's retry waits out."""
    if old is None:
        return True
    if isinstance(new, RateLimited):
        return not isinstance(old, RateLimited) or new.retry_after > old.retry_after
    return False


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no answer"
    if isinstance(exc, RateLimited):
        return f"rate limited, retry after {exc.retry_after:.0f}s"
    return f"{type(exc).__name__}: {exc}"


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def _as_created(sent: TicketFields, ticket: Ticket) -> TicketFields:
    """What the create really wrote: a connector may drop an assignee the tracker would refuse."""
    if sent.assignee and not ticket.fields.assignee:
        return replace(sent, assignee=None)
    return sent
