"""Which sources an ingest request from outside (a webhook, a task on the broker) may make us read.

Only the CLI reads local files. Everyone else may name GitHub files of the configured repository under
the configured folder, Jira issues of the configured projects, and pages or documents of a configured
Confluence or Google Docs source (whose readers confine them to the configured spaces and folders): the
bot's tokens read far more than what was configured, and neither a webhook body nor a broker message is a
trust boundary.
"""

from __future__ import annotations

from config.settings import Settings
from connectors.sources import (
    ConfluencePage,
    FileSource,
    GitHubFile,
    GitLabFile,
    GitLabIncident,
    GoogleDoc,
    InlineSource,
    JiraIssue,
    NotionPage,
    SourceRef,
    parse_source,
)
from worker.errors import UserError
from worker.service.requests import IngestRequest


class Refused(UserError):
    """The request names a source that is not configured (or a local file): never retried."""


def check_source(settings: Settings, request: IngestRequest) -> None:
    """Raise Refused unless the request's source (if any) is one the configuration allows."""
    if request.source is None:
        return
    ref = parse_source(request.source)
    sources = settings.sources
    if isinstance(ref, FileSource):
        raise Refused("file: sources are read only by the command line, not from webhooks or the broker")
    if isinstance(ref, InlineSource):
        raise Refused("inline: sources live in the store; send the content instead")
    if isinstance(ref, GitHubFile):
        github = sources.github
        if github is None or not github.has_repo(ref.repo):
            raise Refused(f"repository {ref.repo[:100]!r} is not a configured postmortem source")
        if not github.covers(ref.path):
            raise Refused(f"path {ref.path[:200]!r} is not a postmortem under {github.path!r}")
        return
    if isinstance(ref, JiraIssue):
        jira = sources.jira
        if jira is None or not jira.covers(ref.key):
            raise Refused(f"issue {ref.key[:50]!r} is not in a configured Jira project")
        return
    if isinstance(ref, ConfluencePage | GoogleDoc):
        # The id names no space or folder: the reader checks the document's own space or parent folders
        # (and its approval) before anything is parsed, and refuses it when outside.
        if (sources.confluence if isinstance(ref, ConfluencePage) else sources.gdocs) is None:
            raise Refused(f"{str(ref)[:60]}: that kind of source is not configured")
        return
    _check_vendor(settings, ref)


def _check_vendor(settings: Settings, ref: SourceRef) -> None:
    """Notion pages (their database is checked when the page is read) and GitLab files and incidents."""
    sources = settings.sources
    if isinstance(ref, NotionPage):
        if sources.notion is None:
            raise Refused("no Notion source is configured")
        return
    if isinstance(ref, GitLabFile | GitLabIncident):
        gitlab = sources.gitlab
        if gitlab is None or not gitlab.has_project(ref.project):
            raise Refused(f"project {ref.project[:100]!r} is not a configured GitLab postmortem source")
        if isinstance(ref, GitLabIncident) and not gitlab.incidents:
            raise Refused("GitLab incident issues are not a configured source (sources.gitlab.incidents)")
        if isinstance(ref, GitLabFile) and not gitlab.covers(ref.path):
            raise Refused(f"path {ref.path[:200]!r} is not a postmortem under {gitlab.path!r}")
        return
    raise Refused("unknown source")  # pragma: no cover - parse_source knows no other kinds
