"""Find the documents under review whose sources have no review event: Confluence pages carrying the
review label (CQL by space and label, edited within the window), Google Docs in the review folders.

Confluence Cloud has no admin webhooks and Drive's change feed belongs to the approval poll, so the
preview of these is kept current by a periodic sweep (worker.tasks.contract.preview_sweep); previewing an
unchanged document finds its comment the same and writes nothing.
"""

from __future__ import annotations

from config.settings import Settings
from connectors.sources.confluence import ConfluenceReader, _quote
from connectors.sources.gdocs import DOC_MIME, DriveReader


def confluence_reviews(settings: Settings, *, minutes: int | None) -> list[str]:
    """Page ids of the configured spaces that carry the review label (edited within `minutes`)."""
    source = settings.sources.confluence
    if source is None or not source.contract.preview or source.edition != "cloud":
        return []
    reader = ConfluenceReader(settings, source)
    found: list[str] = []
    for space in source.spaces:
        label = _quote(source.contract.review_label)
        cql = f"space = {_quote(space.key)} AND type = page AND label = {label}"
        if minutes is not None:
            cql += f' AND lastmodified > now("-{minutes}m")'
        found += [page.page_id for page in reader.search(cql)]
    return found


def gdocs_reviews(settings: Settings) -> list[str]:
    """File ids of the Google Docs in the review folders."""
    source = settings.sources.gdocs
    if source is None or not source.contract.preview or not source.contract.review_folders:
        return []
    reader = DriveReader(settings, source)
    parents = " or ".join(f"'{folder}' in parents" for folder in source.contract.review_folders)
    query = f"({parents}) and mimeType = '{DOC_MIME}' and trashed = false"
    found: list[str] = []
    page: str | None = None
    while True:
        reply = reader._run("drive review files", reader.drive().files().list(
            q=query, fields="nextPageToken,files(id)", pageSize=1000, pageToken=page,
            supportsAllDrives=True, includeItemsFromAllDrives=True))
        found += [str(file["id"]) for file in reply.get("files", []) if file.get("id")]
        page = reply.get("nextPageToken")
        if not page:
            return found
