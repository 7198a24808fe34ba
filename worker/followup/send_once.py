"""Send one message through the send ledger: claim the channel's row, send, record the outcome.

Reports, escalations, ticket comments and owner reminders all go out this way, so each is sent at most
once per (team, period, channel) however many beats, retries or workers try at the same time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from connectors import notify
from worker.store.sends import SENT, SKIPPED, Ledger


def send_once(ledger: Ledger, team: str, period_start: datetime, channel: str, *, target: str,
              now: datetime, action: Callable[[], notify.Delivery]) -> tuple[str, str | None]:
    """Run `action` if this call claims the channel's row; the state and error to report.

    The state is `sent` or `failed` when this call sent, `already-sent` when the row was sent (or
    skipped) before, and `busy` when another worker holds the claim.
    """
    ledger.ensure(team, period_start, channel, target=target, now=now)
    if not ledger.claim(team, period_start, channel, now=now):
        row = next((r for r in ledger.rows(team=team, period_start=period_start) if r.channel == channel),
                   None)
        return ("already-sent" if row is not None and row.state in (SENT, SKIPPED) else "busy"), None
    try:
        result = action()
    except Exception as exc:  # a failed send must be recorded as failed, then retried later
        result = notify.Delivery(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    ledger.finish(team, period_start, channel, ok=result.ok, error=result.error, now=now)
    return ("sent" if result.ok else "failed"), result.error
