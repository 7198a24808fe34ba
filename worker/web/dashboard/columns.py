"""Column expressions shared by the dashboard's queries: the item's status and due date as the report reads
them (see `FollowupStore._item`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func, or_, type_coerce

from connectors.tracker import TicketStatus
from worker.store.models import ActionItemRow, PostmortemRow, UTCDateTime, followup_resolutions

ITEM = ActionItemRow.__table__.c  # type: ignore[attr-defined]
PM = PostmortemRow.__table__.c  # type: ignore[attr-defined]
RES = followup_resolutions.c

#: The ticket's status, else (never refreshed) the document's checkbox.
item_status: ColumnElement[str] = case((or_(ITEM.status.is_(None), ITEM.status == ""),
               case((ITEM.done.is_(True), TicketStatus.DONE.value), else_=TicketStatus.OPEN.value)),
              else_=ITEM.status)
#: A due date set in the tracker wins over the document's.
item_due: ColumnElement[date] = func.coalesce(ITEM.ticket_due, ITEM.due)
#: When the postmortem was approved, else first ingested (the start of default due dates).
pm_approved: ColumnElement[datetime] = type_coerce(func.coalesce(PM.approved_at, PM.ingested_at), UTCDateTime)
