"""Deliveries through real Apprise plugins to local receivers: Slack, Teams, email and a generic webhook."""

from __future__ import annotations

from connectors import notify
from tests.followup.fixtures import HOSTILE, NOW, policy, sample_items
from tests.followup.receivers import HttpReceiver, Mailbox
from worker.followup.deliver import notification
from worker.followup.report import build_report

SLACK_URL = "slack://T1JJ3T3L2/B1BRTD4JD/TIiajkdnlazkcOXrIdevi7/?verify=no&footer=no"


def _message() -> notify.Notification:
    return notification(build_report("ops", sample_items(), policy(), NOW))


def test_channel_kinds() -> None:
    assert notify.channel_kind(SLACK_URL) is notify.ChannelKind.SLACK
    assert notify.channel_kind("https://hooks.slack.com/services/A/B/C") is notify.ChannelKind.SLACK
    assert notify.channel_kind("workflows://host/abc/def") is notify.ChannelKind.TEAMS
    azure = "https://prod-1.westeurope.logic.azure.com/workflows/x"
    assert notify.channel_kind(azure) is notify.ChannelKind.TEAMS
    assert notify.channel_kind("mailtos://user:pw@example.com") is notify.ChannelKind.EMAIL
    assert notify.channel_kind("discord://a/b") is notify.ChannelKind.GENERIC


def test_slack_receives_block_kit(slack_receiver: HttpReceiver) -> None:
    result = notify.deliver(SLACK_URL, _message())
    assert result.ok, result.error
    [request] = slack_receiver.recorder.requests
    assert request.host.startswith("hooks.slack.com")
    assert request.path == "/services/T1JJ3T3L2/B1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
    blocks = request.json()["attachments"][0]["blocks"]
    assert blocks[0]["text"]["text"] == "Follow-up report for ops"
    texts = "\n".join(block["text"]["text"] for block in blocks if block.get("type") == "section"
                      and "text" in block)
    assert "<https://jira.example/browse/OPS-1|OPS-1>" in texts and "29 days overdue" in texts
    assert "&lt;!channel&gt;" in texts and "<!channel>" not in texts


def test_template_tokens_in_document_text_are_not_substituted(slack_receiver: HttpReceiver) -> None:
    items = [item.__class__(**{**{f: getattr(item, f) for f in item.__slots__},
                               "title": "{{app_body}} {{ app_title }}"}) for item in sample_items()]
    message = notification(build_report("ops", items, policy(), NOW))
    assert notify.deliver(SLACK_URL, message).ok
    body = slack_receiver.recorder.requests[0].body.decode()
    assert "{{app_body}} {{ app_title }}" in body.replace("\\u007b", "{")


def test_teams_receives_adaptive_card(teams_receiver: HttpReceiver) -> None:
    url = f"workflows://127.0.0.1:{teams_receiver.port}/wf123/sig456?verify=no"
    result = notify.deliver(url, _message())
    assert result.ok, result.error
    [request] = teams_receiver.recorder.requests
    assert request.path.startswith("/workflows/wf123/triggers/manual/paths/invoke?")
    assert "sig=sig456" in request.path
    payload = request.json()
    assert payload["type"] == "message"
    card = payload["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    runs = [run["text"] for block in card["body"] if block["type"] == "RichTextBlock"
            for run in block["inlines"]]
    assert any(HOSTILE in text for text in runs)
    assert "29 days overdue (escalated)" in runs


def test_email_is_html_with_text_alternative(mailbox: Mailbox) -> None:
    url = f"mailto://127.0.0.1:{mailbox.port}?from=followthrough@example.com&to=ops@example.com"
    result = notify.deliver(url, _message())
    assert result.ok, result.error
    [message] = mailbox.messages
    assert message["Subject"] == "Follow-up report for ops: 4 overdue, 1 due soon, 6 open"
    assert message["To"] == "ops@example.com"
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    assert html is not None and text is not None
    html_content = html.get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_content and "<script>" not in html_content
    assert 'href="https://jira.example/browse/OPS-1"' in html_content
    assert "29 days overdue" in text.get_content() and "Action 2" in text.get_content()


def test_generic_webhook_gets_markdown(webhook: HttpReceiver) -> None:
    result = notify.deliver(f"json://127.0.0.1:{webhook.port}/hook", _message())
    assert result.ok, result.error
    payload = webhook.recorder.requests[0].json()
    assert payload["title"] == "Follow-up report for ops"
    assert "[OPS-1](<https://jira.example/browse/OPS-1>)" in payload["message"]  # not over-escaped


def test_failed_delivery_reports_an_error_without_the_url(webhook: HttpReceiver) -> None:
    webhook.recorder.fail_next = 1
    result = notify.deliver(f"json://user:s3cret@127.0.0.1:{webhook.port}/hook", _message())
    assert not result.ok
    assert result.error == "Failed to send JSON POST notification: Internal server error., error=500."
    assert not webhook.recorder.requests


def test_unusable_url() -> None:
    result = notify.deliver("nosuchscheme://x", _message())
    assert not result.ok and result.error == "not a usable Apprise URL (generic)"
