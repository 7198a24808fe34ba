"""The pipeline's entry points, called by the CLI and the Celery tasks: ingest, sync, list, load.

Each function takes the settings, opens the store from `settings.database_url` and is safe to call
again with the same arguments (ingest is keyed by the postmortem's identity, sync by fingerprints).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from config.settings import Settings
from config.teams import Team
from connectors.factory import build_tracker, tracker_configured
from connectors.throttle import WriteThrottle
from worker.errors import Locked, UserError
from worker.models import Postmortem
from worker.store import ParseFailureRecord, PostmortemRecord, StaleVersion, Store, registry
from worker.sync.execute import ItemResult, SyncResult, SyncRun

__all__ = [
    "IngestResult",
    "ItemResult",
    "SyncBusy",
    "SyncResult",
    "close_stores",
    "existing_store",
    "ingest",
    "list_postmortems",
    "load_content",
    "open_store",
    "postmortem_key",
    "preview",
    "route_team",
    "sync",
    "sync_document",
]

class SyncBusy(Locked, UserError):
    """Another sync of this postmortem holds its store lock (workers retry; the CLI says so)."""


@dataclass(frozen=True)
class IngestResult:
    postmortem_key: str  # 12 hex of sha256(identity); tickets carry it as label ftpm-<key>
    changed: bool  # False when the same content was already stored for the same team
    item_count: int
    team: str = ""
    stale: bool = False  # True when the store holds a newer version: nothing was written


def open_store(settings: Settings) -> Store:
    """The process's store for `settings.database_url` (see `worker.store.registry`)."""
    return registry.open_store(settings.database_url)


def existing_store(settings: Settings) -> Store | None:
    """The store if one exists already, else None; never creates one (see `worker.store.registry`)."""
    return registry.existing_store(settings.database_url)


def plan_store(settings: Settings) -> Store:
    """The store a dry run reads: the existing one, else an empty in-memory one (no file is created)."""
    return registry.plan_store(settings.database_url)


close_stores = registry.close_stores


def postmortem_key(identity: str) -> str:
    """Short stable id of a postmortem: the first 12 hex digits of sha256(identity)."""
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:12]


def route_team(settings: Settings, *, option: str | None, metadata: str | None, stored: str | None) -> str:
    """The owning team: the command's option, else the document's metadata, else as before, else default.

    An unknown team named by the option is an error; one named by the document (untrusted text) is
    matched case-insensitively and otherwise ignored.
    """
    names = {name.casefold(): name for name in settings.teams}
    if option:
        if settings.teams and option.casefold() not in names:
            known = ", ".join(sorted(settings.teams))
            raise UserError(f"unknown team {option!r} (configured teams: {known})")
        return names.get(option.casefold(), option)
    if metadata and metadata.strip().casefold() in names:
        return names[metadata.strip().casefold()]
    if stored and (not settings.teams or stored in settings.teams):
        return stored
    return settings.default_team


def parse_with_limits(
    settings: Settings,
    content: bytes,
    *,
    filename: str | None,
    identity: str | None,
    record_as: str | None = None,
) -> Postmortem:
    """Parse under the settings' size limit and time budget. With `record_as` (the document's source), a
    refusal is recorded as a parse failure, so the sweep stops re-queueing it and `followthrough` can show
    it, and a success clears an earlier record; the ParseError is re-raised either way."""
    from worker.parse import ParseError, parse_document  # heavy libraries; load on use

    try:
        parsed: Postmortem = parse_document(
            content,
            filename=filename,
            identity=identity,
            max_bytes=settings.max_document_bytes,
            budget_seconds=settings.parse_budget_seconds,
        )
    except ParseError as exc:
        if record_as is not None:
            open_store(settings).record_parse_failure(
                record_as, content_hash=hashlib.sha256(content).hexdigest(), reason=str(exc)
            )
        raise
    if record_as is not None:
        open_store(settings).clear_parse_failure(record_as)
    return parsed


