"""`followthrough check` for the contract on GitLab and Notion: can we write where previews and links go?

GitLab: `GET /projects/:id` gives our access level (project or group, the higher): a preview note needs
Reporter (20), proposing links as a merge request needs Developer (30); committing to the postmortem
branch directly needs `can_push` on that branch (`GET .../repository/branches/:branch`, which answers
for the token's user, protected branches included). Notion: the integration's capabilities cannot be
read, but reading comments needs the "read comments" capability: `GET /v1/comments` on a page of a
configured database answers 403 without it; inserting comments and updating content can only be proved
by writing, which `check` never does (the docs say to turn those capabilities on). Confluence: the
content permission check (`POST /wiki/rest/api/content/{id}/permission/check`, operation `update`) for our
account on one approved page of each space. Google Docs: Drive `capabilities.canEdit` of each approved and
review folder (Editor access is needed for `batchUpdate` and comments).
"""

from __future__ import annotations

from urllib.parse import quote

from config.settings import Settings
from connectors.check import Finding
from connectors.errors import AuthError, TrackerError, Transient


def check_source_contracts(settings: Settings) -> list[Finding]:
    return _gitlab(settings) + _notion(settings) + _confluence(settings) + _gdocs(settings)


def _gitlab(settings: Settings) -> list[Finding]:
    from connectors.gitlab_client import Connection
    from connectors.sources.gitlab import GitLabReader

    source = settings.sources.gitlab
    if source is None or not (source.contract.preview or source.contract.write_back):
        return []
    where = f"gitlab source {source.project}"
    if settings.gitlab_token is None:
        return [Finding(where, "previews or write-back are on but GITLAB_TOKEN is not set")]
    connection = Connection(settings, timeout=15)
    path = quote(source.project, safe="")
    try:
        with connection.mapped(source.project):
            project = GitLabReader(settings, connection=connection)._get(source.project, f"/projects/{path}")
            permissions = project.get("permissions") or {}
            level = max(int((permissions.get(k) or {}).get("access_level") or 0)
                        for k in ("project_access", "group_access"))
            branch = source.branch or str(project.get("default_branch") or "")
            can_push = None
            if source.contract.write_back and source.contract.write_mode == "branch":
                reply = GitLabReader(settings, connection=connection)._get(
                    f"{source.project}@{branch}",
                    f"/projects/{path}/repository/branches/{quote(branch, safe='')}")
                can_push = bool(reply.get("can_push"))
    except TrackerError as exc:
        return [Finding(where, f"cannot read the project: {exc}", unreachable=isinstance(exc, Transient))]
    findings = []
    if source.contract.preview and level < 20:
        findings.append(Finding(where, "the token's user cannot comment on merge requests (Reporter needed)"))
    if can_push is False:
        findings.append(Finding(where, f"the token's user cannot push to {branch}: write-back commits "
                                       "need it"))
    if source.contract.write_back and source.contract.write_mode == "pull" and level < 30:
        findings.append(Finding(where, "the token's user cannot open merge requests (Developer needed)"))
    return findings


def _notion(settings: Settings) -> list[Finding]:
    from connectors.sources.notion import NotionReader

    source = settings.sources.notion
    if source is None or not (source.contract.preview or source.contract.write_back):
        return []
    where = "notion source"
    if settings.notion_token is None:
        return [Finding(where, "previews or write-back are on but NOTION_TOKEN is not set")]
    reader = NotionReader(settings)
    try:
        page = next((p for d in source.databases for ds in reader.data_sources(d)
                     for p in reader._query(ds, {"page_size": 1})[:1]), None)
        if page is not None:
            reader._call("notion comments", lambda c: c.comments.list(block_id=page.page.page, page_size=1))
    except AuthError:
        return [Finding(where, "the integration cannot read comments: turn on its comment capabilities "
                               "(read and insert) and \"Update content\" for previews and write-back")]
    except TrackerError as exc:
        return [Finding(where, f"cannot read a page's comments: {exc}",
                        unreachable=isinstance(exc, Transient))]
    return []


def _confluence(settings: Settings) -> list[Finding]:
    from connectors.contract_confluence import ConfluencePageWriter
    from connectors.sources.confluence import ConfluenceReader

    source = settings.sources.confluence
    if source is None or not (source.contract.preview or source.contract.write_back):
        return []
    if source.edition != "cloud":
        return [Finding("confluence", "previews and write-back are available on Confluence Cloud only")]
    reader = ConfluenceReader(settings, source)
    findings: list[Finding] = []
    try:
        me = str((reader.get_json("confluence user", "rest/api/user/current") or {}).get("accountId") or "")
        for space in source.spaces:
            pages = reader.approved(space, minutes=None)[:1]
            if not pages:
                continue
            writer = ConfluencePageWriter(settings, source, pages[0].page_id, reader=reader)
            reply = writer._send(f"confluence:{pages[0].page_id}", "post",
                                 f"rest/api/content/{pages[0].page_id}/permission/check",
                                 {"subject": {"type": "user", "identifier": me}, "operation": "update"})
            if not (reply or {}).get("hasPermission"):
                findings.append(Finding(f"confluence space {space.key}", "the account cannot edit its pages: "
                                        "write-back updates them"))
    except TrackerError as exc:
        findings.append(Finding("confluence", f"cannot check permissions: {exc}",
                                unreachable=isinstance(exc, Transient)))
    return findings


def _gdocs(settings: Settings) -> list[Finding]:
    from connectors.sources.gdocs import DriveReader

    source = settings.sources.gdocs
    if source is None or not (source.contract.preview or source.contract.write_back):
        return []
    reader = DriveReader(settings, source)
    findings: list[Finding] = []
    for folder in (*source.approved_folders, *source.contract.review_folders):
        try:
            reply = reader._run(f"gdocs folder {folder}", reader.drive().files().get(
                fileId=folder, fields="id,capabilities(canEdit)", supportsAllDrives=True))
        except TrackerError as exc:
            findings.append(Finding(f"gdocs folder {folder}", f"cannot read it: {exc}",
                                    unreachable=isinstance(exc, Transient)))
            continue
        if not (reply.get("capabilities") or {}).get("canEdit"):
            findings.append(Finding(f"gdocs folder {folder}", "the account is not an editor: write-back and "
                                    "preview comments need Editor access"))
    return findings
