"""Teams (where tickets go, which items become tickets, follow-up policy) and the owner directory."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

OwnerFallback = Literal["postmortem_owner", "triage_owner"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JiraDestination(_Strict):
    project: str
    issue_type: str = "Task"
    labels: tuple[str, ...] = ()
    #: Postmortem priority as written (lowercased) -> Jira priority name.
    priority_map: dict[str, str] = Field(
        default_factory=lambda: {
            "p0": "Highest", "p1": "High", "p2": "Medium", "p3": "Low", "p4": "Lowest",
            "critical": "Highest", "highest": "Highest", "high": "High", "medium": "Medium",
            "low": "Low", "lowest": "Lowest",
        }
    )


class GitHubDestination(_Strict):
    repo: str  # "owner/name"
    milestone: int | None = None
    labels: tuple[str, ...] = ()


class ItemFilter(_Strict):
    """Which parsed items become tickets."""

    skip_done: bool = True
    kinds: tuple[str, ...] | None = None  # None: every kind
    priorities: tuple[str, ...] | None = None  # None: every priority


class Team(_Strict):
    name: str = ""
    tracker: Literal["jira", "github"] = "jira"
    jira: JiraDestination | None = None
    github: GitHubDestination | None = None
    filter: ItemFilter = ItemFilter()
    triage_owner: str | None = None
    #: Where an item with no owner of its own gets one, in order.
    owner_fallback: tuple[OwnerFallback, ...] = ("postmortem_owner", "triage_owner")
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _destination_matches_tracker(self) -> Team:
        if self.tracker == "jira" and self.jira is None:
            raise ValueError("tracker is jira but no 'jira' destination (project) is configured")
        if self.tracker == "github" and self.github is None:
            raise ValueError("tracker is github but no 'github' destination (repo) is configured")
        return self


class Person(_Strict):
    name: str
    aliases: tuple[str, ...] = ()  # name variants, emails, @handles
    email: str | None = None
    jira_account_id: str | None = None
    github_login: str | None = None
