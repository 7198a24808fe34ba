"""`followthrough check` for the Notion source: the token, each database, and the approval rule.

Calls: GET /v1/users/me (the token), GET /v1/databases/{id} (shared with the integration, its data
sources), GET /v1/data_sources/{id} (the status property exists, is a status or select property, and has
the approved value among its options).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from config.settings import Settings
from config.sources import NotionSource
from connectors.check import Finding
from connectors.errors import AuthError, NotFound, TrackerError, Transient
from connectors.sources.notion import NotionReader

WHERE = "notion"


def check_notion(settings: Settings) -> list[Finding]:
    """Every problem of the configured Notion source (none when it is not configured)."""
    source = settings.sources.notion
    if source is None:
        return []
    if settings.notion_token is None:
        return [Finding(WHERE, "NOTION_TOKEN is not set: the Notion source cannot be read")]
    reader = NotionReader(settings)
    try:
        reader.me()
    except AuthError as exc:
        return [Finding(WHERE, f"NOTION_TOKEN rejected: {exc}")]
    except TrackerError as exc:
        return [Finding(WHERE, f"cannot reach {settings.notion_api_url}: {exc}", unreachable=True)]
    findings: list[Finding] = []
    if settings.notion_webhook_secret is None:
        findings.append(Finding(WHERE, "FOLLOWTHROUGH_NOTION_WEBHOOK_SECRET is not set: Notion events are "
                                       "refused and only the sweep finds approved pages"))
    for database in source.databases:
        try:
            findings += list(_database(reader, source, database))
        except TrackerError as exc:
            findings.append(Finding(f"{WHERE} database {database}", f"check could not finish: {exc}",
                                    unreachable=isinstance(exc, Transient)))
    return findings


def _database(reader: NotionReader, source: NotionSource, database: str) -> Iterator[Finding]:
    where = f"{WHERE} database {database}"
    try:
        data_sources = reader.data_sources(database)
    except NotFound:
        yield Finding(where, "does not exist or is not shared with the integration")
        return
    for data_source in data_sources:
        prop: Any = reader.schema(data_source).get(source.status_property)
        if not isinstance(prop, dict):
            yield Finding(where, f"has no property {source.status_property!r} "
                                 "(sources.notion.status_property)")
            continue
        kind = prop.get("type")
        if kind not in ("status", "select"):
            yield Finding(where, f"property {source.status_property!r} is a {kind} property, "
                                 "not a status or select")
            continue
        options = {str(o.get("name")) for o in (prop.get(str(kind)) or {}).get("options", [])}
        if source.approved_status not in options:
            yield Finding(where, f"property {source.status_property!r} has no option "
                                 f"{source.approved_status!r} (sources.notion.approved_status)")
