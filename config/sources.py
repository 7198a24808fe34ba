"""Where approved postmortems live, for the webhook receivers and the reconciliation sweep."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.contract import SourceContract

#: File names the GitHub sweep and the pull-request hook treat as postmortems (the parser sniffs content;
#: this only keeps images and the like out).
DEFAULT_EXTENSIONS = (".md", ".markdown", ".txt", ".html", ".htm", ".xhtml", ".xml", ".jira", ".wiki")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GitHubSource(_Strict):
    """Postmortems are files under `path` in `repo`, approved once merged into the default branch."""

    repo: str  # "owner/name"
    path: str = "postmortems/"
    branch: str | None = None  # None: the repository's default branch
    team: str | None = None  # None: the document's own team, else the default team
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    contract: SourceContract = SourceContract()  # review preview and link write-back: off by default

    @field_validator("repo")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        owner, _, name = value.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError("must be 'owner/name'")
        return value

    @field_validator("path")
    @classmethod
    def _folder(cls, value: str) -> str:
        value = value.strip("/")
        return f"{value}/" if value else ""

    def covers(self, path: str) -> bool:
        """Whether a repository file path is a postmortem under the configured folder.

        A path with an empty, `.` or `..` segment is never covered: it could step out of the folder.
        """
        if any(segment in ("", ".", "..") for segment in path.split("/")) or "\\" in path:
            return False
        return path.startswith(self.path) and path.lower().endswith(self.extensions)

    def has_repo(self, repo: str) -> bool:
        """Whether `repo` ("owner/name") is the configured repository (GitHub names are case-blind)."""
        return repo.lower() == self.repo.lower()


class JiraSource(_Strict):
    """Postmortems are Jira issues (their description) in `projects`, approved by a move to a status."""

    projects: tuple[str, ...] = Field(min_length=1)
    approved_status: str = "Approved"
    jql: str | None = None  # None: built from projects and approved_status
    team: str | None = None
    contract: SourceContract = SourceContract()  # review preview and link write-back: off by default

    @field_validator("projects")
    @classmethod
    def _keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for key in value:
            if not key.replace("_", "").isalnum():
                raise ValueError(f"{key!r} is not a Jira project key")
        return tuple(key.upper() for key in value)

    def covers(self, key: str) -> bool:
        """Whether an issue key ("PIR-12") belongs to one of the configured projects."""
        project, sep, number = key.rpartition("-")
        return bool(sep) and number.isdigit() and project.upper() in self.projects

    def search_jql(self) -> str:
        """The JQL that finds every approved postmortem review."""
        if self.jql:
            return self.jql
        status = self.approved_status.replace("\\", "\\\\").replace('"', '\\"')
        return f'project in ({", ".join(self.projects)}) AND status = "{status}" ORDER BY updated DESC'


def notion_id(value: str) -> str:
    """A Notion id (UUID, dashed or not) in one spelling: 32 lowercase hex digits; ValueError otherwise."""
    compact = value.strip().replace("-", "").lower()
    if len(compact) != 32 or any(ch not in "0123456789abcdef" for ch in compact):
        raise ValueError(f"{value[:60]!r} is not a Notion id (32 hex digits)")
    return compact


class NotionSource(_Strict):
    """Postmortems are pages of the configured `databases`, approved when a status property says so."""

    databases: tuple[str, ...] = Field(min_length=1)  # database ids (the pages' parent)
    status_property: str = "Status"  # a status or select property of those databases
    approved_status: str = "Approved"
    team: str | None = None
    #: Our integration's bot user id: events whose authors are all this bot are our own edits, ignored.
    #: Unset: events whose authors are all bots or agents are ignored.
    bot_id: str | None = None
    #: Preview (a page comment while the status is `contract.review_status`) and link write-back (block
    #: updates): off by default.
    contract: SourceContract = SourceContract()

    @field_validator("databases")
    @classmethod
    def _ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(notion_id(database) for database in value)

    def has_database(self, database_id: str | None) -> bool:
        """Whether a page whose parent is this database (any id spelling) is a configured postmortem."""
        try:
            return database_id is not None and notion_id(database_id) in self.databases
        except ValueError:
            return False


class GitLabSource(_Strict):
    """Postmortems are files under `path` in a GitLab project, approved once on `branch`."""

    project: str  # "group/subgroup/name", the project's full path
    path: str = "postmortems/"
    branch: str | None = None  # None: the project's default branch
    team: str | None = None
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    #: Also read incident issues (`issue_type=incident`) of the project as postmortems.
    incidents: bool = False
    #: Preview (one merge-request note) and link write-back (files API; `write_mode: pull` proposes the
    #: links as a merge request): off by default.
    contract: SourceContract = SourceContract()

    @field_validator("project")
    @classmethod
    def _full_path(cls, value: str) -> str:
        parts = value.strip("/").split("/")
        if len(parts) < 2 or any(not part or part in (".", "..") for part in parts):
            raise ValueError("must be the project's full path, 'group/name' or 'group/sub/name'")
        return "/".join(parts)

    @field_validator("path")
    @classmethod
    def _folder(cls, value: str) -> str:
        value = value.strip("/")
        return f"{value}/" if value else ""

    def covers(self, path: str) -> bool:
        """Whether a repository file path is a postmortem under the folder (never one stepping out)."""
        if any(segment in ("", ".", "..") for segment in path.split("/")) or "\\" in path:
            return False
        return path.startswith(self.path) and path.lower().endswith(self.extensions)

    def has_project(self, project: str) -> bool:
        """Whether `project` (a full path) is the configured project (GitLab paths are case-blind)."""
        return project.strip("/").lower() == self.project.lower()


class ConfluenceSpace(_Strict):
    """One Confluence space whose approved pages are postmortems, and what approves a page there.

    `approval: label` (the default): the page carries `label`. `approval: status` (Cloud only): the page's
    status (Confluence Cloud's content state, e.g. "Verified") is `status`.
    """

    key: str
    approval: Literal["label", "status"] = "label"
    label: str = "postmortem-approved"
    status: str | None = None
    team: str | None = None

    @field_validator("key")
    @classmethod
    def _space_key(cls, value: str) -> str:
        if not value or not value.replace("_", "").replace("~", "").isalnum():
            raise ValueError(f"{value!r} is not a Confluence space key")
        return value

    @model_validator(mode="after")
    def _status_named(self) -> ConfluenceSpace:
        if self.approval == "status" and not self.status:
            raise ValueError("approval: status needs `status` (the page status that approves)")
        return self


class ConfluenceSource(_Strict):
    """Postmortems are pages of the configured spaces, approved per space by a label or a page status."""

    url: str  # Cloud: https://<site>.atlassian.net/wiki; Data Center: the base URL
    edition: Literal["cloud", "datacenter"] = "cloud"
    spaces: tuple[ConfluenceSpace, ...] = Field(min_length=1)
    team: str | None = None
    #: How far back each CQL poll reaches behind its cursor: CQL search lags behind edits (eventual
    #: consistency) and `lastmodified` has minute precision, so polls overlap and dedupe by version.
    overlap_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Hours between polls without the `lastmodified` window: a label added to an old page does not
    #: change when it was last modified, so only a full listing sees that approval.
    full_scan_hours: float = Field(default=6, gt=0)
    #: Preview (a footer comment while the page has `contract.review_label`) and link write-back (a page
    #: update with the version read plus one; Cloud): off by default.
    contract: SourceContract = SourceContract()

    @model_validator(mode="after")
    def _status_on_cloud(self) -> ConfluenceSource:
        if self.edition == "datacenter" and any(s.approval == "status" for s in self.spaces):
            raise ValueError("approval: status needs Confluence Cloud (Data Center pages have no status)")
        return self

    def space(self, key: str) -> ConfluenceSpace | None:
        """The configured space with this key (space keys are case-blind), or None."""
        return next((s for s in self.spaces if s.key.upper() == key.upper()), None)


class GDocsSource(_Strict):
    """Postmortems are Google Docs in the configured "approved" folders (a document moved into one is
    approved); read by Drive export as HTML, triggered by Drive `changes.list` (and optional push)."""

    approved_folders: tuple[str, ...] = Field(min_length=1)  # Drive folder ids
    team: str | None = None
    #: Where Drive push notifications (changes.watch) should be sent, e.g.
    #: https://ft.example.com/hooks/gdrive; unset: polling only.
    push_address: str | None = None
    #: Lifetime asked for each push channel; a new one is opened, overlapping, before it ends.
    channel_hours: float = Field(default=24, gt=0, le=24 * 7)
    #: Hours between full listings of the approved folders besides the change feed (a repair pass).
    full_scan_hours: float = Field(default=24, gt=0)
    #: Preview (one Drive comment while the document is in `contract.review_folders`) and link write-back
    #: (documents.batchUpdate with requiredRevisionId): off by default.
    contract: SourceContract = SourceContract()

    def covers(self, parents: list[str] | tuple[str, ...]) -> bool:
        """Whether a file with these parent folder ids sits in an approved folder."""
        return any(parent in self.approved_folders for parent in parents)


class Sources(_Strict):
    github: GitHubSource | None = None
    jira: JiraSource | None = None
    notion: NotionSource | None = None
    gitlab: GitLabSource | None = None
    confluence: ConfluenceSource | None = None
    gdocs: GDocsSource | None = None
