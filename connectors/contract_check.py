"""`followthrough check` for the postmortem contract: can we write where previews and links go?

GitHub: GET /repos/{repo} and its `permissions.push` (a commit to the postmortem file and a comment on a
pull request need it). Jira: GET /rest/api/2/mypermissions for the review projects, EDIT_ISSUES (the
description edit; not needed when only comments are allowed) and ADD_COMMENTS (preview and fallback).
Only sources with a preview or write-back turned on are checked.
"""

from __future__ import annotations

from config.settings import Settings
from connectors.check import Finding
from connectors.errors import TrackerError, Transient


def check_contract(settings: Settings) -> list[Finding]:
    from connectors.contract_check_sources import check_source_contracts  # GitLab and Notion

    return _github(settings) + _jira(settings) + check_source_contracts(settings)


def _github(settings: Settings) -> list[Finding]:
    from connectors.contract_github import client
    from connectors.sources.github import _mapped

    source = settings.sources.github
    if source is None or not (source.contract.preview or source.contract.write_back):
        return []
    where = f"github source {source.repo}"
    if settings.github_token is None:
        return [Finding(where, "previews or write-back are on but GITHUB_TOKEN is not set")]
    try:
        with _mapped(source.repo):
            _, data = client(settings).requester.requestJsonAndCheck("GET", f"/repos/{source.repo}")
    except TrackerError as exc:
        return [Finding(where, f"cannot read the repository: {exc}", unreachable=isinstance(exc, Transient))]
    permissions = data.get("permissions") if isinstance(data, dict) else None
    if not isinstance(permissions, dict) or not permissions.get("push"):
        return [Finding(where, "the token cannot push to the repository: write-back commits and preview "
                               "comments need write access")]
    return []


def _jira(settings: Settings) -> list[Finding]:
    from connectors.jira_rest import JiraRest
    from connectors.sources.jira import _mapped, build_client

    source = settings.sources.jira
    if source is None or not (source.contract.preview or source.contract.write_back):
        return []
    wanted = ["ADD_COMMENTS"] + (["EDIT_ISSUES"] if source.contract.write_back
                                 and source.contract.edit_description else [])
    findings: list[Finding] = []
    for project in source.projects:
        where = f"jira source {project}"
        try:
            with _mapped(f"jira {project}"):
                data = JiraRest(build_client(settings)).request(
                    "GET", "mypermissions", params={"projectKey": project, "permissions": ",".join(wanted)})
        except TrackerError as exc:
            findings.append(Finding(where, f"cannot read permissions: {exc}",
                                    unreachable=isinstance(exc, Transient)))
            continue
        granted = (data or {}).get("permissions") or {}
        for name in wanted:
            if not (granted.get(name) or {}).get("havePermission"):
                findings.append(Finding(where, f"missing the {name} permission that previews or write-back "
                                               "need"))
    return findings