def ingest(
    settings: Settings,
    *,
    content: bytes,
    source: str,
    postmortem_id: str | None = None,
    title: str | None = None,
    team: str | None = None,
    approved_at: datetime | None = None,
    filename: str | None = None,
    version: datetime | None = None,
) -> IngestResult:
    """Parse a postmortem and record it and its items in the store. Raises UserError on bad input.

    `version` is the source's time of this content; an older one than the store holds is not stored.
    A document the parser refuses is recorded as a parse failure (source, content hash, reason).
    """
    parsed = parse_with_limits(settings, content, filename=filename, identity=postmortem_id, record_as=source)
    return _store_parsed(settings, parsed, content=content, source=source,
                         identity=postmortem_id or parsed.identity, team=team, title=title,
                         approved_at=approved_at, version=version)


def _store_parsed(
    settings: Settings,
    parsed: Postmortem,
    *,
    content: bytes,
    source: str,
    identity: str,
    team: str | None,
    title: str | None,
    approved_at: datetime | None,
    version: datetime | None = None,
) -> IngestResult:
    if title and not parsed.title:
        parsed = replace(parsed, title=title)
    key = postmortem_key(identity)
    store = open_store(settings)
    previous = store.get_postmortem(key)
    chosen = route_team(
        settings, option=team, metadata=parsed.team, stored=previous.team if previous else None
    )
    try:
        changed = store.save_postmortem(
            parsed,
            key=key,
            source=source,
            team=chosen,
            content_hash=hashlib.sha256(content).hexdigest(),
            content=content if source.startswith("inline:") else None,
            approved_at=approved_at,
            version=version,
        )
    except StaleVersion:
        return IngestResult(postmortem_key=key, changed=False, item_count=len(parsed.action_items),
                            team=chosen, stale=True)
    return IngestResult(postmortem_key=key, changed=changed, item_count=len(parsed.action_items), team=chosen)


def sync(
    settings: Settings,
    postmortem_key: str,
    *,
    dry_run: bool = False,
    throttle: WriteThrottle | None = None,
) -> SyncResult:
    """Plan and apply one postmortem's tickets in its team's tracker; safe to re-run at any time.

    With no credentials for the team's tracker this is a dry run (`SyncResult.dry_run_reason` says
    why). A dry run with credentials still reads (search, user lookups) but never writes.
    """
    store = open_store(settings)
    pm = store.get_postmortem(postmortem_key)
    if pm is None:
        raise UserError(f"unknown postmortem {postmortem_key!r}: ingest it first")
    team = _team(settings, pm)
    tracker = build_tracker(settings, team, throttle=throttle) if tracker_configured(settings, team) else None
    if dry_run or tracker is None:
        return SyncRun(store, settings, pm, team, tracker, dry_run=True).run()
    # The worker's Redis/file lock covers workers only; `followthrough sync`/`resync` run here too, and
    # two overlapping syncs would both search, find nothing and both create.
    with store.sync_lock(postmortem_key) as taken:
        if not taken:
            raise SyncBusy(
                f"another sync of postmortem {postmortem_key} is running; try again when it is done"
            )
        return SyncRun(store, settings, pm, team, tracker, dry_run=False).run()


def preview(
    settings: Settings,
    *,
    content: bytes,
    source: str,
    team: str | None = None,
    filename: str | None = None,
    postmortem_id: str | None = None,
    throttle: WriteThrottle | None = None,
) -> SyncResult:
    """What `ingest` then `sync` would do, as a dry run that writes to neither the store nor the tracker.

    A dry run that stored the document would make it what later syncs (the worker's sweep of
    unsynced postmortems, its next resync) act on, and would move the postmortem to `team`.
    """
    parsed = parse_with_limits(settings, content, filename=filename, identity=postmortem_id)
    return _preview_parsed(settings, parsed, content=content, source=source, team=team,
                           identity=postmortem_id or parsed.identity, throttle=throttle)


