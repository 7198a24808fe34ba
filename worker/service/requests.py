"""An ingest request: what a trigger (webhook, sweep, resync) hands to the ingest task, as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.sources import BadSource, FileSource, parse_source
from worker.errors import UserError

#: Prefixes of the ids the pipeline derives from sources; a caller-given id may not use them.
RESERVED_ID_PREFIXES = frozenset({"github", "jira", "file", "inline", "notion", "gitlab", "gitlab-incident",
                                  "confluence", "gdocs"})


class IngestRequest(BaseModel):
    """One postmortem to ingest: its content inline, or a source to fetch (never both)."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_max_length=10 * 1024 * 1024)

    id: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=500)
    team: str | None = Field(default=None, max_length=100)
    content: str | None = None
    source: str | None = Field(default=None, max_length=1000)
    filename: str | None = Field(default=None, max_length=300)
    approved_at: datetime | None = None
    #: The source's time of this content (commit time, Jira `updated`, the generic hook's signed time);
    #: an ingest never replaces a newer stored version with an older one.
    version: datetime | None = None

    @field_validator("id")
    @classmethod
    def _own_namespace(cls, value: str | None) -> str | None:
        # Source-derived ids look like "github:owner/repo:path" or "jira:KEY-1"; a caller's id of that
        # shape would overwrite the postmortem the sweep and the other hooks keep under it.
        prefix, colon, _ = (value or "").partition(":")
        if colon and prefix.strip().lower() in RESERVED_ID_PREFIXES:
            raise ValueError("must not start with a source kind (github:, jira:, file:, inline:)")
        return value

    @model_validator(mode="after")
    def _content_or_source(self) -> IngestRequest:
        if (self.content is None) == (self.source is None):
            raise ValueError("give exactly one of 'content' and 'source'")
        if self.source is not None:
            try:
                parse_source(self.source)
            except BadSource as exc:
                raise ValueError(str(exc)) from None
        if self.content is not None and not self.id:
            raise ValueError("'id' is required with inline 'content'")
        return self

    def reads_local_file(self) -> bool:
        """Whether the request names a file on the worker's disk (refused from webhooks and the broker)."""
        return self.source is not None and isinstance(parse_source(self.source), FileSource)

    def to_task(self) -> dict[str, Any]:
        """The JSON payload of `followthrough.ingest_postmortem`."""
        return self.model_dump(mode="json", exclude_none=True)


def parse_request(payload: Any) -> IngestRequest:
    """Validate a task or webhook payload, or raise UserError with the first problem."""
    try:
        return IngestRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "payload"
        msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        raise UserError(f"invalid ingest request: {where}: {msg}") from None
