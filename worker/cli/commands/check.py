"""`followthrough check`: a doctor for the configuration, one line per problem, non-zero when any."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from worker.cli.exits import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE

if TYPE_CHECKING:
    from config.settings import Settings
    from config.teams import Team
    from connectors.check import Finding


@click.command(
    "check",
    help="Check the configuration against the trackers: credentials work; each team's Jira project and "
    "issue type, or GitHub repository and milestone, exist; the priority mapping names real priorities; "
    "each directory person can be assigned; and no field Jira requires on create is left unfilled (set "
    "those in the team's jira.fields); each Confluence or Google Docs source's credentials, spaces or "
    "folders, and approval rule. Prints one line per problem; exits 2 when there is any, 3 when a "
    "tracker could not be reached, 0 when all is well. It only reads.",
)
def command() -> int:
    from config.settings import load_settings
    from worker.cli.progress import spinner

    settings = load_settings()
    with spinner("checking the configuration"):
        findings = diagnose(settings)
    for finding in findings:
        click.echo(finding.line())
    people = len(settings.people)
    if not findings:
        click.echo(f"checked {len(settings.teams)} team(s) and {people} people: no problems")
        return EXIT_OK
    click.echo(f"{len(findings)} problem(s)")
    return EXIT_USAGE if any(not f.unreachable for f in findings) else EXIT_UNAVAILABLE


def diagnose(settings: Settings) -> list[Finding]:
    """Every problem found, configuration first, then each tracker's."""
    from connectors.check import Finding

    if not settings.teams:
        return [Finding("config", "no teams configured: add `teams:` to the file in FOLLOWTHROUGH_CONFIG")]
    jira_teams = [t for t in settings.teams.values() if t.tracker == "jira"]
    github_teams = [t for t in settings.teams.values() if t.tracker == "github"]
    findings: list[Finding] = []
    if jira_teams:
        findings += _jira(settings, jira_teams)
    if github_teams:
        findings += _github(settings, github_teams)
    gitlab_teams = [t for t in settings.teams.values() if t.tracker == "gitlab"]
    if gitlab_teams:
        findings += _gitlab(settings, gitlab_teams)
    from connectors.contract_check import check_contract  # previews and write-back, where turned on

    return findings + _vendor_sources(settings) + _sources(settings) + check_contract(settings)


def _vendor_sources(settings: Settings) -> list[Finding]:
    """The Notion and GitLab sources: one validator each (credentials, access, the approval rule)."""
    from connectors.sources.gitlab_check import check_gitlab_source
    from connectors.sources.notion_check import check_notion

    return [*check_notion(settings), *check_gitlab_source(settings)]


def _gitlab(settings: Settings, teams: list[Team]) -> list[Finding]:
    from connectors.gitlab import GitLabTracker, connect_gitlab
    from connectors.sources.gitlab_check import check_destination, check_token

    missing = _no_credentials(settings, teams, "GITLAB_TOKEN")
    if missing:
        return missing
    connection = connect_gitlab(settings, timeout=settings.tracker_timeout)
    findings = check_token(connection, settings)
    if findings:
        return findings
    people = [p for p in settings.people if p.gitlab_username]
    for team in teams:
        assert team.gitlab is not None
        findings += check_destination(GitLabTracker(connection, team.gitlab), connection, team.gitlab, people)
    return findings


def _sources(settings: Settings) -> list[Finding]:
    """The document sources' credentials, access and approval rules (connectors/sources/source_check)."""
    from connectors.sources.source_check import check_confluence, check_gdocs

    findings: list[Finding] = []
    if settings.sources.confluence is not None:
        findings += check_confluence(settings, settings.sources.confluence)
    if settings.sources.gdocs is not None:
        findings += check_gdocs(settings, settings.sources.gdocs)
    return findings


def _no_credentials(settings: Settings, teams: list[Team], names: str) -> list[Finding]:
    from connectors.check import Finding
    from connectors.factory import tracker_configured

    if tracker_configured(settings, teams[0]):
        return []
    team_names = ", ".join(t.name for t in teams)
    return [Finding(teams[0].tracker, f"no credentials ({names}): team(s) {team_names} can only dry-run")]


def _jira(settings: Settings, teams: list[Team]) -> list[Finding]:
    from config.settings import ConfigError
    from connectors.check import Finding
    from connectors.errors import TrackerError, Transient
    from connectors.jira import JiraTracker, connect_jira
    from connectors.jira_check import check_destination, check_site
    from connectors.jira_rest import JiraRest

    missing = _no_credentials(settings, teams, "JIRA_URL with JIRA_EMAIL and JIRA_API_TOKEN, or JIRA_PAT")
    if missing:
        return missing
    try:
        client = connect_jira(settings, timeout=settings.tracker_timeout)
    except ConfigError as exc:
        return [Finding("jira", str(exc))]
    except TrackerError as exc:
        return [Finding("jira", f"cannot connect to {settings.jira_url}: {exc}",
                        unreachable=isinstance(exc, Transient))]
    rest = JiraRest(client)
    findings = check_site(rest)
    if findings:
        return findings
    people = [p for p in settings.people if p.jira_account_id]
    for team in teams:
        assert team.jira is not None  # a jira team always has its destination (validated)
        findings += check_destination(JiraTracker(client, team.jira), rest, people)
    return findings


def _github(settings: Settings, teams: list[Team]) -> list[Finding]:
    from connectors.factory import MAX_INLINE_WAIT
    from connectors.github import GitHubTracker, connect_github
    from connectors.github_check import check_destination, check_token
    from connectors.throttle import LocalWriteThrottle

    missing = _no_credentials(settings, teams, "GITHUB_TOKEN")
    if missing:
        return missing
    gh = connect_github(settings, timeout=settings.tracker_timeout, max_wait=MAX_INLINE_WAIT)
    findings = check_token(gh, settings.github_api_url)
    if findings:
        return findings
    people = [p for p in settings.people if p.github_login]
    for team in teams:
        assert team.github is not None
        tracker = GitHubTracker(gh, team.github, throttle=LocalWriteThrottle(max_wait=MAX_INLINE_WAIT),
                                max_wait=MAX_INLINE_WAIT)
        findings += check_destination(gh, tracker, team.github, people)
    return findings
