"""Which existing ticket an item's ref names, in the form the team's tracker reads it (pure; no I/O).

A ref is what the parser found in the item: a Jira key (`PAY-120`), a GitHub `owner/repo#N`, `#N` (an
issue of the team's repository), or a tracker URL. A pull request, a GitLab issue or any other link is not
a ticket of either tracker: such refs only go into the ticket body, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from config.teams import Team

_JIRA_KEY = re.compile(r"[A-Z][A-Z0-9_]{1,14}-[1-9][0-9]{0,7}")
_JIRA_URL_KEY = re.compile(r"(?:/browse/|selectedIssue=)([A-Z][A-Z0-9_]{1,14}-[1-9][0-9]{0,7})")
_REPO = r"(?P<repo>[A-Za-z0-9][A-Za-z0-9._-]{0,99}/[A-Za-z0-9._-]{1,100})"
_GITHUB_REF = re.compile(rf"(?:{_REPO})?#(?P<n>[1-9][0-9]{{0,8}})")
_GITHUB_URL = re.compile(rf"/{_REPO}/issues/(?P<n>[1-9][0-9]{{0,8}})$")


@dataclass(frozen=True, slots=True)
class RefTarget:
    """The ticket a ref names: `key` in the team's tracker, or `problem` saying why it cannot be adopted."""

    ref: str
    key: str | None = None
    problem: str = ""


def ref_target(ref: str | None, team: Team, *, jira_host: str | None = None) -> RefTarget | None:
    """The ticket `ref` names for this team, or None when the ref is not a ticket of any tracker."""
    if not ref or not ref.strip():
        return None
    text = ref.strip()
    kind, key, host = _classify(text)
    if kind is None or key is None:
        return None
    if kind != team.tracker:
        named = "Jira issue" if kind == "jira" else "GitHub issue"
        return RefTarget(
            text, problem=f"it names {named} {key}, but team {team.name} tracks in {team.tracker}"
        )
    if kind == "jira":
        if host and jira_host and host.lower() != jira_host.lower():
            return RefTarget(
                text, problem=f"it names {key} on {host}, not on the configured Jira ({jira_host})"
            )
        return RefTarget(text, key=key)
    repo = team.github.repo if team.github is not None else ""
    number = key.rpartition("#")[2]
    named_repo = key.rpartition("#")[0] or repo
    if named_repo.lower() != repo.lower():
        return RefTarget(
            text, problem=f"it names {named_repo}#{number}, outside the team's repository {repo}"
        )
    return RefTarget(text, key=f"{repo}#{number}")


def _classify(text: str) -> tuple[str | None, str | None, str | None]:
    """("jira" | "github" | None, key, URL host) of a ref."""
    if text.startswith(("https://", "http://")):
        parts = urlsplit(text)
        jira = _JIRA_URL_KEY.search(text)
        if jira:
            return "jira", jira.group(1), parts.hostname
        github = _GITHUB_URL.search(parts.path.rstrip("/"))
        if github:
            return "github", f"{github['repo']}#{github['n']}", parts.hostname
        return None, None, None
    if _JIRA_KEY.fullmatch(text):
        return "jira", text, None
    github = _GITHUB_REF.fullmatch(text)
    if github:
        return "github", f"{github['repo'] or ''}#{github['n']}", None
    return None, None, None