def _preview_parsed(
    settings: Settings,
    parsed: Postmortem,
    *,
    content: bytes,
    source: str,
    team: str | None,
    identity: str,
    throttle: WriteThrottle | None,
) -> SyncResult:
    key = postmortem_key(identity)
    store = plan_store(settings)
    previous = store.get_postmortem(key)
    chosen = route_team(
        settings, option=team, metadata=parsed.team, stored=previous.team if previous else None
    )
    pm = PostmortemRecord(
        key=key,
        identity=identity,
        source=source,
        team=chosen,
        title=parsed.title,
        owner=parsed.owner,
        incident_date=parsed.incident_date,
        severity=parsed.severity,
        content_hash=hashlib.sha256(content).hexdigest(),
        approved_at=previous.approved_at if previous else None,
        ingested_at=previous.ingested_at if previous else datetime.now(UTC),
        synced_at=previous.synced_at if previous else None,
        has_content=source.startswith("inline:"),
    )
    found = _team(settings, pm)
    records = store.preview_items(key, parsed.action_items)
    configured = tracker_configured(settings, found)
    tracker = build_tracker(settings, found, throttle=throttle) if configured else None
    return SyncRun(store, settings, pm, found, tracker, dry_run=True, records=records).run()


def sync_document(
    settings: Settings,
    *,
    content: bytes,
    source: str,
    team: str | None = None,
    filename: str | None = None,
    postmortem_id: str | None = None,
    dry_run: bool = False,
    throttle: WriteThrottle | None = None,
) -> SyncResult:
    """Ingest a document and sync its tickets; a dry run, or a team without tracker credentials, only plans.

    A plan writes nothing at all: not the document, not its items, not a sync-run row (and creates no
    store), so a cron job with a missing token cannot quietly move the store ahead of the tracker.
    """
    parsed = parse_with_limits(settings, content, filename=filename, identity=postmortem_id)
    identity = postmortem_id or parsed.identity
    if not dry_run:
        store = existing_store(settings)
        previous = store.get_postmortem(postmortem_key(identity)) if store is not None else None
        chosen = route_team(
            settings, option=team, metadata=parsed.team, stored=previous.team if previous else None
        )
        destination = settings.team(chosen)
        # No team to sync to: the preview raises the same error as sync would, before anything is written.
        dry_run = destination is None or not tracker_configured(settings, destination)
    if dry_run:
        return _preview_parsed(settings, parsed, content=content, source=source, team=team,
                               identity=identity, throttle=throttle)
    ingested = _store_parsed(settings, parsed, content=content, source=source, identity=identity,
                             team=team, title=None, approved_at=None)
    return sync(settings, ingested.postmortem_key, throttle=throttle)


def _team(settings: Settings, pm: PostmortemRecord) -> Team:
    team = settings.team(pm.team)
    if team is None:
        if not settings.teams:
            raise UserError("no teams configured: add 'teams' to the file named by FOLLOWTHROUGH_CONFIG")
        raise UserError(f"postmortem {pm.key} belongs to team {pm.team!r}, which is not configured")
    return team


def list_postmortems(settings: Settings, *, team: str | None = None) -> list[PostmortemRecord]:
    """Every stored postmortem (oldest first), optionally of one team; none when there is no store yet."""
    store = existing_store(settings)
    return store.list_postmortems(team=team) if store is not None else []


def parse_failures(settings: Settings) -> list[ParseFailureRecord]:
    """Every document the parser refused (most recent first): source, content hash, reason."""
    return open_store(settings).parse_failures()


def load_content(settings: Settings, postmortem_key: str) -> bytes:
    """The stored content of an inline postmortem, for re-ingest; UserError when none is kept."""
    store = open_store(settings)
    if store.get_postmortem(postmortem_key) is None:
        raise UserError(f"unknown postmortem {postmortem_key!r}")
    content = store.load_content(postmortem_key)
    if content is None:
        raise UserError(f"postmortem {postmortem_key} has no stored content: re-read it from its source")
    return content
