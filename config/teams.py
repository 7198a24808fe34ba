"""Teams (where tickets go, which items become tickets, follow-up policy) and the owner directory."""

from __future__ import annotations

from datetime import time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from config.kinds import DEFAULT_PREVENTATIVE, normalise_kind

OwnerFallback = Literal["postmortem_owner", "triage_owner"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: Fields Followthrough writes itself on a Jira create; `JiraDestination.fields` may not set them.
JIRA_OWN_FIELDS = frozenset(
    {"project", "issuetype", "summary", "description", "labels", "priority", "duedate", "assignee"}
)


class JiraDestination(_Strict):
    project: str
    issue_type: str = "Task"
    labels: tuple[str, ...] = ()
    #: Extra fields sent on every create, in Jira's REST shape: custom fields the project requires, or
    #: components, e.g. {"customfield_10010": {"value": "SRE"}, "components": [{"name": "api"}]}.
    fields: dict[str, Any] = Field(default_factory=dict)
    #: Postmortem priority as written (lowercased) -> Jira priority name.
    priority_map: dict[str, str] = Field(
        default_factory=lambda: {
            "p0": "Highest", "p1": "High", "p2": "Medium", "p3": "Low", "p4": "Lowest",
            "critical": "Highest", "highest": "Highest", "high": "High", "medium": "Medium",
            "low": "Low", "lowest": "Lowest",
        }
    )


    @field_validator("fields")
    @classmethod
    def _not_our_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        taken = sorted(set(value) & JIRA_OWN_FIELDS)
        if taken:
            raise ValueError(f"fields: {', '.join(taken)} are written by Followthrough, not settable here")
        return value


class GitHubDestination(_Strict):
    repo: str  # "owner/name"
    milestone: int | None = None
    labels: tuple[str, ...] = ()


class ItemFilter(_Strict):
    """Which parsed items become tickets."""

    skip_done: bool = True
    kinds: tuple[str, ...] | None = None  # None: every kind
    priorities: tuple[str, ...] | None = None  # None: every priority


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r} (use an IANA name such as Europe/Berlin)") from None
    return value


class FollowupPolicy(_Strict):
    """How a team's preventative actions are followed up: what counts, when it is due, who hears about it.

    A team's `followup` only overrides the fields it sets; the rest come from `Settings.followup`
    (see `Settings.followup_policy`).
    """

    enabled: bool = True
    #: Item kinds that are followed up (the parser's vocabulary; legacy words such as "Prevention" are
    #: normalised). Items with no kind count when `include_unkinded`.
    kinds: tuple[str, ...] = DEFAULT_PREVENTATIVE
    include_unkinded: bool = True
    #: Days from approval to the default due date, by priority as written (lowercase).
    due_days_by_priority: dict[str, int] = Field(
        default_factory=lambda: {
            "p0": 28, "p1": 28, "sev0": 28, "sev1": 28,
            "critical": 28, "highest": 28, "high": 28,
        }
    )
    #: Days for every priority not listed above (and for items with no priority).
    due_days_default: int = Field(default=56, gt=0)
    #: "calendar": N calendar days, moved forward to a business day when `holidays_country` is set.
    #: "business": N business days (weekends and the country's public holidays skipped).
    due_days_unit: Literal["calendar", "business"] = "calendar"
    holidays_country: str | None = None  # ISO code for the `holidays` package, e.g. "DE"
    holidays_subdivision: str | None = None  # e.g. "BY"
    #: An open item is "due soon" when its due date is at most this many days away.
    due_soon_days: int = Field(default=7, ge=0)
    #: Escalate items that are at least this many days overdue (None: never).
    escalate_after_days: int | None = Field(default=14, ge=0)
    #: Escalation targets: Apprise URLs (sent the escalation list) or people's names (named in the report).
    escalate_to: tuple[SecretStr, ...] = ()
    #: IANA zone for dates and the schedule; None: the team's `timezone`.
    timezone: str | None = None
    #: When reports go out (cron, evaluated in the team's zone).
    schedule: str = "0 9 * * MON"
    #: Apprise URLs the team report is delivered to (they carry tokens, so they are secrets).
    notify: tuple[SecretStr, ...] = ()
    #: Send a report even when nothing is open, overdue or due soon.
    all_clear: bool = False
    #: Post one comment per overdue ticket per period, mentioning the assignee.
    comment_on_overdue: bool = False
    #: Chat and email reports list at most this many actions per owner, then "and K more".
    lines_per_owner: int = Field(default=5, ge=1)
    #: Remind an item's owner this many days before its due date (None: no reminder before).
    remind_days_before: int | None = Field(default=2, ge=0)
    #: Remind the owner on the day an item becomes overdue.
    remind_when_overdue: bool = True
    #: Reminders go out only between these local times (the owner's zone, else the team's) ...
    remind_from: time = time(9, 0)
    remind_until: time = time(17, 0)
    #: ... and on Saturdays and Sundays only when this is set.
    remind_on_weekends: bool = False

    @field_validator("kinds")
    @classmethod
    def _normal_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        kinds = (normalise_kind(kind) for kind in value)
        return tuple(dict.fromkeys(kind for kind in kinds if kind))

    @field_validator("due_days_by_priority")
    @classmethod
    def _positive_days(cls, value: dict[str, int]) -> dict[str, int]:
        for name, days in value.items():
            if days <= 0:
                raise ValueError(f"due_days_by_priority[{name!r}] must be a positive number of days")
        return {name.strip().lower(): days for name, days in value.items()}

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _check_timezone(value)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"schedule {value!r} is not a valid cron expression")
        return value

    @field_validator("holidays_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return value
        import holidays  # imported lazily: the package loads every country's calendar definitions

        if value.upper() not in holidays.list_supported_countries():
            raise ValueError(f"holidays_country {value!r} is not a country the holidays package knows")
        return value.upper()

    @model_validator(mode="after")
    def _reminder_window(self) -> FollowupPolicy:
        if self.remind_from >= self.remind_until:
            raise ValueError("remind_from must be earlier than remind_until")
        return self

    def overriding(self, override: FollowupPolicy) -> FollowupPolicy:
        """This policy with the fields `override` explicitly sets replaced by its values."""
        update: dict[str, Any] = {name: getattr(override, name) for name in override.model_fields_set}
        return self.model_copy(update=update)


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
    #: Follow-up policy overrides; unset fields fall back to `Settings.followup`.
    followup: FollowupPolicy = FollowupPolicy()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        _check_timezone(value)
        return value

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
    #: The person's own channel for reminders: an Apprise URL (mailto://, a Slack or Teams DM webhook).
    notify: SecretStr | None = None
    #: IANA zone for the person's reminder hours; None: the team's.
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _check_timezone(value)
