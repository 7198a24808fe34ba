"""The run ledger's retry rules and the create answer table, tested without a tracker."""

from __future__ import annotations

import pytest

from connectors.errors import Invalid, RateLimited, Transient
from connectors.factory import MAX_INLINE_WAIT
from connectors.tracker import CreateOutcome, Ticket, TicketBody, TicketDraft, TicketFields
from worker.sync.create import _outcome_kind
from worker.sync.ledger import MAX_ATTEMPTS, Ledger
from worker.sync.plan import Step


def step(fp: str = "fp1") -> Step:
    return Step(fingerprint=fp, title="Add alerting", action="update", result="updated", reason="")


def test_pending_keeps_the_longest_rate_limit_as_the_retry_error() -> None:
    ledger = Ledger("jira", sleep=lambda s: None)
    ledger.pending(step("a"), Transient("reset"), "")
    short, long = RateLimited("slow", retry_after=5), RateLimited("slower", retry_after=50)
    ledger.pending(step("b"), long, "")
    ledger.pending(step("c"), short, "")
    ledger.pending(step("d"), Transient("reset"), "")
    assert ledger.retry_error is long
    assert ledger.results["b"].result == "pending"
    assert ledger.results["b"].reason == "rate limited, retry after 50s; will retry"


def test_a_short_rate_limit_is_slept_and_a_long_one_stops_the_run() -> None:
    slept: list[float] = []
    ledger = Ledger("github", sleep=slept.append)
    assert ledger.retryable(RateLimited("slow", retry_after=1.5)) and ledger.stop is None
    long = RateLimited("slower", retry_after=MAX_INLINE_WAIT + 1)
    assert ledger.retryable(long) and ledger.stop is long
    assert slept == [1.5]
    assert not ledger.retryable(Invalid("bad field")) and ledger.last_error is long


def test_call_retries_a_transient_error_and_gives_up_after_the_attempts() -> None:
    ledger = Ledger("jira", sleep=lambda s: None)
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) < 2:
            raise Transient("reset")

    assert ledger.call(flaky) is None and len(calls) == 2

    def down() -> None:
        raise Transient("503")

    error = ledger.call(down)
    assert isinstance(error, Transient) and str(error) == "503"


def test_call_stops_at_once_when_the_check_before_a_retry_says_it_is_done() -> None:
    ledger = Ledger("jira", sleep=lambda s: None)
    calls: list[int] = []

    def lost() -> None:
        calls.append(1)
        raise Transient("answer lost")

    assert ledger.call(lost, before_retry=lambda: True) is None
    assert len(calls) == 1 < MAX_ATTEMPTS


DRAFT = TicketDraft(
    fingerprint="fp1", postmortem_key="pm", fields=TicketFields(title="Add alerting"), body=TicketBody()
)
TICKET = Ticket(key="OPS-1", url="https://jira.example/browse/OPS-1", fingerprint="fp1", fields=DRAFT.fields)


@pytest.mark.parametrize(
    ("outcome", "kind"),
    [
        (CreateOutcome(draft=DRAFT, ticket=TICKET), "created"),
        (CreateOutcome(draft=DRAFT, error=Transient("timeout"), uncertain=True), "lost"),
        (CreateOutcome(draft=DRAFT, error=Invalid("bad assignee")), "refused"),
        (CreateOutcome(draft=DRAFT, error=RateLimited("slow", retry_after=3)), "retry"),
        (CreateOutcome(draft=DRAFT, error=Transient("chunk never sent")), "retry"),
        (CreateOutcome(draft=DRAFT), "none"),
    ],
)
def test_each_create_answer_has_one_handling(outcome: CreateOutcome, kind: str) -> None:
    assert _outcome_kind(outcome) == kind
