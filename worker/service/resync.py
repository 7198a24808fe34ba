"""Manual resync: re-read stored postmortems from their sources and reconcile their tickets again."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from config.settings import Settings
from connectors.errors import TrackerError
from connectors.sources import BadSource, GitHubFile, InlineSource, at_head, parse_source
from connectors.sources.github import GitHubReader
from connectors.throttle import WriteThrottle
from worker.errors import UserError
from worker.service.fetch import fetch_document
from worker.sync import pipeline


@dataclass(frozen=True, slots=True)
class ResyncOutcome:
    """What resyncing one postmortem did; `error` is a one-line reason when it failed."""

    postmortem_key: str
    title: str | None
    changed: bool = False
    counts: dict[str, int] | None = None
    error: str | None = None


def select(settings: Settings, ids: Sequence[str], *, every: bool) -> list[Any]:
    """The stored postmortems named by key or id (or all of them); an unknown name is a UserError."""
    records = list(pipeline.list_postmortems(settings))
    if every:
        return records
    if not ids:
        raise UserError("name at least one postmortem ID, or use --all")
    chosen: list[Any] = []
    for wanted in ids:
        match = [r for r in records if wanted in (str(r.key), str(getattr(r, "identity", "")))]
        if not match:
            raise UserError(f"no stored postmortem has key or id {wanted!r}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def _record(settings: Settings, postmortem_key: str) -> Any:
    for record in pipeline.list_postmortems(settings):
        if str(record.key) == postmortem_key:
            return record
    raise UserError(f"no stored postmortem has key {postmortem_key!r}")


def reingest(settings: Settings, postmortem_key: str, *, local_files: bool = False) -> pipeline.IngestResult:
    """Fetch the postmortem's current text from its source and ingest it (a no-op when unchanged)."""
    record = _record(settings, postmortem_key)
    try:
        ref = parse_source(str(record.source))
    except BadSource as exc:
        raise UserError(str(exc)) from None
    if isinstance(ref, InlineSource):
        # Pushed by a webhook with inline content: the stored copy is the only one there is.
        content = pipeline.load_content(settings, postmortem_key)
        filename = None
    else:
        if isinstance(ref, GitHubFile):
            # Recorded at the commit that merged it; resync reads what the branch holds now.
            source = settings.sources.github
            branch = source.branch if source is not None and source.branch else None
            ref = at_head(ref, branch or GitHubReader(settings).default_branch(ref.repo))
        document = fetch_document(settings, ref, local_files=local_files)
        content, filename = document.content, document.filename
    return pipeline.ingest(
        settings, content=content, source=str(record.source) if isinstance(ref, InlineSource) else str(ref),
        postmortem_id=str(getattr(record, "identity", "") or postmortem_key),
        title=getattr(record, "title", None), team=getattr(record, "team", None), filename=filename,
    )


def resync_one(settings: Settings, postmortem_key: str, *, throttle: WriteThrottle | None = None,
               title: str | None = None, local_files: bool = False) -> ResyncOutcome:
    """Re-ingest and sync one postmortem in this process; failures are reported, not raised."""
    try:
        ingested = reingest(settings, postmortem_key, local_files=local_files)
        synced = pipeline.sync(settings, ingested.postmortem_key, throttle=throttle)
    except (UserError, TrackerError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return ResyncOutcome(postmortem_key, title, error=first)
    error = None
    if synced.retry_error is not None:
        error = f"{type(synced.retry_error).__name__}: {synced.retry_error} (run resync again later)"
    return ResyncOutcome(postmortem_key, title, changed=ingested.changed, counts=synced.counts(), error=error)


def resync_many(
    settings: Settings,
    keys: Iterable[tuple[str, str | None]],
    *,
    throttle: WriteThrottle | None = None,
    on_done: Callable[[ResyncOutcome], None] = lambda outcome: None,
    local_files: bool = False,
) -> list[ResyncOutcome]:
    """Resync (key, title) pairs one after another, calling `on_done` after each."""
    outcomes = []
    for key, title in keys:
        outcome = resync_one(settings, key, throttle=throttle, title=title, local_files=local_files)
        on_done(outcome)
        outcomes.append(outcome)
    return outcomes
