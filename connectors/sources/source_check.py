"""What `followthrough check` asks of the document sources: credentials, access and the approval rule.

One validator per source. Confluence: the credentials name a user (not the anonymous one), each configured
space exists and is readable, and its approval exists (some page in the space carries the label; on Cloud,
a status approval names one of the space's suggested page statuses). Google Docs: the service account (or
token) is accepted, and each approved folder is a folder it can read. Each returns findings, never raises.
"""

from __future__ import annotations

from config.settings import Settings
from config.sources import ConfluenceSource, ConfluenceSpace, GDocsSource
from connectors.check import Finding
from connectors.errors import NotFound, TrackerError, Transient
from connectors.sources.confluence import ConfluenceReader
from connectors.sources.gdocs import FOLDER_MIME, DriveReader


def _failed(where: str, exc: TrackerError) -> Finding:
    return Finding(where, str(exc), unreachable=isinstance(exc, Transient))


def check_confluence(settings: Settings, source: ConfluenceSource) -> list[Finding]:
    """Problems with the Confluence source (one line each)."""
    reader = ConfluenceReader(settings, source)
    try:
        me = reader.get_json("confluence user", "rest/api/user/current")
    except TrackerError as exc:
        return [_failed("confluence", exc)]
    if not isinstance(me, dict) or me.get("type") == "anonymous":
        return [Finding("confluence", "the credentials are not accepted (answered as the anonymous user)")]
    findings: list[Finding] = []
    for space in source.spaces:
        try:
            findings += _check_space(reader, space)
        except TrackerError as exc:
            findings.append(_failed(f"confluence space {space.key}", exc))
    return findings


def _check_space(reader: ConfluenceReader, space: ConfluenceSpace) -> list[Finding]:
    where = f"confluence space {space.key}"
    if reader.source.edition == "cloud":
        if space.key.upper() not in reader.space_ids():
            return [Finding(where, "no such space, or the credentials cannot read it")]
    else:
        try:
            reader.get_json(where, f"rest/api/space/{space.key}")
        except NotFound:
            return [Finding(where, "no such space, or the credentials cannot read it")]
    if space.approval == "label":
        if not reader.search(f'space = "{space.key}" AND type = page AND label = "{space.label}"', limit=1):
            return [Finding(where, f"no page carries the approval label {space.label!r} yet")]
        return []
    states = reader.get_json(where, f"rest/api/space/{space.key}/state")
    names = {str(s.get("name")) for s in states if isinstance(s, dict)} if isinstance(states, list) else set()
    if space.status not in names:
        return [Finding(where, f"page status {space.status!r} is not one of the space's statuses "
                               f"({', '.join(sorted(names)) or 'none'})")]
    return []


def check_gdocs(settings: Settings, source: GDocsSource) -> list[Finding]:
    """Problems with the Google Docs source (one line each)."""
    reader = DriveReader(settings, source)
    try:
        reader.whoami()
    except TrackerError as exc:
        return [_failed("gdocs", exc)]
    findings: list[Finding] = []
    for folder_id in source.approved_folders:
        where = f"gdocs folder {folder_id}"
        try:
            folder = reader.folder(folder_id)
        except NotFound:
            findings.append(Finding(where, "no such folder, or it is not shared with the service account"))
            continue
        except TrackerError as exc:
            findings.append(_failed(where, exc))
            continue
        if folder.get("mimeType") != FOLDER_MIME or folder.get("trashed"):
            findings.append(Finding(where, "is not a folder (or is in the trash)"))
    return findings
