"""One typed settings object, read from the environment, `.env` and the YAML file in FOLLOWTHROUGH_CONFIG.

FOLLOWTHROUGH_CONFIG itself may be in the environment or in `.env`; every setting may also be a top-level
key of the YAML file under its field name (`tracker_timeout: 30`).

Precedence, highest first: explicit arguments, environment variables, `.env`, the YAML file, defaults.
Conventional names (JIRA_URL, GITHUB_TOKEN, REDIS_URL, ...) are read as they are; every other setting is
read as FOLLOWTHROUGH_<NAME>. Settings are built on demand by `load_settings()`, never at import time.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from config.limits import MAX_DOCUMENT_BYTES, MAX_PARSE_BUDGET_SECONDS, PARSE_BUDGET_SECONDS
from config.sources import Sources
from config.teams import FollowupPolicy, Person, Team

CONFIG_ENV = "FOLLOWTHROUGH_CONFIG"


class ConfigError(Exception):
    """The configuration is missing or invalid; the message names the setting."""


def _env(name: str, default: Any = None, *, description: str) -> Any:
    """A setting read under its conventional name (JIRA_URL), or FOLLOWTHROUGH_<NAME>, or its field name."""
    return Field(default=default, description=description,
                 validation_alias=AliasChoices(name, f"FOLLOWTHROUGH_{name}", name.lower()))


def dotenv_values() -> dict[str, str]:
    """The variables of `.env` in the working directory (the file the settings read), names as written."""
    path = Path(str(Settings.model_config.get("env_file") or ".env"))
    if not path.is_file():
        return {}
    from dotenv import dotenv_values as read

    return {name: value for name, value in read(path, encoding="utf-8").items() if value is not None}


def config_path() -> str | None:
    """The YAML file: FOLLOWTHROUGH_CONFIG from the environment (`--config` sets it), else from `.env`.

    Relative paths are taken from the working directory, as for every other setting.
    """
    return os.environ.get(CONFIG_ENV) or dotenv_values().get(CONFIG_ENV) or None


def read_yaml(path: str) -> dict[str, Any]:
    """The YAML file's top-level mapping; ConfigError (one line) when it cannot be read or parsed."""
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
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_ENV}: {path} must hold a mapping at the top level")
    return data


