"""Execute a sync plan against one tracker, recording every ticket and written value in the store.

Idempotency rests on the fingerprint label on every ticket, the one label search before creating, and
never repeating a create that may have happened unseen: that is create-and-settle, in
worker/sync/create.py (rule: worker/sync/settle.py; docs/sync.md). Result rows and retries are kept by
worker/sync/ledger.py, which never sleeps through a rate limit longer than `MAX_INLINE_WAIT`: it comes
back as `SyncResult.retry_error` for the worker to schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from config.settings import Settings
from config.teams import Team
from connectors.errors import TrackerError
from connectors.factory import destination_name
from connectors.tracker import REMOVED_LABEL, Ticket, Tracker, postmortem_label
from worker.store import ItemRecord, PostmortemRecord, Store
from worker.sync.create import Creator
from worker.sync.ledger import Ledger
from worker.sync.owners import LOOKUP_TTL, Directory, OwnerResolution, OwnerResolver
from worker.sync.plan import PlanContext, Step, filter_reason, plan_sync
from worker.sync.results import ItemResult, SyncResult, describe
from worker.sync.settle import SettlePolicy

__all__ = ["ItemResult", "StoreLookupCache", "SyncResult", "SyncRun", "source_url"]


REMOVED_COMMENT = (
    'This action item is no longer in the postmortem "{title}". Followthrough leaves the ticket as it '
    "is: close it if the work is no longer needed."
)
RESTORED_COMMENT = (
    'This action item is back in the postmortem "{title}". Followthrough removed the '
    f"{REMOVED_LABEL} label."
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
        self.ledger = Ledger(team.tracker, sleep)
        self._by_fp: dict[str, ItemRecord] = {}

    # --- orchestration --------------------------------------------------------------------------

    def run(self) -> SyncResult:
        started = datetime.now(UTC)
        key = self.pm.key
        records = self._items()
        self._by_fp = {record.fingerprint: record for record in records}
        searched_at = datetime.now(UTC)
        try:
            tickets = self.tracker.find_tickets(key) if self.tracker is not None else None
        except TrackerError as exc:
            return self._search_failed(started, exc)
        resolver = self._resolver()
        resolutions = self._resolve(resolver, records)
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
                    return self._search_failed(started, exc)
                steps = plan_sync(ctx, records, tickets, resolutions)
        self._execute(steps, tickets, resolver, searched_at=searched_at)
        self.store.record_resolutions(key, {fp: r.how for fp, r in resolutions.items()})
        return self._finish(started, [self.ledger.results[s.fingerprint] for s in steps])

    def _search_failed(self, started: datetime, exc: TrackerError) -> SyncResult:
        """A label search that failed: every item waits for the worker's retry, or the error stands."""
        if not exc.retryable:
            raise exc
        self.ledger.retry_error = exc
        return self._finish(started, self._all_pending(exc))

    def _resolver(self) -> OwnerResolver:
        return OwnerResolver(
            Directory(self.settings.people),
            kind=self.team.tracker,
            tracker=self.tracker,
            cache=None
            if self.dry_run and self.tracker is None
            else StoreLookupCache(self.store, destination_name(self.team), read_only=self.dry_run),
        )

    def _resolve(self, resolver: OwnerResolver, records: Sequence[ItemRecord]) -> dict[str, OwnerResolution]:
        """Owners of the live items the team's filter keeps."""
        resolutions: dict[str, OwnerResolution] = {}
        for record in records:
            if record.removed or filter_reason(self.team.filter, record.item) is not None:
                continue
            resolutions[record.fingerprint] = resolver.resolve_item(
                record.item.owner, postmortem_owner=self.pm.owner, team=self.team
            )
        return resolutions

    def _execute(
        self,
        steps: Sequence[Step],
        tickets: list[Ticket] | None,
        resolver: OwnerResolver,
        *,
        searched_at: datetime,
    ) -> None:
        """Carry out a plan: adopt, record statuses, create, then each step's write or its result."""
        self._adopt(steps)
        if tickets:
            self.store.record_status(self.pm.key, tickets)
        assert self.tracker is not None
        policy = SettlePolicy(self.settings.create_settle_seconds, self.settings.create_confirm_searches)
        creator = Creator(
            self.store,
            self.tracker,
            self.ledger,
            postmortem_key=self.pm.key,
            policy=policy,
            records=self._by_fp,
        )
        creator.create([s for s in steps if s.action == "create"], searched_at=searched_at)
        for step in steps:
            if step.restore and not self._restore(step):
                continue  # left pending or failed; the update waits for the next run
            handler = _STEP_HANDLERS.get(step.action)
            if handler is not None:
                handler(self, step)
            elif step.result == "pending":  # owner lookup deferred
                self.ledger.pending(step, resolver.deferred_error, "owner lookup failed")
            elif step.fingerprint not in self.ledger.results:
                self.ledger.done(step, step.result, step.reason)

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
            retry_error=self.ledger.retry_error,
            dry_run_reason="no tracker credentials configured" if self.tracker is None else "",
        )
        if self._records is not None or self.dry_run:
            return result  # a plan writes nothing, not even its run (the postmortem may not be stored)
        self.store.record_sync(
            self.pm.key,
            started_at=started,
            dry_run=self.dry_run,
            counts=result.counts(),
            retry_error=f"{type(self.ledger.retry_error).__name__}: {self.ledger.retry_error}"
            if self.ledger.retry_error
            else None,
        )
        return result

    # --- results --------------------------------------------------------------------------------

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
        return self.ledger.row(step, result, reason)

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
                    reason=f"search failed ({describe(exc)}); will retry",
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

    def _update(self, step: Step) -> None:
        tracker, key, desired = self.tracker, step.ticket_key, step.desired
        assert tracker is not None and key is not None and desired is not None
        error = self.ledger.call(lambda: tracker.update_ticket(key, desired, only=step.update))
        if error is None:
            self.store.record_written(self.pm.key, step.fingerprint, desired, only=step.update)
            self.ledger.done(step, step.result, step.reason)
        else:
            self.ledger.failed(step, error)

    def _comment_removed(self, step: Step) -> None:
        tracker, key = self.tracker, step.ticket_key
        assert tracker is not None and key is not None
        text = REMOVED_COMMENT.format(title=self.pm.title or self.pm.key)

        def already_noted() -> bool:
            # A comment whose answer was lost: the marker label, written with it, tells.
            return any(REMOVED_LABEL in t.labels for t in tracker.fetch_status(keys=[key]))

        error = self.ledger.call(
            lambda: tracker.comment(key, text, label=REMOVED_LABEL), before_retry=already_noted
        )
        if error is None:
            self.store.mark_removal_notified(self.pm.key, step.fingerprint)
            self.ledger.done(step, "removed", step.reason)
        else:
            self.ledger.failed(step, error)

    def _restore(self, step: Step) -> bool:
        """Take the removed label off a ticket whose item came back, with one comment saying so."""
        tracker, key = self.tracker, step.ticket_key
        assert tracker is not None and key is not None
        text = RESTORED_COMMENT.format(title=self.pm.title or self.pm.key)

        def already_restored() -> bool:
            # An answer lost after the edit: the label is gone (read by key, not from a lagging search).
            return not any(REMOVED_LABEL in t.labels for t in tracker.fetch_status(keys=[key]))

        error = self.ledger.call(
            lambda: tracker.unlabel(key, REMOVED_LABEL, comment=text), before_retry=already_restored
        )
        if error is not None:
            self.ledger.failed(step, error)
            return False
        self.store.mark_removal_notified(self.pm.key, step.fingerprint, notified=False)
        return True


def _needs_consistent_read(
    records: Sequence[ItemRecord], tickets: Sequence[Ticket], steps: Sequence[Step]
) -> set[str]:
    """Keys whose search result must be confirmed by key: mapped but not found, conflicts, restores."""
    seen = {t.key for t in tickets}
    keys = {r.ticket_key for r in records if r.ticket_key and r.ticket_key not in seen}
    keys |= {s.ticket_key for s in steps if s.ticket_key and (s.result == "conflict" or s.restore)}
    return keys


#: The write each planned action makes; other steps only report their planned result.
_STEP_HANDLERS: dict[str, Callable[[SyncRun, Step], None]] = {
    "update": SyncRun._update,
    "comment-removed": SyncRun._comment_removed,
}
