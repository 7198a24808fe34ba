"""Tables follow-up keeps next to the store's: report sends, daily history, first-seen resolutions."""

from __future__ import annotations

from sqlalchemy import Column, Date, Integer, String, Table, Text, UniqueConstraint

from worker.store.models import Base, UTCDateTime

#: The store's metadata, so its migration check and `create_all` cover these tables too.
metadata = Base.metadata


#: One row per (team, report period, channel), inserted before anything is sent: the no-spam guarantee.
report_sends = Table(
    "report_sends",
    metadata,
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
    metadata,
    Column("team", String(200), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("open", Integer, nullable=False),
    Column("overdue", Integer, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

#: When each ticket was first seen done or dropped (the trackers' "updated" moves on after closing).
followup_resolutions = Table(
    "followup_resolutions",
    metadata,
    Column("ticket_key", String(200), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("resolved_at", UTCDateTime, nullable=False),
)
