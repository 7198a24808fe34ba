"""Fetch a postmortem's text again from its recorded source (file, GitHub file, Jira issue, Confluence page
or Google Doc)."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from connectors.sources import (
    ConfluencePage,
    Document,
    FileSource,
    GitHubFile,
    GitLabFile,
    GitLabIncident,
    GoogleDoc,
    InlineSource,
    JiraIssue,
    NotConfigured,
    NotionPage,
    SourceRef,
)
from connectors.sources.confluence import ConfluenceReader
from connectors.sources.gdocs import DriveReader
from connectors.sources.github import GitHubReader
from connectors.sources.gitlab import GitLabReader
from connectors.sources.jira import JiraReader
from connectors.sources.notion import NotionReader
from worker.errors import UserError
from worker.service.trust import Refused


def fetch_document(settings: Settings, ref: SourceRef, *, local_files: bool = False) -> Document:
    """The current text of a source; inline sources live only in the store and cannot be fetched.

    Local files are read only with `local_files=True`, which only the command line passes: a task
    from the broker must never read the worker's disk.
    """
    if isinstance(ref, FileSource):
        if not local_files:
            raise UserError(f"{ref}: local files are read only by the command line")
        return _read_file(settings, ref)
    if isinstance(ref, GitHubFile):
        return GitHubReader(settings).fetch(ref)
    if isinstance(ref, JiraIssue):
        return JiraReader(settings).fetch(ref)
    if isinstance(ref, NotionPage | GitLabFile | GitLabIncident):
        return _fetch_vendor(settings, ref)
    if isinstance(ref, ConfluencePage | GoogleDoc):
        return _fetch_document_source(settings, ref)
    if isinstance(ref, InlineSource):
        raise UserError(f"{ref} has no source to fetch: its content lives in the store")
    raise UserError(f"unknown source {ref!r}")


def _fetch_vendor(settings: Settings, ref: NotionPage | GitLabFile | GitLabIncident) -> Document:
    """Notion and GitLab reads; a page or issue outside the configuration is refused, never retried."""
    try:
        if isinstance(ref, NotionPage):
            return NotionReader(settings).fetch(ref)
        return GitLabReader(settings).fetch(ref)
    except NotConfigured as exc:
        raise Refused(str(exc)) from None


def _fetch_document_source(settings: Settings, ref: ConfluencePage | GoogleDoc) -> Document:
    """A Confluence page or a Google Doc; the reader refuses one outside the configured spaces/folders."""
    sources = settings.sources
    if isinstance(ref, ConfluencePage):
        if sources.confluence is None:
            raise UserError(f"{ref}: no Confluence source is configured")
        return ConfluenceReader(settings, sources.confluence).fetch(ref)
    if sources.gdocs is None:
        raise UserError(f"{ref}: no Google Docs source is configured")
    return DriveReader(settings, sources.gdocs).fetch(ref)


def _read_file(settings: Settings, ref: FileSource) -> Document:
    path = Path(ref.path)
    limit = settings.max_document_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise UserError(f"{path}: {size} bytes is over max_document_bytes ({limit})")
        content = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return Document(content=content, source=ref, filename=path.name)
