"""Fetch a postmortem's text again from its recorded source (file, GitHub file or Jira issue)."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from connectors.sources import Document, FileSource, GitHubFile, InlineSource, JiraIssue, SourceRef
from connectors.sources.github import GitHubReader
from connectors.sources.jira import JiraReader
from worker.errors import UserError


def fetch_document(settings: Settings, ref: SourceRef) -> Document:
    """The current text of a source; inline sources live only in the store and cannot be fetched."""
    if isinstance(ref, FileSource):
        return _read_file(settings, ref)
    if isinstance(ref, GitHubFile):
        return GitHubReader(settings).fetch(ref)
    if isinstance(ref, JiraIssue):
        return JiraReader(settings).fetch(ref)
    if isinstance(ref, InlineSource):
        raise UserError(f"{ref} has no source to fetch: its content lives in the store")
    raise UserError(f"unknown source {ref!r}")


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
