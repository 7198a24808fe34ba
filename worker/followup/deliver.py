"""Send one team's report for the current period to its channels, at most once per period and channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from config.teams import FollowupPolicy
from connectors import notify
from worker.followup import rules
from worker.followup.fit import fit
from worker.followup.ledger import SENT, SKIPPED, Ledger, channel_id, masked
from worker.followup.render.email import render_email
from worker.followup.render.markdown import render_markdown
from worker.followup.render.slack import fits_slack, render_slack
from worker.followup.render.teams import fits_teams, render_teams
from worker.followup.report import ReportLine, TeamReport, escalation_digest, urgency

DECISION_CHANNEL = "decision"
#: Largest HTML email body and Markdown message sent (other Apprise services split or cut long text).
MAX_EMAIL_BYTES = 200_000
MAX_MARKDOWN = 40_000

Deliver = Callable[[str, notify.Notification], notify.Delivery]
#: Posts one comment on a ticket: (ticket key, line) -> None; raises on failure.
Commenter = Callable[[str, ReportLine], None]


@dataclass(frozen=True, slots=True)
class ChannelOutcome:
    channel: str
    target: str
    state: str  # sent | failed | already-sent | busy
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    team: str
    period_start: datetime
    decision: str  # "sent" | "partial" | "nothing-due" | "already-done" | "no-channels" | "disabled"
    channels: tuple[ChannelOutcome, ...] = ()

    @property
    def failed(self) -> tuple[ChannelOutcome, ...]:
        return tuple(outcome for outcome in self.channels if outcome.state == "failed")


def notification(report: TeamReport, *, per_owner: int = 5) -> notify.Notification:
    """Render the report's digest for every kind of channel, each within its channel's limits.

    Each channel gets the largest digest that fits its limits (see `fit`): Slack's and Teams', and for
    email and other Apprise services, which take long messages, a size a reader still reads through.
    """
    prepared = urgency(report)
    email = fit(report, render_email, lambda e: len(e.html.encode()) <= MAX_EMAIL_BYTES, per_owner=per_owner,
                prepared=prepared)
    markdown = fit(report, render_markdown, lambda text: len(text) <= MAX_MARKDOWN, per_owner=per_owner,
                   prepared=prepared)
    return notify.Notification(
        title=report.title, markdown=markdown,
        slack=fit(report, render_slack, fits_slack, per_owner=per_owner, prepared=prepared),
        teams=fit(report, render_teams, fits_teams, per_owner=per_owner, prepared=prepared),
        email_subject=email.subject, email_html=email.html)


def _urls(policy: FollowupPolicy) -> tuple[list[str], list[str]]:
    reports = [url.get_secret_value() for url in policy.notify]
    escalations = [t.get_secret_value() for t in policy.escalate_to if "://" in t.get_secret_value()]
    return reports, escalations


def send_team_report(team: str, policy: FollowupPolicy, build: Callable[[], TeamReport], ledger: Ledger,
                     now: datetime, *, deliver: Deliver = notify.deliver,
                     commenter: Commenter | None = None) -> SendResult:
    """Deliver this period's report of one team; a repeat call in the same period resends only failures."""
    period = rules.report_period(policy.schedule, now, rules.zone(policy))
    if not policy.enabled:
        return SendResult(team, period.start, "disabled")
    report_urls, escalation_urls = _urls(policy)
    commenting = policy.comment_on_overdue and commenter is not None
    if not report_urls and not escalation_urls and not commenting:
        return SendResult(team, period.start, "no-channels")
    recorded = {row.channel: row for row in ledger.rows(team=team, period_start=period.start)}
    if DECISION_CHANNEL in recorded:
        return SendResult(team, period.start, "nothing-due")
    report_channels = [(channel_id("report", url), url) for url in report_urls]
    # Every report channel went out and nothing failed: done for this period, no need to build anything.
    if (report_channels and all(ch in recorded for ch, _ in report_channels)
            and all(row.state == SENT for row in recorded.values())):
        return SendResult(team, period.start, "already-done")

    report = build()
    if not report.needs_attention and not policy.all_clear and not recorded:
        ledger.skip(team, period.start, DECISION_CHANNEL, reason="nothing overdue or due soon", now=now)
        return SendResult(team, period.start, "nothing-due")

    outcomes: list[ChannelOutcome] = []

    def send(channel: str, target: str, action: Callable[[], notify.Delivery]) -> None:
        ledger.ensure(team, period.start, channel, target=target, now=now)
        if not ledger.claim(team, period.start, channel, now=now):
            row = next((r for r in ledger.rows(team=team, period_start=period.start) if r.channel == channel),
                       None)
            state = "already-sent" if row is not None and row.state in (SENT, SKIPPED) else "busy"
            outcomes.append(ChannelOutcome(channel, target, state))
            return
        try:
            result = action()
        except Exception as exc:  # a failed channel must be recorded as failed, then retried later
            result = notify.Delivery(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
        ledger.finish(team, period.start, channel, ok=result.ok, error=result.error, now=now)
        outcomes.append(ChannelOutcome(channel, target, "sent" if result.ok else "failed", result.error))

    def to_url(url: str, message: notify.Notification) -> Callable[[], notify.Delivery]:
        return lambda: deliver(url, message)

    if report_urls:
        message = notification(report, per_owner=policy.lines_per_owner)
        for channel, url in report_channels:
            send(channel, masked(url), to_url(url, message))
    if report.escalations and escalation_urls:
        digest = notification(escalation_digest(report), per_owner=policy.lines_per_owner)
        for url in escalation_urls:
            send(channel_id("escalation", url), masked(url), to_url(url, digest))
    if commenting and commenter is not None:
        for owner in report.owners:
            for line in owner.lines:
                if line.days_overdue is None or not line.item.ticket_key:
                    continue
                key = line.item.ticket_key

                def comment(key: str = key, line: ReportLine = line) -> notify.Delivery:
                    commenter(key, line)
                    return notify.Delivery(ok=True)

                send(f"comment:{key}", key, comment)
    failed = any(outcome.state == "failed" for outcome in outcomes)
    sent = any(outcome.state == "sent" for outcome in outcomes)
    decision = "partial" if failed else ("sent" if sent else "already-done")
    return SendResult(team, period.start, decision, tuple(outcomes))