class YamlFileSource(PydanticBaseSettingsSource):
    """Reads the YAML file named by FOLLOWTHROUGH_CONFIG (if set, in the environment or `.env`)."""

    def __init__(self, settings_cls: type[BaseSettings], path: str | None) -> None:
        super().__init__(settings_cls)
        self._data: dict[str, Any] = read_yaml(path) if path else {}

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

    # Every field carries its description: docs/settings.md and the README's table are generated from
    # them (`python -m config.catalog`), and tests/config/test_catalog.py fails when they drift.

    # --- trackers -------------------------------------------------------------------------------
    jira_url: str | None = _env("JIRA_URL", description="Jira site, e.g. `https://acme.atlassian.net`.")
    jira_email: str | None = _env("JIRA_EMAIL",
                                  description="Jira Cloud account e-mail (with `JIRA_API_TOKEN`).")
    jira_api_token: SecretStr | None = _env("JIRA_API_TOKEN", description="Jira Cloud API token.")
    jira_pat: SecretStr | None = _env(
        "JIRA_PAT", description="Jira Data Center personal access token (instead of e-mail and API token).")
    github_token: SecretStr | None = _env("GITHUB_TOKEN",
                                          description="GitHub token (issues: read and write).")
    github_api_url: str = _env(
        "GITHUB_API_URL", "https://api.github.com",
        description="GitHub's REST API; for GitHub Enterprise `https://HOST/api/v3` (ticket and source links "
        "then point at `https://HOST`).")
    #: GitLab (gitlab.com or self-managed): the source reads with the token and `tracker: gitlab` teams write.
    gitlab_url: str = _env("GITLAB_URL", "https://gitlab.com",
                           description="GitLab's base URL; set it for a self-managed instance.")
    gitlab_token: SecretStr | None = _env(
        "GITLAB_TOKEN", description="GitLab personal, project or group access token (source reads; issues "
        "for `tracker: gitlab` teams).")
    notion_token: SecretStr | None = _env(
        "NOTION_TOKEN", description="Notion internal integration token; the pages must be shared with it.")
    notion_api_url: str = _env("NOTION_API_URL", "https://api.notion.com",
                               description="Notion's API root (set for a proxy or a test stand-in).")
    tracker_timeout: float = Field(
        default=30.0, gt=0, description="Seconds per tracker call before it counts as a timeout (retried).")
    #: Jira's search/jql is eventually consistent (seconds to minutes), hence the settle time.
    create_settle_seconds: float = Field(
        default=60.0, gt=0, description="After a create whose answer was lost: seconds between the attempt "
        "and each confirming search.")
    create_confirm_searches: int = Field(
        default=2, ge=2, le=10, description="Confirming searches (each one window after the last) that must "
        "all miss before creating again (2 to 10).")

    # --- storage and queue ----------------------------------------------------------------------
    database_url: str = Field(
        default="sqlite:///followthrough.db", description="State store; `postgresql://USER:PASSWORD@HOST/DB` "
        "in production (install `followthrough[postgres]`).")
    redis_url: str | None = _env(
        "REDIS_URL", description="Redis (`redis://`, `rediss://` or `unix://`): the broker, the beat lock "
        "and the shared GitHub write budget. Unset: the embedded SQLite broker (one host).")
    celery_broker_url: str | None = _env(
        "CELERY_BROKER_URL", description="A broker other than `REDIS_URL` (wins over it for Celery).")
    migrate_on_start: bool = Field(
        default=True, description="Services (`serve`, `worker`, `beat`) bring the store's schema up to date "
        "when they start. `false` for rolling upgrades: run `followthrough migrate` once, then restart them; "
        "a service refuses a store older than itself.")

    # --- parsing --------------------------------------------------------------------------------
    max_document_bytes: int = Field(default=MAX_DOCUMENT_BYTES, gt=0,
                                    description="Largest document accepted.")
    parse_budget_seconds: float = Field(
        default=PARSE_BUDGET_SECONDS, gt=0, le=MAX_PARSE_BUDGET_SECONDS, description="Longest a document may "
        "take to parse; past it the document is refused (CLI exit 2) and recorded as a parse failure.")

    # --- webhooks -------------------------------------------------------------------------------
    webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC secret of `/hooks/postmortem-approved` (and of the others when they "
        "have none of their own); a hook without a secret answers 503.")
    github_webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC secret of `/hooks/github` and `/hooks/status/github`.")
    jira_webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC secret of `/hooks/jira` and `/hooks/status/jira`.")
    webhook_read_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time a webhook body may take to arrive (then 408).")
    webhook_max_concurrency: int = Field(
        default=32, gt=0, description="Webhook requests with a body over 64 KiB at once per receiver process "
        "(more get 503); smaller ones take no slot.")
    webhook_max_connections: int = Field(
        default=1024, gt=0, description="Open connections per receiver process (one more is answered 503 "
        "and closed).")
    webhook_header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time a connection may take to send a whole request head (then it "
        "is closed).")
    webhook_outbox_max_rows: int = Field(
        default=10_000, gt=0, description="Accepted deliveries not yet ingested (rows keep their document "
        "until then); past this cap or the byte cap a delivery gets 503 and the sender retries later.")
    webhook_outbox_max_bytes: int = Field(
        default=256 * 1024 * 1024, gt=0, description="Bytes of documents held by accepted deliveries not "
        "yet ingested (see the row cap).")
    webhook_dedupe_ttl_seconds: int = Field(
        default=7 * 24 * 3600, gt=0, description="How long a delivery (the hash of its signed body) is "
        "remembered to drop repeats.")
    gitlab_webhook_secret: SecretStr | None = Field(
        default=None, description="`X-Gitlab-Token` of `/hooks/gitlab` (compared in constant time); unset: "
        "`FOLLOWTHROUGH_WEBHOOK_SECRET`.")
    gitlab_signing_secret: SecretStr | None = Field(
        default=None, description="GitLab's Standard Webhooks signing token (`whsec_...`); when set, "
        "`/hooks/gitlab` requires the signature.")
    notion_webhook_secret: SecretStr | None = Field(
        default=None, description="The `verification_token` Notion sent when the webhook subscription was "
        "created; it signs `/hooks/notion` events.")
    notion_verification_file: str | None = Field(
        default=None, description="Where the receiver writes the token of Notion's subscription handshake "
        "(mode 0600) until `FOLLOWTHROUGH_NOTION_WEBHOOK_SECRET` is set; unset: not kept.")
    confluence_webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC secret of `/hooks/confluence` (Confluence Data Center admin "
        "webhooks, `X-Hub-Signature`); unset: `FOLLOWTHROUGH_WEBHOOK_SECRET`.")
    gdrive_channel_secret: SecretStr | None = Field(
        default=None, description="Secret the Drive push channels' tokens are derived from "
        "(`/hooks/gdrive`); unset: push channels are off.")

    # --- document sources (config.sources: where postmortems live) --------------------------------
    confluence_email: str | None = _env(
        "CONFLUENCE_EMAIL", description="Confluence Cloud account e-mail (with `CONFLUENCE_API_TOKEN`).")
    confluence_api_token: SecretStr | None = _env("CONFLUENCE_API_TOKEN",
                                                  description="Confluence Cloud API token.")
    confluence_pat: SecretStr | None = _env(
        "CONFLUENCE_PAT", description="Confluence Data Center personal access token (Bearer).")
    google_service_account_file: str | None = _env(
        "GOOGLE_SERVICE_ACCOUNT_FILE", description="Service account key file (JSON) the Google Docs are "
        "shared with.")
    google_bearer_token: SecretStr | None = _env(
        "GOOGLE_BEARER_TOKEN", description="A ready OAuth bearer token for Drive (instead of the key file).")
    google_api_url: str | None = _env(
        "GOOGLE_API_URL", description="Drive API root (set for a proxy or a test stand-in); unset: Google's.")

    # --- dashboard (worker/web/dashboard; access rules in docs/dashboard.md) -------------------------
    dashboard_token: SecretStr | None = Field(
        default=None, description="The dashboard's token; unset, one is generated on first start and kept "
        "in the store, and `followthrough serve` logs the URL with it. Open the dashboard once with "
        "`/?token=<token>` (a cookie follows) or send `Authorization: Bearer <token>`.")
    dashboard_user_header: str | None = Field(
        default=None, description="Header a trusted reverse proxy sets to the signed-in user (e.g. "
        "`X-Forwarded-User`).")
    dashboard_trend_days: int = Field(
        default=90, gt=0, le=3660, description="Days in the overview's trend chart.")
    public_url: str | None = Field(
        default=None, description="Dashboard base URL; chat and email reports link to the team page "
        "`<url>/teams/<team>`. Unset: they name the `followthrough report` command.")

    # --- service: Celery worker and beat (see config/celery_app.py) ---------------------------------
    embedded_broker_url: str = Field(
        default="sqla+sqlite:///followthrough-broker.db",
        description="Broker used when neither `CELERY_BROKER_URL` nor `REDIS_URL` is set (one host).")
    task_time_limit_seconds: int = Field(
        default=600, gt=0, description="Hard time limit of one task (the soft limit, which lets it clean up, "
        "is a tenth earlier); enforced by a prefork pool only, not by the threads or solo pool.")
    max_retry_countdown_seconds: int = Field(
        default=1800, gt=0, description="Longest wait before a task's retry.")
    visibility_timeout_seconds: int = Field(
        default=7200, gt=0, description="Redis: seconds before an unacknowledged task is delivered again; "
        "must exceed the task time limit plus the longest retry countdown (checked at start).")
    sync_lock_seconds: int = Field(
        default=60, gt=0, description="A sync that finds its postmortem's lock held is retried after half "
        "of this.")
    reconcile_every_minutes: float = Field(
        default=15, gt=0, description="Beat: how often the reconciliation sweep reads the configured sources "
        "and queues what was missed.")
    sweep_grace_minutes: float = Field(
        default=10, gt=0, description="How long the sweep leaves fresh work to its own tasks before queueing "
        "it again.")
    since: datetime | None = Field(
        default=None, description="The sweep ingests no postmortem approved before this date or time "
        "(unset: the first start, recorded in the store); history comes in on purpose with "
        "`followthrough backfill`.")
    github_write_interval: float = Field(
        default=1.0, gt=0, description="Seconds between two GitHub writes (GitHub's secondary limit asks "
        "for at least 1 s; benchmarks and stand-ins scale it down, and the budgets of 80 a minute and 500 "
        "an hour scale with it).")
    refresh_every_minutes: float = Field(
        default=60, gt=0, description="Beat: how often ticket statuses are refreshed from the trackers.")
    beat_schedule_file: str = Field(
        default="celerybeat-schedule",
        description="Where beat keeps its schedule state (put it on a volume).")
    sources: Sources = Field(
        default_factory=Sources, description="YAML `sources:`, where the sweep and the webhooks find "
        "approved postmortems (see the YAML keys).")

    # --- observability (see docs/service.md "Watching the service") ------------------------------
    log_format: Literal["text", "json"] = Field(
        default="text", description="`json`: one JSON object a line with `delivery_id`, `postmortem_id` and "
        "`task_id` (receiver, worker and beat).")
    sentry_dsn: SecretStr | None = _env(
        "SENTRY_DSN", description="Report errors to Sentry (install `followthrough[sentry]`); unset, the SDK "
        "is never imported.")
    metrics_token: SecretStr | None = Field(
        default=None, description="Set: the receiver's `/metrics` wants `Authorization: Bearer <token>`, "
        "and `/readyz` names its failing checks' reasons only with it.")
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="A worker serves `/metrics` on this port.")
    metrics_multiproc_dir: str | None = _env(
        "PROMETHEUS_MULTIPROC_DIR", description="prometheus-client's directory (empty, per worker) so the "
        "worker's pool processes' counters show (read by the library itself).")

    # --- teams and people (normally from the YAML file) ------------------------------------------
    default_team: str = Field(
        default="default", description="The team of a postmortem that names none (`--team` and the "
        "document's own team win).")
    teams: dict[str, Team] = Field(
        default_factory=dict, description="YAML `teams:`, where each team's tickets go (see the YAML keys).")
    people: tuple[Person, ...] = Field(
        default=(), description="YAML `people:`, the owner directory (see the YAML keys).")
    followup: FollowupPolicy = Field(
        default=FollowupPolicy(), description="YAML `followup:`, the follow-up policy every team starts "
        "from; a team's own `followup` overrides the fields it sets.")

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

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from urllib.parse import urlsplit

        # Never echo the value: it usually carries the password.
        try:
            parts = urlsplit(value.strip())
            parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
        except ValueError:
            raise ValueError("cannot parse it (expected redis://[:PASSWORD@]HOST[:PORT][/DB])") from None
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL (redis://[:PASSWORD@]HOST[:PORT][/DB])")
        if parts.scheme != "unix" and not parts.hostname:
            raise ValueError("names no host (expected redis://[:PASSWORD@]HOST[:PORT][/DB])")
        if parts.scheme == "unix" and not parts.path:
            raise ValueError("names no socket path (expected unix:///PATH/TO/redis.sock)")
        return value.strip()

    @field_validator("celery_broker_url", "embedded_broker_url")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if "://" not in value:
            raise ValueError("must be a broker URL such as redis://HOST:6379/0 or amqp://HOST//")
        return value.strip()

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
        yaml_source = YamlFileSource(settings_cls, config_path())
        return init_settings, env_settings, dotenv_settings, yaml_source

    @property
    def github_web_url(self) -> str:
        """The web address links point at: github.com, or a GitHub Enterprise host's root, from
        GITHUB_API_URL (`https://api.github.com` -> `https://github.com`; `https://HOST/api/v3` ->
        `https://HOST`)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.github_api_url)
        if parts.hostname == "api.github.com":
            return "https://github.com"
        if parts.hostname and parts.hostname.startswith("api."):  # GHE.com data residency: api.SUB.ghe.com
            return f"{parts.scheme}://{parts.netloc[len('api.'):]}"
        path = parts.path.rstrip("/").removesuffix("/api/v3").removesuffix("/api")
        return f"{parts.scheme}://{parts.netloc}{path}"

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
