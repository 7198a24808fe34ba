"""Build the tracker for a team's destination from the settings (None when it has no credentials)."""

from __future__ import annotations

from config.settings import Settings
from config.teams import Team
from connectors.throttle import LocalWriteThrottle, WriteThrottle
from connectors.tracker import Tracker

#: The longest rate-limit or throttle wait slept inside a call; longer waits surface as RateLimited.
MAX_INLINE_WAIT = 10.0


def tracker_configured(settings: Settings, team: Team) -> bool:
    """Whether any credential for the team's tracker is set (a partial one is a config error later)."""
    if team.tracker == "github":
        return settings.github_token is not None
    if team.tracker == "gitlab":
        return settings.gitlab_token is not None
    return bool(settings.jira_url or settings.jira_email or settings.jira_api_token or settings.jira_pat)


def destination_name(team: Team) -> str:
    """A stable name of the team's destination, e.g. "jira:OPS" or "github:acme/ops"."""
    if team.tracker == "github" and team.github is not None:
        return f"github:{team.github.repo}"
    if team.tracker == "gitlab" and team.gitlab is not None:
        return f"gitlab:{team.gitlab.project}"
    if team.jira is not None:
        return f"jira:{team.jira.project}"
    return f"{team.tracker}:?"


def build_tracker(settings: Settings, team: Team, *, throttle: WriteThrottle | None = None) -> Tracker | None:
    """The team's tracker client, or None when its tracker has no credentials (callers dry-run)."""
    if not tracker_configured(settings, team):
        return None
    # Imported here so a dry run never needs the vendor libraries loaded.
    if team.tracker == "github":
        from connectors.github import GitHubTracker, connect_github

        assert team.github is not None
        tracker: Tracker = GitHubTracker(
            connect_github(settings, timeout=settings.tracker_timeout, max_wait=MAX_INLINE_WAIT),
            team.github,
            throttle=throttle or LocalWriteThrottle(max_wait=MAX_INLINE_WAIT,
                                                    min_interval=settings.github_write_interval),
            max_wait=MAX_INLINE_WAIT,
        )
        return tracker
    if team.tracker == "gitlab" and team.gitlab is not None:
        from connectors.gitlab import GitLabTracker, connect_gitlab

        return GitLabTracker(connect_gitlab(settings, timeout=settings.tracker_timeout), team.gitlab)
    from connectors.jira import JiraTracker, connect_jira

    assert team.jira is not None
    tracker = JiraTracker(connect_jira(settings, timeout=settings.tracker_timeout), team.jira)
    return tracker
