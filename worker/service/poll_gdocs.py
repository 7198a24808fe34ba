"""Poll Google Drive's change feed for approved documents that are new or edited, and keep push open.

The cursor holds Drive's page token (from `changes.getStartPageToken`, then each poll's
`newStartPageToken`; tokens do not expire), the time of the last full listing of the approved folders
(every `full_scan_hours`, and on the first poll, whose token is taken before the listing so nothing falls
between), and the open push channels. A document is queued when the store holds no version of it or an
older `modifiedTime`. With `push_address` and GDRIVE_CHANNEL_SECRET set, each poll opens a new channel
when every open one ends within the renewal margin (channels cannot be renewed; the new one overlaps).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from config.settings import Settings
from connectors.errors import Invalid
from connectors.sources import BadSource, GoogleDoc, parse_source
from connectors.sources.gdocs import DocChange, DriveReader
from connectors.sources.gdrive_channels import channel_token, new_channel_id
from worker.service.requests import IngestRequest
from worker.store.cursors import Cursors
from worker.sync import pipeline

NAME = "gdocs"


def _when(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def stored_versions(settings: Settings) -> dict[str, datetime]:
    """File id -> the version the store holds (a refused document: when it was last refused)."""
    held: dict[str, datetime] = {}
    for record in pipeline.list_postmortems(settings):
        ref = _doc(record.source)
        if ref is not None:
            held[ref.file_id] = record.version or record.ingested_at
    for failure in pipeline.parse_failures(settings):
        ref = _doc(failure.source)
        if ref is not None:
            held.setdefault(ref.file_id, failure.last_failed_at)
    return {key: _when(value.isoformat()) or value for key, value in held.items()}


def _doc(source: str) -> GoogleDoc | None:
    try:
        ref = parse_source(source)
    except BadSource:
        return None
    return ref if isinstance(ref, GoogleDoc) else None


def renewal_margin(settings: Settings) -> timedelta:
    """A channel ending sooner than this gets a successor now: two sweep intervals, at least 10 minutes."""
    return max(timedelta(minutes=10), timedelta(minutes=2 * settings.reconcile_every_minutes))


def _channels(settings: Settings, reader: DriveReader, token: str, open_: list[dict[str, Any]],
              now: datetime) -> list[dict[str, Any]]:
    """The live channels, plus a new one when all of them end within the renewal margin."""
    source, secret = reader.source, settings.gdrive_channel_secret
    live = [c for c in open_ if (_when(c.get("expires")) or now) > now]
    if source.push_address is None or secret is None or not secret.get_secret_value():
        return live
    if any((_when(c.get("expires")) or now) > now + renewal_margin(settings) for c in live):
        return live
    expires = now + timedelta(hours=source.channel_hours)
    channel_id = new_channel_id()
    opened = reader.watch(token, channel_id, channel_token(secret, channel_id, int(expires.timestamp())),
                          expires)
    entry = {"id": opened.id, "resource_id": opened.resource_id, "expires": opened.expires.isoformat()}
    return [*live, entry]


def poll(settings: Settings, *, now: datetime | None = None,
         reader: DriveReader | None = None) -> list[IngestRequest]:
    """Ingest requests for approved documents the store lacks or holds an older version of."""
    source = settings.sources.gdocs
    if source is None:
        return []
    now = now or datetime.now(UTC)
    cursors = Cursors(pipeline.open_store(settings))
    cursor = cursors.get(NAME)
    reader = reader or DriveReader(settings, source)
    token, full_at = cursor.get("token"), _when(cursor.get("full_at"))
    docs: list[DocChange] = []
    full = full_at is None or now - full_at >= timedelta(hours=source.full_scan_hours)
    try:
        docs, token = reader.changes(str(token)) if token else ([], reader.start_token())
    except Invalid:
        # Drive refused the stored token (a store restored from elsewhere): start over, and list the
        # folders so nothing between the old token and the new one is lost.
        token, full = reader.start_token(), True
    if full:
        docs += reader.list_approved()
    held = stored_versions(settings)
    requests: dict[str, IngestRequest] = {}
    for doc in docs:
        stored = held.get(doc.file_id)
        if stored is not None and (doc.modified is None or doc.modified <= stored):
            continue
        requests[doc.file_id] = IngestRequest(source=f"gdocs:{doc.file_id}", team=source.team)
    channels = _channels(settings, reader, token, list(cursor.get("channels") or []), now)
    cursors.put(NAME, {"token": token, "full_at": (now if full else full_at or now).isoformat(),
                       "channels": channels}, now=now)
    return list(requests.values())
