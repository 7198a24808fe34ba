"""One typed settings object, read from the environment, `.env` and the YAML file in FOLLOWTHROUGH_CONFIG.

Precedence, highest first: explicit arguments, environment variables, `.env`, the YAML file, defaults.
Conventional names (JIRA_URL, GITHUB_TOKEN, REDIS_URL, ...) are read as they are; every other setting is
read as FOLLOWTHROUGH_<NAME>. Settings are built on demand by `load_settings()`, never at import time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from config.sources import Sources
from config.teams import FollowupPolicy, Person, Team

CONFIG_ENV = "FOLLOWTHROUGH_CONFIG"


class ConfigError(Exception):
    """The configuration is missing or invalid; the message names the setting."""


def _env(name: str, default: Any = None) -> Any:
    return Field(default=default, validation_alias=AliasChoices(name, f"FOLLOWTHROUGH_{name}", name.lower()))


class YamlFileSource(PydanticBaseSettingsSource):
    """Reads the YAML file named by FOLLOWTHROUGH_CONFIG (if set)."""

    def __init__(self, settings_cls: type[BaseSettings], path: str | None) -> None:
        super().__init__(settings_cls)
        self._data: dict[str, Any] = {}
        if not path:
            return
        import yaml  # only when a file is named: commands without one start faster

        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{CONFIG_ENV}: cannot read {path}: {exc.strerror or exc}") from None
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{CONFIG_ENV}: {path} is not valid YAML{where}") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{CONFIG_ENV}: {path} must hold a mapping at the top level")
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FOLLOWTHROUGH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )

    # --- trackers -------------------------------------------------------------------------------
    jira_url: str | None = _env("JIRA_URL")
    jira_email: str | None = _env("JIRA_EMAIL")
    jira_api_token: SecretStr | None = _env("JIRA_API_TOKEN")
    jira_pat: SecretStr | None = _env("JIRA_PAT")  # Data Center personal access token
    github_token: SecretStr | None = _env("GITHUB_TOKEN")
    github_api_url: str = _env("GITHUB_API_URL", "https://api.github.com")
    #: GitLab (gitlab.com or self-managed): a personal, project or group access token; the source reads
    #: with it and teams with `tracker: gitlab` write issues with it.
    gitlab_url: str = _env("GITLAB_URL", "https://gitlab.com")
    gitlab_token: SecretStr | None = _env("GITLAB_TOKEN")
    #: Notion: an internal integration token; the pages must be shared with the integration.
    notion_token: SecretStr | None = _env("NOTION_TOKEN")
    notion_api_url: str = _env("NOTION_API_URL", "https://api.notion.com")
    #: Seconds before a tracker HTTP call is given up as a timeout (a Transient error).
    tracker_timeout: float = Field(default=30.0, gt=0)

    #: After a create whose answer was lost, wait this long for the tracker's search index to settle
    #: before each confirming search (Jira's search/jql is eventually consistent: seconds to minutes).
    create_settle_seconds: float = Field(default=60.0, gt=0)
    #: Settled searches (each one window after the last) that must all miss before creating again.
    create_confirm_searches: int = Field(default=2, ge=2, le=10)

    # --- storage and queue ----------------------------------------------------------------------
    database_url: str = "sqlite:///followthrough.db"
    redis_url: str | None = _env("REDIS_URL")
    celery_broker_url: str | None = _env("CELERY_BROKER_URL")

    # --- parsing --------------------------------------------------------------------------------
    max_document_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    #: A document whose parse runs longer than this is refused (and recorded as a parse failure).
    parse_budget_seconds: float = Field(default=10.0, gt=0, le=600)

    # --- webhooks -------------------------------------------------------------------------------
    webhook_secret: SecretStr | None = None
    github_webhook_secret: SecretStr | None = None
    jira_webhook_secret: SecretStr | None = None
    #: GitLab's `X-Gitlab-Token` (and the Standard Webhooks signing secret, `whsec_...`, where sent).
    gitlab_webhook_secret: SecretStr | None = None
    gitlab_signing_secret: SecretStr | None = None
    #: The `verification_token` Notion sent when the webhook subscription was created (signs events).
    notion_webhook_secret: SecretStr | None = None
    #: Where the receiver writes the token of Notion's subscription handshake (mode 0600); unset: not kept.
    notion_verification_file: str | None = None
    #: Confluence Data Center admin webhooks (X-Hub-Signature); Drive push channel tokens are derived from
    #: the channel secret, so a forged channel token is refused without any stored state.
    confluence_webhook_secret: SecretStr | None = None
    gdrive_channel_secret: SecretStr | None = None

    # --- document sources (config.sources: where postmortems live) --------------------------------
    #: Confluence Cloud: email and API token (Basic); Data Center: a personal access token (Bearer).
    confluence_email: str | None = _env("CONFLUENCE_EMAIL")
    confluence_api_token: SecretStr | None = _env("CONFLUENCE_API_TOKEN")
    confluence_pat: SecretStr | None = _env("CONFLUENCE_PAT")
    #: A service account key file (JSON) the documents are shared with; or a ready bearer token.
    google_service_account_file: str | None = _env("GOOGLE_SERVICE_ACCOUNT_FILE")
    google_bearer_token: SecretStr | None = _env("GOOGLE_BEARER_TOKEN")
    #: Drive API root (set for a proxy or a test stand-in); unset: Google's.
    google_api_url: str | None = _env("GOOGLE_API_URL")

    # --- dashboard (worker/web/dashboard; access rules in docs/dashboard.md) -------------------------
    #: Unset: the dashboard answers loopback clients only. Set: a `?token=` link sets a cookie for it.
    dashboard_token: SecretStr | None = None
    #: Header a trusted reverse proxy sets to the signed-in user (e.g. X-Forwarded-User); unset: ignored.
    dashboard_user_header: str | None = None
    #: Days of daily history in the overview's trend chart.
    dashboard_trend_days: int = Field(default=90, gt=0, le=3660)

    # --- service: Celery worker and beat, webhook receiver (see config/celery_app.py) ---------------
    #: Broker used when neither CELERY_BROKER_URL nor REDIS_URL is set: one host, no server needed.
    embedded_broker_url: str = "sqla+sqlite:///followthrough-broker.db"
    task_time_limit_seconds: int = Field(default=600, gt=0)
    #: Longest retry countdown; the visibility timeout must exceed it plus the task time limit.
    max_retry_countdown_seconds: int = Field(default=1800, gt=0)
    visibility_timeout_seconds: int = Field(default=7200, gt=0)
    #: A sync that finds its document's sync lock held is retried after half of this (seconds).
    sync_lock_seconds: int = Field(default=60, gt=0)
    webhook_dedupe_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    #: Seconds a webhook body may take to arrive before the request is refused (408).
    webhook_read_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Webhook requests handled at once per receiver process; more are refused with 503 at once.
    webhook_max_concurrency: int = Field(default=32, gt=0)
    reconcile_every_minutes: float = Field(default=15, gt=0)
    #: How long the sweep leaves a fresh postmortem or accepted delivery to its own tasks before it
    #: queues them again (a sync never completed, an outbox row never finished).
    sweep_grace_minutes: float = Field(default=10, gt=0)
    refresh_every_minutes: float = Field(default=60, gt=0)
    beat_schedule_file: str = "celerybeat-schedule"
    sources: Sources = Field(default_factory=Sources)
    #: Base URL of the Followthrough dashboard; chat and email reports link to its team page,
    #: `<url>/teams/<team>`.
    public_url: str | None = None

    # --- observability (see docs/service.md "Watching the service") ------------------------------
    #: `json`: one JSON object a line with delivery_id, postmortem_id and task_id fields.
    log_format: Literal["text", "json"] = "text"
    #: Error reporting (the `sentry` extra); unset: sentry-sdk is never imported.
    sentry_dsn: SecretStr | None = _env("SENTRY_DSN")
    #: When set, the receiver's /metrics wants `Authorization: Bearer <token>` (401 otherwise).
    metrics_token: SecretStr | None = None
    #: A worker serves /metrics on this port (all its pool processes, through PROMETHEUS_MULTIPROC_DIR).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    #: prometheus-client's multiprocess directory (read by the library itself at import time).
    metrics_multiproc_dir: str | None = _env("PROMETHEUS_MULTIPROC_DIR")

    # --- teams and people (normally from the YAML file) ------------------------------------------
    default_team: str = "default"
    teams: dict[str, Team] = Field(default_factory=dict)
    people: tuple[Person, ...] = ()
    #: Follow-up policy every team starts from; a team's own `followup` overrides the fields it sets.
    followup: FollowupPolicy = FollowupPolicy()

    @field_validator("github_api_url", mode="before")
    @classmethod
    def _default_github_api(cls, value: Any) -> Any:
        return value or "https://api.github.com"

    @field_validator("gitlab_url", "notion_api_url", mode="before")
    @classmethod
    def _default_vendor_url(cls, value: Any, info: Any) -> Any:
        defaults = {"gitlab_url": "https://gitlab.com", "notion_api_url": "https://api.notion.com"}
        return value or defaults[info.field_name]

    @field_validator("jira_url", "github_api_url", "public_url", "gitlab_url", "notion_api_url",
                     "google_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("teams", mode="after")
    @classmethod
    def _name_teams(cls, teams: dict[str, Team]) -> dict[str, Team]:
        return {name: team.model_copy(update={"name": name}) for name, team in teams.items()}

    @field_validator("dashboard_user_header")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9-]{1,100}", value.strip()):
            raise ValueError("must be an HTTP header name (letters, digits and dashes)")
        return value.strip() if value else None

    @model_validator(mode="after")
    def _default_team_exists(self) -> Settings:
        if self.teams and self.default_team not in self.teams:
            raise ValueError(f"default_team {self.default_team!r} is not one of the configured teams")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_source = YamlFileSource(settings_cls, os.environ.get(CONFIG_ENV))
        return init_settings, env_settings, dotenv_settings, yaml_source

    @property
    def broker_url(self) -> str | None:
        return self.celery_broker_url or self.redis_url

    def team(self, name: str | None) -> Team | None:
        return self.teams.get(name or self.default_team)

    def followup_policy(self, team: Team) -> FollowupPolicy:
        """The team's effective follow-up policy: the global default overridden by the team's own fields."""
        policy = self.followup.overriding(team.followup)
        if policy.timezone is None:
            policy = policy.model_copy(update={"timezone": team.timezone})
        return policy


def _setting_name(loc: tuple[int | str, ...]) -> str:
    head = str(loc[0]) if loc else "settings"
    field = Settings.model_fields.get(head)
    alias = getattr(field, "validation_alias", None) if field else None
    if isinstance(alias, AliasChoices):
        head = str(alias.choices[0])
    elif field is not None and head not in {"teams", "people", "default_team", "sources", "followup"}:
        head = f"FOLLOWTHROUGH_{head.upper()}"
    rest = ".".join(str(part) for part in loc[1:])
    return f"{head}.{rest}" if rest else head


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, or raise ConfigError with a one-line message naming the bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ConfigError(f"invalid setting {_setting_name(tuple(first.get('loc', ())))}: {msg}") from None
