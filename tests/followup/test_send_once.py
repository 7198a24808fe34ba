"""No spam, nothing lost: one report per team, period and channel; failures retried, never doubled."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from tests.followup.fixtures import NOW, policy, sample_items, tracked
from tests.followup.receivers import HttpReceiver
from worker.followup.deliver import SendResult, send_team_report
from worker.followup.report import ReportLine, build_report
from worker.store.sends import Ledger


def _policy(*urls: str, **extra: Any):  # type: ignore[no-untyped-def]
    return policy(notify=list(urls), **extra)


def _send(engine: Engine, p: Any, now: Any = NOW, items: Any = None, **kwargs: Any) -> SendResult:
    items = sample_items() if items is None else items
    return send_team_report("ops", p, lambda: build_report("ops", items, p, now), Ledger(engine), now,
                            **kwargs)


def test_two_sends_in_one_period_deliver_once(engine: Engine, webhook: HttpReceiver) -> None:
    p = _policy(f"json://127.0.0.1:{webhook.port}/a")
    first = _send(engine, p)
    second = _send(engine, p, now=NOW + timedelta(hours=30))  # a later beat in the same weekly period
    assert first.decision == "sent" and second.decision == "already-done"
    assert len(webhook.recorder.requests) == 1
    [row] = Ledger(engine).rows(team="ops")
    assert (row.state, row.attempts, row.target) == ("sent", 1, "json://127.0.0.1/…")
    # next period: a new report
    third = _send(engine, p, now=NOW + timedelta(days=7))
    assert third.decision == "sent" and len(webhook.recorder.requests) == 2


def test_failed_channel_is_retried_alone(engine: Engine, webhook: HttpReceiver) -> None:
    from tests.followup import receivers

    for other in receivers.serve():
        other.recorder.fail_next = 1
        p = _policy(f"json://127.0.0.1:{webhook.port}/a", f"json://127.0.0.1:{other.port}/b")
        first = _send(engine, p)
        assert first.decision == "partial"
        assert [o.state for o in first.channels] == ["sent", "failed"]
        assert first.failed[0].error and "error=500" in first.failed[0].error
        retry = _send(engine, p, now=NOW + timedelta(minutes=5))
        assert retry.decision == "sent"
        assert [o.state for o in retry.channels] == ["already-sent", "sent"]
        assert len(webhook.recorder.requests) == 1 and len(other.recorder.requests) == 1
        assert _send(engine, p, now=NOW + timedelta(minutes=10)).decision == "already-done"
        rows = Ledger(engine).rows(team="ops")
        assert [(r.state, r.attempts) for r in rows] == [("sent", 1), ("sent", 2)]


def test_concurrent_beats_deliver_once(engine: Engine, webhook: HttpReceiver) -> None:
    p = _policy(f"json://127.0.0.1:{webhook.port}/a")
    barrier = threading.Barrier(4)
    results = []

    def run() -> None:
        barrier.wait()
        results.append(_send(engine, p))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(webhook.recorder.requests) == 1
    assert sorted(r.decision for r in results).count("sent") == 1


def test_nothing_due_sends_nothing_but_is_recorded(engine: Engine, webhook: HttpReceiver) -> None:
    p = _policy(f"json://127.0.0.1:{webhook.port}/a")
    calm = [tracked(1, due=date(2026, 6, 1))]
    assert _send(engine, p, items=calm).decision == "nothing-due"
    assert _send(engine, p, items=calm).decision == "nothing-due"
    assert not webhook.recorder.requests
    [row] = Ledger(engine).rows(team="ops")
    assert (row.channel, row.state) == ("decision", "skipped")


def test_all_clear_sends_even_when_nothing_is_due(engine: Engine, webhook: HttpReceiver) -> None:
    p = _policy(f"json://127.0.0.1:{webhook.port}/a", all_clear=True)
    assert _send(engine, p, items=[]).decision == "sent"
    assert "Nothing open. All clear." in webhook.recorder.requests[0].json()["message"]


def test_escalation_and_overdue_comments_once_per_period(engine: Engine, webhook: HttpReceiver) -> None:
    from tests.followup import receivers

    comments: list[tuple[str, int | None]] = []

    def commenter(key: str, line: ReportLine) -> None:
        comments.append((key, line.days_overdue))

    for manager in receivers.serve():
        p = _policy(f"json://127.0.0.1:{webhook.port}/a", comment_on_overdue=True,
                    escalate_to=[f"json://127.0.0.1:{manager.port}/m", "Mia Manager"])
        _send(engine, p, commenter=commenter)
        _send(engine, p, commenter=commenter, now=NOW + timedelta(days=1))
        [digest] = manager.recorder.requests
        message = digest.json()["message"]
        assert digest.json()["title"] == "Escalation: overdue follow-up actions of ops"
        assert "OPS-1" in message and "OPS-4" in message and "OPS-2" not in message
        team_message = webhook.recorder.requests[0].json()["message"]
        assert "escalated to Mia Manager" in team_message
    assert sorted(comments) == [("OPS-1", 29), ("OPS-10", 1), ("OPS-2", 5), ("OPS-4", 28)]


def test_failing_commenter_is_recorded_and_retried(engine: Engine) -> None:
    calls: list[str] = []

    def flaky(key: str, line: ReportLine) -> None:
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("tracker down")

    p = policy(comment_on_overdue=True)
    first = _send(engine, p, commenter=flaky)
    assert first.decision == "partial" and first.failed[0].error == "RuntimeError: tracker down"
    _send(engine, p, commenter=flaky)
    # the first run posts three comments and fails one; the retry posts only the failed one
    assert len(calls) == 5 and set(calls) == {"OPS-1", "OPS-2", "OPS-4", "OPS-10"}
    assert calls[4] == calls[0]
    assert _send(engine, p, commenter=flaky).decision == "already-done"


def test_recorded_target_hides_tokens_apprise_keeps_in_the_host(engine: Engine) -> None:
    from connectors import notify

    # Pushover (pover://user@token), Pushbullet (pbul://token), Prowl (prowl://apikey): the secret is the
    # URL's "host", so showing the host is showing the token.
    urls = ["pover://USERKEY@SECRETTOKEN1", "pbul://o.SECRETTOKEN2", "prowl://SECRETTOKEN3"]
    result = _send(engine, _policy(*urls), deliver=lambda url, message: notify.Delivery(ok=True))
    assert result.decision == "sent" and len(result.channels) == 3
    shown = [o.target for o in result.channels] + [r.target for r in Ledger(engine).rows(team="ops")]
    assert shown == ["pover://…", "pbul://…", "prowl://…"] * 2
