"""Where a postmortem's text comes from, as a recorded source string, and how to fetch it again.

Source strings (the pipeline records them for resync): `file:/abs/path`, `github:owner/repo@ref:path`,
`jira:KEY`, `inline:<id>` (the content lives only in the store), `notion:<page id, 32 hex>`,
`gitlab:group/project@ref:path` `gitlab-incident:group/project#iid`,
`confluence:<page id>@<version>` (the version read; resync and triggers read the current page) and
`gdocs:<Drive file id>`. Each kind has its own prefix,
so ids from one source never collide with another's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from connectors.errors import TrackerError

_GITHUB = re.compile(r"^github:(?P<repo>[\w.-]+/[\w.-]+)@(?P<ref>[^:]+):(?P<path>.+)$")
_JIRA = re.compile(r"^jira:(?P<key>[A-Z][A-Z0-9_]*-\d+)$")
_NOTION = re.compile(r"^notion:(?P<page>[0-9a-f]{32})$")
_GITLAB = re.compile(r"^gitlab:(?P<project>[\w.-]+(?:/[\w.-]+)+)@(?P<ref>[^:]+):(?P<path>.+)$")
_GITLAB_INCIDENT = re.compile(r"^gitlab-incident:(?P<project>[\w.-]+(?:/[\w.-]+)+)#(?P<iid>\d{1,12})$")
_CONFLUENCE = re.compile(r"^confluence:(?P<id>\d{1,30})(?:@(?P<version>\d{1,9}))?$")
_GDOCS = re.compile(r"^gdocs:(?P<id>[A-Za-z0-9_-]{1,200})$")


class BadSource(ValueError):
    """A source string that names no known kind of source."""


@dataclass(frozen=True, slots=True)
class FileSource:
    path: str

    def __str__(self) -> str:
        return f"file:{self.path}"


@dataclass(frozen=True, slots=True)
class GitHubFile:
    repo: str
    ref: str
    path: str

    def __str__(self) -> str:
        return f"github:{self.repo}@{self.ref}:{self.path}"


@dataclass(frozen=True, slots=True)
class JiraIssue:
    key: str

    def __str__(self) -> str:
        return f"jira:{self.key}"


@dataclass(frozen=True, slots=True)
class InlineSource:
    id: str

    def __str__(self) -> str:
        return f"inline:{self.id}"


@dataclass(frozen=True, slots=True)
class NotionPage:
    page: str  # 32 lowercase hex digits

    def __str__(self) -> str:
        return f"notion:{self.page}"


@dataclass(frozen=True, slots=True)
class GitLabFile:
    project: str  # full path, "group/sub/name"
    ref: str
    path: str

    def __str__(self) -> str:
        return f"gitlab:{self.project}@{self.ref}:{self.path}"


@dataclass(frozen=True, slots=True)
class GitLabIncident:
    project: str
    iid: int

    def __str__(self) -> str:
        return f"gitlab-incident:{self.project}#{self.iid}"


class NotConfigured(TrackerError):
    """The source exists but lies outside the configuration (another database, project or branch)."""


@dataclass(frozen=True, slots=True)
class ConfluencePage:
    """A Confluence page; `version` is the page version a read returned (None: the current one)."""

    page_id: str
    version: int | None = None

    def __str__(self) -> str:
        return f"confluence:{self.page_id}" + (f"@{self.version}" if self.version is not None else "")


@dataclass(frozen=True, slots=True)
class GoogleDoc:
    """A Google Docs document, by its Drive file id."""

    file_id: str

    def __str__(self) -> str:
        return f"gdocs:{self.file_id}"


SourceRef = (FileSource | GitHubFile | JiraIssue | InlineSource | NotionPage | GitLabFile | GitLabIncident
             | ConfluencePage | GoogleDoc)


@dataclass(frozen=True, slots=True)
class Document:
    """Fetched postmortem text with what the source knows about it."""

    content: bytes
    source: SourceRef
    filename: str | None = None
    title: str | None = None
    #: The source's time of this content (Jira `updated`), used to order versions; None when unknown.
    version: datetime | None = None
    #: Whether the source approves this content now (Notion's status property); None: approval is the
    #: trigger's, not the document's (files, Jira reviews).
    approved: bool | None = None


def parse_source(text: str) -> SourceRef:
    """Read a recorded source string, or raise BadSource naming what is wrong."""
    kind, sep, rest = text.partition(":")
    if not sep or not rest:
        raise BadSource(f"source {text[:80]!r} has no kind (file:, github:, jira: or inline:)")
    if kind == "file":
        return FileSource(rest)
    if kind == "inline":
        return InlineSource(rest)
    if kind == "github":
        match = _GITHUB.match(text)
        if match is None:
            raise BadSource(f"source {text[:80]!r} is not github:owner/repo@ref:path")
        return GitHubFile(match["repo"], match["ref"], match["path"])
    if kind == "jira":
        match = _JIRA.match(text)
        if match is None:
            raise BadSource(f"source {text[:80]!r} is not jira:KEY-123")
        return JiraIssue(match["key"])
    if kind in _PATTERNS:
        return _vendor_source(kind, text)
    if kind in ("confluence", "gdocs"):
        return _document_source(text)
    raise BadSource(f"source kind {kind[:20]!r} is unknown (file:, github:, jira: or inline:)")


_PATTERNS = {"notion": (_NOTION, "notion:<32 hex page id>"),
             "gitlab": (_GITLAB, "gitlab:group/project@ref:path"),
             "gitlab-incident": (_GITLAB_INCIDENT, "gitlab-incident:group/project#iid")}


def _vendor_source(kind: str, text: str) -> SourceRef:
    pattern, shape = _PATTERNS[kind]
    match = pattern.match(text)
    if match is None:
        raise BadSource(f"source {text[:80]!r} is not {shape}")
    if kind == "notion":
        return NotionPage(match["page"])
    if kind == "gitlab":
        return GitLabFile(match["project"], match["ref"], match["path"])
    return GitLabIncident(match["project"], int(match["iid"]))


def _document_source(text: str) -> ConfluencePage | GoogleDoc:
    confluence = _CONFLUENCE.match(text)
    if confluence is not None:
        version = confluence["version"]
        return ConfluencePage(confluence["id"], int(version) if version else None)
    gdocs = _GDOCS.match(text)
    if gdocs is not None:
        return GoogleDoc(gdocs["id"])
    raise BadSource(f"source {text[:80]!r} is not confluence:<page id> or gdocs:<file id>")


def stable_id(ref: SourceRef) -> str:
    """The postmortem id a source implies when the trigger names none; the same at every commit."""
    if isinstance(ref, GitHubFile):
        return f"github:{ref.repo.lower()}:{ref.path}"
    if isinstance(ref, GitLabFile):
        return f"gitlab:{ref.project.lower()}:{ref.path}"
    if isinstance(ref, GitLabIncident):
        return f"gitlab-incident:{ref.project.lower()}#{ref.iid}"
    if isinstance(ref, ConfluencePage):
        return f"confluence:{ref.page_id}"  # one postmortem across the page's versions
    return str(ref)


def at_head(ref: GitHubFile, branch: str) -> GitHubFile:
    """The same file on a branch instead of a pinned commit (what resync re-reads)."""
    return GitHubFile(ref.repo, branch, ref.path)
