"""Options of the postmortem-as-contract features: the review preview and the ticket links written back.

Both are off by default, per source (`sources.github.contract`, `sources.jira.contract`: the mechanics)
and per team (`teams.<name>.contract`: whether that team's postmortems get them, and how the links look).
A feature runs only where the source and the team both turn it on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: How a closed ticket's item is marked done in the postmortem, when a team asks for it.
DoneMarker = Literal["checkbox", "status", "strike"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceContract(_Strict):
    """Per source: whether previews and write-back may run there, and how writes are made."""

    preview: bool = False
    write_back: bool = False
    #: GitHub: the preview as one pull-request comment, or as a check run on the head commit (green when
    #: nothing needs attention, neutral otherwise; check runs need a GitHub App's token).
    preview_as: Literal["comment", "check_run"] = "comment"
    #: GitHub: commit the links to the postmortem branch directly, or propose them as a pull request.
    write_mode: Literal["branch", "pull"] = "branch"
    #: Jira: the status a postmortem review sits in while it is reviewed (the preview is kept there).
    review_status: str = "In Review"
    #: Confluence: the label a page carries while it is reviewed (the preview is kept there).
    review_label: str = "postmortem-review"
    #: Google Docs: Drive folders whose documents are under review (the preview is kept there).
    review_folders: tuple[str, ...] = ()
    #: Jira: edit the review's description (guarded by a re-read), or only comment where edits are barred.
    edit_description: bool = True
    #: Read-apply-write attempts before giving up and leaving a comment with the links instead.
    max_attempts: int = Field(default=3, ge=1, le=10)


class TeamContract(_Strict):
    """Per team: whether its postmortems get a preview and links, and how the links are written."""

    preview: bool = False
    write_back: bool = False
    #: A table with no Ticket column gets one added (else the link trails the Action cell).
    add_column: bool = False
    #: Mark the item done in the postmortem when its ticket closes; None leaves the item as it is.
    done_marker: DoneMarker | None = None
