"""Send one team's report for the current period to its channels, at most once per period and channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from config.teams import FollowupPolicy
from connectors import notify
from worker.followup import rules
from worker.followup.fit import fit
from worker.followup.render.email import render_email
from worker.followup.render.markdown import render_markdown
from worker.followup.render.slack import fits_slack, render_slack
from worker.followup.render.teams import fits_teams, render_teams
from worker.followup.report import ReportLine, TeamReport, escalation_digest, urgency
from worker.followup.send_once import send_once
from worker.store.sends import SENT, Ledger, SendRow, channel_id, masked

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


class _Plan:
    """What one team's send in one period works from: its channels, and what the ledger already holds."""

    def __init__(self, team: str, policy: FollowupPolicy, ledger: Ledger, period_start: datetime,
                 commenter: Commenter | None) -> None:
        self.team, self.policy, self.ledger, self.period_start = team, policy, ledger, period_start
        self.report_urls = [url.get_secret_value() for url in policy.notify]
        # Escalation contacts with "://" are channels; the others are names the report mentions.
        contacts = [target.get_secret_value() for target in policy.escalate_to]
        self.escalation_urls = [contact for contact in contacts if "://" in contact]
        self.commenter = commenter if policy.comment_on_overdue else None
        self.report_channels = [(channel_id("report", url), url) for url in self.report_urls]

    @cached_property
    def recorded(self) -> dict[str, SendRow]:
        """The ledger's rows of this period by channel (read once, and only when a decision needs them)."""
        return {row.channel: row for row in self.ledger.rows(team=self.team, period_start=self.period_start)}

    def all_reports_sent(self) -> bool:
        """Every report channel went out and nothing failed: done for this period, nothing to build."""
        return (bool(self.report_channels) and all(ch in self.recorded for ch, _ in self.report_channels)
                and all(row.state == SENT for row in self.recorded.values()))


#: Decisions taken before the report is built, in order: the first that applies ends the send.
_GATES: tuple[tuple[str, Callable[[_Plan], bool]], ...] = (
    ("disabled", lambda plan: not plan.policy.enabled),
    ("no-channels", lambda plan: not (plan.report_urls or plan.escalation_urls or plan.commenter)),
    ("nothing-due", lambda plan: DECISION_CHANNEL in plan.recorded),
    ("already-done", _Plan.all_reports_sent),
)


class _Sender:
    """Sends one team's messages of one period, each once (`send_once`), and collects the outcomes."""

    def __init__(self, plan: _Plan, now: datetime) -> None:
        self.plan, self.now = plan, now
        self.outcomes: list[ChannelOutcome] = []

    def send(self, channel: str, target: str, action: Callable[[], notify.Delivery]) -> None:
        plan = self.plan
        state, error = send_once(plan.ledger, plan.team, plan.period_start, channel, target=target,
                                 now=self.now, action=action)
        self.outcomes.append(ChannelOutcome(channel, target, state, error))

    def decision(self) -> str:
        if any(outcome.state == "failed" for outcome in self.outcomes):
            return "partial"
        return "sent" if any(outcome.state == "sent" for outcome in self.outcomes) else "already-done"


def _to_url(deliver: Deliver, url: str, message: notify.Notification) -> Callable[[], notify.Delivery]:
    return lambda: deliver(url, message)


def _send_reports(sender: _Sender, report: TeamReport, deliver: Deliver) -> None:
    plan = sender.plan
    if plan.report_urls:
        message = notification(report, per_owner=plan.policy.lines_per_owner)
        for channel, url in plan.report_channels:
            sender.send(channel, masked(url), _to_url(deliver, url, message))


def _send_escalations(sender: _Sender, report: TeamReport, deliver: Deliver) -> None:
    plan = sender.plan
    if report.escalations and plan.escalation_urls:
        digest = notification(escalation_digest(report), per_owner=plan.policy.lines_per_owner)
        for url in plan.escalation_urls:
            sender.send(channel_id("escalation", url), masked(url), _to_url(deliver, url, digest))


def _send_comments(sender: _Sender, report: TeamReport, deliver: Deliver) -> None:
    commenter = sender.plan.commenter
    if commenter is None:
        return
    for line in (line for owner in report.owners for line in owner.lines):
        if line.days_overdue is None or not line.item.ticket_key:
            continue
        key = line.item.ticket_key

        def comment(key: str = key, line: ReportLine = line) -> notify.Delivery:
            commenter(key, line)
            return notify.Delivery(ok=True)

        sender.send(f"comment:{key}", key, comment)


#: What a report goes out to, in order: the team's channels, the escalation contacts, the overdue tickets.
_STEPS: tuple[Callable[[_Sender, TeamReport, Deliver], None], ...] = (
    _send_reports, _send_escalations, _send_comments)


def send_team_report(team: str, policy: FollowupPolicy, build: Callable[[], TeamReport], ledger: Ledger,
                     now: datetime, *, deliver: Deliver = notify.deliver,
                     commenter: Commenter | None = None) -> SendResult:
    """Deliver this period's report of one team; a repeat call in the same period resends only failures."""
    period = rules.report_period(policy.schedule, now, rules.zone(policy))
    plan = _Plan(team, policy, ledger, period.start, commenter)
    early = next((decision for decision, applies in _GATES if applies(plan)), None)
    if early is not None:
        return SendResult(team, period.start, early)
    report = build()
    if not report.needs_attention and not policy.all_clear and not plan.recorded:
        ledger.skip(team, period.start, DECISION_CHANNEL, reason="nothing overdue or due soon", now=now)
        return SendResult(team, period.start, "nothing-due")
    sender = _Sender(plan, now)
    for step in _STEPS:
        step(sender, report, deliver)
    return SendResult(team, period.start, sender.decision(), tuple(sender.outcomes))
