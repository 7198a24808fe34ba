"""SQLAlchemy 2 models of the state store: postmortems, their action items and tickets, sync runs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so Alembic migrations (and other helpers' revisions) can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive and would drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PostmortemRow(Base):
    """One postmortem document, keyed by a short stable id derived from its identity."""

    __tablename__ = "postmortems"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    identity: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    team: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    incident_date: Mapped[date | None] = mapped_column(Date)
    severity: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Kept only for inline sources (webhook bodies), which cannot be fetched again for a resync.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The source's own time of the stored content (commit time, Jira `updated`, signed webhook time);
    #: an ingest carrying an older version never replaces it. None: unknown (CLI, resync at head).
    version: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ActionItemRow(Base):
    """One action item, its ticket, the owned values we last wrote to it and its last known status."""

    __tablename__ = "action_items"
    __table_args__ = (UniqueConstraint("postmortem_key", "fingerprint", name="uq_action_items_pm_fp"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    postmortem_key: Mapped[str] = mapped_column(
        String(32), ForeignKey("postmortems.key", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(128), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    # --- parsed fields, as the document last said ---------------------------------------------
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    due: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str | None] = mapped_column(String(100))
    ref: Mapped[str | None] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    section: Mapped[str | None] = mapped_column(Text)

    # --- the ticket -----------------------------------------------------------------------------
    tracker: Mapped[str | None] = mapped_column(String(20))
    ticket_key: Mapped[str | None] = mapped_column(String(200), index=True)
    ticket_url: Mapped[str | None] = mapped_column(Text)
    #: Set before the create call goes out, so a ticket found later by its label (lost response)
    #: is known to carry exactly the values below.
    #: Cleared when the create is known not to have happened (rate limit, rejection): while set and
    #: no ticket is mapped, the create is *unconfirmed* and waits for the search index to settle.
    create_attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Searches since that attempt which found no ticket, each made one settling window after the last.
    absent_checks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    written_title: Mapped[str | None] = mapped_column(Text)
    written_due: Mapped[date | None] = mapped_column(Date)
    written_assignee: Mapped[str | None] = mapped_column(String(200))
    written_priority: Mapped[str | None] = mapped_column(String(100))
    #: Comma-separated owned fields whose written_* value is what we last wrote. A field missing here
    #: is human-owned (e.g. a ticket recovered by label search after the store was lost): never written.
    owned_fields: Mapped[str] = mapped_column(String(100), default="")
    assignee_resolution: Mapped[str | None] = mapped_column(String(60))

    # --- last known ticket state (the tracker stays the truth) ---------------------------------
    status: Mapped[str | None] = mapped_column(String(20))
    status_name: Mapped[str | None] = mapped_column(String(200))
    ticket_assignee: Mapped[str | None] = mapped_column(String(200))
    ticket_due: Mapped[date | None] = mapped_column(Date)
    ticket_updated: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # --- lifecycle ------------------------------------------------------------------------------
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removal_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SyncRunRow(Base):
    """One sync of one postmortem: when, whether it was a dry run, and its result counts."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    postmortem_key: Mapped[str] = mapped_column(
        String(32), ForeignKey("postmortems.key", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    counts: Mapped[str] = mapped_column(Text)  # JSON object: result -> count
    retry_error: Mapped[str | None] = mapped_column(Text)


class OwnerLookupRow(Base):
    """Cached tracker user lookups, so an unchanged resync costs no user-search reads."""

    __tablename__ = "owner_lookups"
    __table_args__ = (UniqueConstraint("destination", "query", name="uq_owner_lookups_dest_query"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    destination: Mapped[str] = mapped_column(String(300))  # "jira:OPS" or "github:owner/repo"
    query: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[str | None] = mapped_column(String(200))  # None: looked up, found nobody usable
    outcome: Mapped[str] = mapped_column(String(300))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ParseFailureRow(Base):
    """A document that could not be parsed, one row per source: the sweep skips it, the CLI shows it."""

    __tablename__ = "parse_failures"

    source: Mapped[str] = mapped_column(String(1000), primary_key=True)  # "github:repo@ref:path", "jira:KEY"
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the bytes that failed
    reason: Mapped[str] = mapped_column(Text)  # the parser's one-line message
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Follow-up's tables (report sends, history, resolutions): SQLAlchemy Core tables on the same metadata, so
# the migration check and `create_all` see the whole schema.

#: One row per (team, report period, channel), inserted before anything is sent: the no-spam guarantee.
report_sends = Table(
    "report_sends",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team", String(200), nullable=False),
    Column("period_start", UTCDateTime, nullable=False),
    #: "report:<hash of URL>", "escalation:<hash of URL>", "comment:<ticket key>" or "decision" (skipped).
    Column("channel", String(300), nullable=False),
    Column("target", String(300), nullable=False, default=""),  # URL with secrets masked, for people
    Column("state", String(20), nullable=False),  # pending | sending | sent | failed | skipped
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("detail", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("team", "period_start", "channel", name="uq_report_sends_team_period_channel"),
)

#: Open and overdue counts per team per day, for the report's chart.
followup_history = Table(
    "followup_history",
    Base.metadata,
    Column("team", String(200), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("open", Integer, nullable=False),
    Column("overdue", Integer, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

#: When each ticket was first seen done or dropped (the trackers' "updated" moves on after closing).
followup_resolutions = Table(
    "followup_resolutions",
    Base.metadata,
    Column("ticket_key", String(200), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("resolved_at", UTCDateTime, nullable=False),
)


class OutboxRow(Base):
    """A webhook delivery accepted by the receiver, written before it answers 202.

    The unique (kind, delivery) key is the webhook dedupe; `payload` holds the task's arguments
    (inline documents included), so the sweep can publish the task again if it never finished.
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("kind", "delivery", name="uq_outbox_kind_delivery"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # generic | github | jira
    delivery: Mapped[str] = mapped_column(String(64))  # sha256 hex of the signed delivery identity
    task: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)  # JSON list of the task's positional arguments
    state: Mapped[str] = mapped_column(String(20), index=True)  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SourceCursorRow(Base):
    """Where a document source's polling stands: a Drive page token, a CQL poll's last time, a channel.

    `value` is the source's own JSON; one row per name (e.g. "confluence", "gdocs").
    """

    __tablename__ = "source_cursors"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
