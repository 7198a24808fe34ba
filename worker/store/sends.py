"""The report send ledger: one row per (team, period, channel), claimed before sending, so nothing is doubled.

A row is inserted (or found) first, then claimed with a guarded UPDATE: only a row that is pending,
failed, or stuck "sending" past its lease can be claimed, and only one claimer's UPDATE matches. A sent
row is never claimed again, so several beats, retries or workers in one period deliver at most once per
channel; a failed channel is retried on the next attempt without touching the channels that went out.
The one window left is a crash between the receiver's 200 and the commit of "sent": after the lease the
channel is sent again (webhooks carry no idempotency key we could use instead).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from worker.store.models import report_sends

#: A claim older than this is taken to belong to a dead worker.
CLAIM_LEASE = timedelta(minutes=10)

PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"


def channel_id(kind: str, url: str) -> str:
    """A stable id for a delivery channel that does not reveal the URL (which carries tokens)."""
    return f"{kind}:{hashlib.sha256(url.encode('utf-8')).hexdigest()[:20]}"


#: Apprise schemes whose host part is a server. Many others carry a token there (`pbul://token`,
#: `prowl://apikey`, `pover://user@token`), so for them only the scheme is shown.
_SERVER_SCHEMES = frozenset({"http", "https", "json", "jsons", "xml", "xmls", "form", "forms",
                             "mailto", "mailtos", "workflow", "workflows"})


def masked(url: str) -> str:
    """The URL's scheme and server host only, safe to store and show."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _SERVER_SCHEMES:
        return f"{parts.scheme}://…"
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}" + ("/…" if parts.path not in ("", "/") or parts.query else "")


@dataclass(frozen=True, slots=True)
class SendRow:
    team: str
    period_start: datetime
    channel: str
    target: str
    state: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


class Ledger:
    """Report sends recorded in the database."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        # The claim lease runs on the wall clock: `now` may be a retried task's original moment, which
        # never advances, so a claim left by a killed worker would never expire against it.
        self._clock = clock

    def ensure(self, team: str, period_start: datetime, channel: str, *, target: str, now: datetime) -> None:
        """Insert the row for this send as pending, unless it exists already."""
        try:
            with self.engine.begin() as conn:
                conn.execute(report_sends.insert().values(
                    team=team, period_start=period_start, channel=channel, target=target, state=PENDING,
                    attempts=0, created_at=now, updated_at=now))
        except IntegrityError:
            pass  # another beat, retry or worker recorded it first: the claim below decides who sends

    def claim(self, team: str, period_start: datetime, channel: str, *, now: datetime) -> bool:
        """Take the right to send this channel now; False if it was sent or someone else is sending it."""
        key = and_(report_sends.c.team == team, report_sends.c.period_start == period_start,
                   report_sends.c.channel == channel)
        claimed = self._clock()
        claimable = or_(report_sends.c.state.in_((PENDING, FAILED)),
                        and_(report_sends.c.state == SENDING,
                             report_sends.c.claimed_at < claimed - CLAIM_LEASE))
        with self.engine.begin() as conn:
            result = conn.execute(update(report_sends).where(key, claimable).values(
                state=SENDING, claimed_at=claimed, attempts=report_sends.c.attempts + 1, updated_at=now))
            return result.rowcount == 1

    def finish(self, team: str, period_start: datetime, channel: str, *, ok: bool, now: datetime,
               error: str | None = None, detail: str | None = None) -> None:
        """Record the outcome of a claimed send."""
        values: dict[str, object] = {"state": SENT if ok else FAILED, "updated_at": now,
                                     "last_error": None if ok else (error or "delivery failed")[:2000]}
        if ok:
            values["sent_at"] = now
        if detail is not None:
            values["detail"] = detail
        with self.engine.begin() as conn:
            conn.execute(update(report_sends).where(
                report_sends.c.team == team, report_sends.c.period_start == period_start,
                report_sends.c.channel == channel, report_sends.c.state == SENDING).values(**values))

    def skip(self, team: str, period_start: datetime, channel: str, *, reason: str, now: datetime) -> bool:
        """Record a decision not to send this period (e.g. nothing due); False if one exists already."""
        try:
            with self.engine.begin() as conn:
                conn.execute(report_sends.insert().values(
                    team=team, period_start=period_start, channel=channel, target="", state=SKIPPED,
                    attempts=0, detail=reason, created_at=now, updated_at=now))
        except IntegrityError:
            return False
        return True

    def rows(self, *, team: str | None = None, period_start: datetime | None = None) -> list[SendRow]:
        """Recorded sends, oldest first."""
        query = select(report_sends).order_by(report_sends.c.id)
        if team is not None:
            query = query.where(report_sends.c.team == team)
        if period_start is not None:
            query = query.where(report_sends.c.period_start == period_start)
        with self.engine.connect() as conn:
            return [SendRow(team=r.team, period_start=r.period_start, channel=r.channel, target=r.target,
                            state=r.state, attempts=r.attempts, last_error=r.last_error, sent_at=r.sent_at)
                    for r in conn.execute(query)]
