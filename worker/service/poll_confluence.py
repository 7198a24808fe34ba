"""Poll Confluence for approved pages that are new or edited: the trigger on Cloud, the sweep on both.

Each poll runs one CQL search per configured space (space, approval label, `lastmodified` within the time
since the last poll plus an overlap: CQL search lags behind edits and has minute precision). Every
`full_scan_hours` it lists the spaces' approved pages without the time window, since adding a label to an
old page does not change when the page was last modified. A page is queued when the store holds no
version of it or an older one; an ingest reads the current page, so a repeated poll costs nothing more.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from config.settings import Settings
from connectors.sources import BadSource, ConfluencePage, parse_source
from connectors.sources.confluence import ConfluenceReader
from worker.service.requests import IngestRequest
from worker.store.cursors import Cursors
from worker.sync import pipeline

NAME = "confluence"


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def stored_versions(settings: Settings) -> dict[str, int]:
    """Page id -> the newest page version the store holds (refused documents count as held)."""
    sources = [record.source for record in pipeline.list_postmortems(settings)]
    sources += [failure.source for failure in pipeline.parse_failures(settings)]
    versions: dict[str, int] = {}
    for source in sources:
        try:
            ref = parse_source(source)
        except BadSource:
            continue
        if isinstance(ref, ConfluencePage) and ref.version is not None:
            versions[ref.page_id] = max(ref.version, versions.get(ref.page_id, 0))
    return versions


def poll(settings: Settings, *, now: datetime | None = None,
         reader: ConfluenceReader | None = None) -> list[IngestRequest]:
    """Ingest requests for approved pages the store lacks or holds an older version of."""
    source = settings.sources.confluence
    if source is None:
        return []
    now = now or datetime.now(UTC)
    cursors = Cursors(pipeline.open_store(settings))
    cursor = cursors.get(NAME)
    since, full_at = _when(cursor.get("since")), _when(cursor.get("full_at"))
    full = since is None or full_at is None or now - full_at >= timedelta(hours=source.full_scan_hours)
    minutes = None
    if not full and since is not None:
        minutes = math.ceil(max(0.0, (now - since).total_seconds()) / 60) + source.overlap_minutes
    reader = reader or ConfluenceReader(settings, source)
    held = stored_versions(settings)
    requests: list[IngestRequest] = []
    for space in source.spaces:
        for page in reader.approved(space, minutes=minutes):
            if page.version is not None and held.get(page.page_id, 0) >= page.version:
                continue
            team = space.team or source.team
            requests.append(IngestRequest(source=f"confluence:{page.page_id}", team=team))
    cursors.put(NAME, {"since": now.isoformat(), "full_at": (now if full else full_at or now).isoformat()},
                now=now)
    return requests
