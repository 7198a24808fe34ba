"""`check` for the configured document sources: each one is read the way the sweep reads it.

GitHub: the repository, the branch (or the default one), the tree, and that the folder holds documents.
Jira: the JQL as the sweep runs it, so an unknown project, approved status or a JQL error is named the way
Jira names it. Each source is checked on its own, like the sweep runs them.
"""

from __future__ import annotations

from config.settings import Settings
from connectors.check import Finding
from connectors.errors import TrackerError, Transient
from connectors.sources.github import GitHubReader
from connectors.sources.jira import JiraReader


def check_sources(settings: Settings) -> list[Finding]:
    """One finding per problem of each configured source (none configured: none)."""
    findings: list[Finding] = []
    github, jira = settings.sources.github, settings.sources.jira
    if github is not None:
        where = f"source github:{github.repo}"
        if settings.github_token is None:
            findings.append(Finding(where, "GITHUB_TOKEN is not set: the sweep cannot read this source"))
        else:
            try:
                files = GitHubReader(settings).list_postmortems(github)
            except TrackerError as exc:
                findings.append(Finding(where, str(exc), unreachable=isinstance(exc, Transient)))
            else:
                if not files:
                    branch = github.branch or "the default branch"
                    findings.append(Finding(where, f"no postmortem files under {github.path!r} on {branch}"))
    if jira is not None:
        if not settings.jira_url:
            findings.append(Finding("source jira", "JIRA_URL is not set: the sweep cannot read this source"))
        else:
            try:
                JiraReader(settings).approved(jira)
            except TrackerError as exc:
                findings.append(Finding("source jira", f"{jira.search_jql()}: {exc}",
                                        unreachable=isinstance(exc, Transient)))
    return findings
