"""Renderers: content is there, and hostile document text is inert in every target."""

from __future__ import annotations

import inspect
import json
from dataclasses import replace
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import get_args

from markdown_it import MarkdownIt

from tests.followup.fixtures import HOSTILE, NOW, policy, sample_items, tracked
from worker.followup.deliver import notification
from worker.followup.render.email import render_email, render_html
from worker.followup.render.history_bars import weekly_points
from worker.followup.render.json import render_json
from worker.followup.render.markdown import render_markdown
from worker.followup.render.outline import (
    AllClear,
    Closing,
    Dropped,
    Escalation,
    History,
    OutlineWriter,
    Owner,
    Period,
    Section,
    SummaryTable,
    Title,
    outline,
    write,
)
from worker.followup.render.slack import MAX_BLOCKS, render_slack
from worker.followup.render.teams import render_teams
from worker.followup.render.text import render_text
from worker.followup.report import TeamReport, build_report, trim
from worker.store.records import HistoryPoint

ZWSP = "\u200b"
HISTORY = [HistoryPoint(day=date(2026, 1, 5) + timedelta(days=d), open=10 + d % 7, overdue=d // 7)
           for d in range(0, 84)]


def _report() -> TeamReport:
    return build_report("ops", sample_items(), policy(escalate_to=["Mia <Manager>"]), NOW, history=HISTORY)


def _slack_texts(payload: dict) -> list[str]:  # type: ignore[type-arg]
    texts = []
    for block in payload["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [field["text"] for field in block.get("fields", [])]
        texts += [element["text"] for element in block.get("elements", []) if "text" in element]
    return texts


def test_slack_block_kit_content_and_escaping() -> None:
    payload = render_slack(_report())
    assert payload["blocks"][0] == {"type": "header", "text": {"type": "plain_text",
                                                                "text": "Follow-up report for ops"}}
    body = "\n".join(_slack_texts(payload))
    assert "<https://jira.example/browse/OPS-1|OPS-1>" in body
    assert "29 days overdue" in body and "3 days left" in body and "escalated" in body
    assert "*Completion rate*\n17% (1 of 6 done by their due date)" in body
    # hostile text: no raw <, > or & survive, so no <!channel>, links or mentions can form
    assert "&lt;!channel&gt; *bold* [x](http://evil.example) &lt;script&gt;" in body
    assert "<!channel>" not in body and "<script>" not in body
    assert "Mia &lt;Manager&gt;" in body
    assert "Dropped this period" in body and "Action 8" in body
    assert "OPS-9" not in body
    assert payload["text"].startswith("Follow-up report for ops: 6 open, 4 overdue, 1 due soon")


def test_slack_digest_respects_block_and_section_limits() -> None:
    items = [tracked(n, due=date(2026, 3, 1), assignee_name=f"Owner {n}", title="x" * 290)
             for n in range(300)]
    payload = notification(build_report("ops", items, policy(), NOW)).slack
    assert len(payload["blocks"]) <= MAX_BLOCKS
    assert all(len(text) <= 3000 for text in _slack_texts(payload))
    assert "more owners with" in "\n".join(_slack_texts(payload))


def test_teams_adaptive_card_keeps_document_text_literal() -> None:
    message = render_teams(_report())
    assert message["type"] == "message"
    attachment = message["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    facts = {fact["title"]: fact["value"] for fact in card["body"][2]["facts"]}
    assert facts["Overdue"] == "4"
    runs = [run for element in card["body"] if element["type"] == "RichTextBlock"
            for run in element["inlines"]]
    assert all(run["type"] == "TextRun" for run in runs)  # TextRuns are never parsed as Markdown
    assert any(HOSTILE in run["text"] for run in runs)
    links = [run["selectAction"]["url"] for run in runs if "selectAction" in run]
    assert "https://jira.example/browse/OPS-1" in links
    # hostile text never reaches a TextBlock, the one element Teams parses as Markdown
    text_blocks = [element["text"] for element in card["body"] if element["type"] == "TextBlock"]
    assert not any("evil" in text for text in text_blocks)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_email_html_escaped_with_chart_and_text_alternative() -> None:
    email = render_email(_report())
    assert email.subject == "Follow-up report for ops: 4 overdue, 1 due soon, 6 open"
    parsed = _Collector()
    parsed.feed(email.html)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert HOSTILE in "".join(parsed.text)  # shown literally
    assert "https://jira.example/browse/OPS-1" in parsed.hrefs
    assert all(href.startswith("https://") for href in parsed.hrefs)
    assert 'class="chart"' in email.html and "week of 2026-03-29" in email.html
    assert email.html.count("week of ") == 8
    assert "29 days overdue" in email.text and "https://jira.example/browse/OPS-1" in email.text
    assert "Completion rate" in email.text


def test_markdown_escapes_document_text() -> None:
    text = render_markdown(_report())
    html = MarkdownIt("commonmark").render(text)
    assert "<script>" not in html and 'href="http://evil.example"' not in html
    assert "<em>bold</em>" not in html and "<code>code</code>" not in html
    assert '<a href="https://jira.example/browse/OPS-1">OPS-1</a>' in html
    parsed = _Collector()
    parsed.feed(html)
    assert HOSTILE in "".join(parsed.text).replace("\n", " ")


def test_markdown_has_no_live_chat_mentions() -> None:
    items = [tracked(1, title="Tell @here and @everyone, -@channel, fix.@all; mail ops@example.com",
                     assignee_name="@alice")]
    text = render_markdown(build_report("ops", items, policy(), NOW))
    for mention in ("@here", "@everyone", "@channel", "@all", "@alice"):
        assert mention not in text
    assert f"@{ZWSP}here" in text and f"@{ZWSP}everyone" in text and f"@{ZWSP}alice" in text
    assert "ops@example" in text  # an email address is not a mention


def test_json_report() -> None:
    data = json.loads(json.dumps(render_json(_report())))
    assert data["summary"]["overdue"] == 4
    assert data["owners"][0]["postmortems"][0]["items"][0]["days_overdue"] == 29
    assert [item["ticket"] for item in data["dropped"]] == ["OPS-8"]


def test_weekly_points_take_the_last_day_of_each_week() -> None:
    points = weekly_points(HISTORY, weeks=3)
    assert [point.day for point in points] == [date(2026, 3, 15), date(2026, 3, 22), date(2026, 3, 29)]


def test_markdown_escapes_only_what_markdown_needs() -> None:
    items = [tracked(1, due=date(2026, 3, 20), title="Follow-up: move backup to 09:00 (UTC) - see wiki"),
             tracked(2, due=date(2026, 3, 21), title="# not a heading"),
             tracked(3, due=date(2026, 3, 22), title="1. not a list, see http://evil.example")]
    text = render_markdown(build_report("ops", items, policy(), NOW))
    assert "Follow-up: move backup to 09:00 (UTC) - see wiki" in text
    assert "n/a (nothing due yet)" in text or "done by their due date" in text
    assert "\\-" not in text and "\\:" not in text and "\\(" not in text
    html = MarkdownIt("commonmark").render(text)
    assert "<h1>not a heading" not in html and "<ol" not in html
    assert "http://evil.example" not in text  # GFM renderers would link a bare URL


def test_html_of_several_teams_is_one_document() -> None:
    reports = [build_report(team, sample_items(), policy(), NOW) for team in ("ops", "web")]
    html = render_html(reports)
    assert html.count("<!DOCTYPE html>") == 1 and html.count("<body") == 1 and html.count("</html>") == 1
    assert "Follow-up report for ops" in html and "Follow-up report for web" in html


def test_text_report_fits_100_columns() -> None:
    items = [tracked(n, due=date(2026, 3, 1 + n), title=("word " * 20) + "x" * 150,
                     ticket_url="https://jira.example.atlassian.net/browse/" + "OPS-" + "9" * 80,
                     postmortem_title="P" * 200, postmortem_url="https://wiki.example/" + "p" * 150)
             for n in range(5)]
    text = render_text(build_report("ops", items, policy(escalate_to=["N" * 150]), NOW))
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "x" * 90 in text.replace("\n", "").replace(" ", "")


class _Recorder(OutlineWriter):
    """Records which hook each section calls, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def title(self, section: Title) -> None:
        self.calls.append("title")

    def period(self, section: Period) -> None:
        self.calls.append("period")

    def summary(self, section: SummaryTable) -> None:
        self.calls.append("summary")

    def escalation(self, section: Escalation) -> None:
        self.calls.append("escalation")

    def history(self, section: History) -> None:
        self.calls.append("history")

    def owner(self, section: Owner) -> None:
        self.calls.append(f"owner {section.name}")

    def all_clear(self, section: AllClear) -> None:
        self.calls.append("all clear")

    def dropped(self, section: Dropped) -> None:
        self.calls.append("dropped")

    def closing(self, section: Closing) -> None:
        self.calls.append("closing")


def test_outline_walks_the_sections_in_display_order() -> None:
    recorder = _Recorder()
    write(outline(_report()), recorder)
    owners = [call for call in recorder.calls if call.startswith("owner ")]
    assert recorder.calls == ["title", "period", "summary", "escalation", "history", *owners, "dropped",
                              "closing"]
    assert owners and owners[-1] == "owner (unassigned)"
    quiet = _Recorder()
    write(outline(build_report("web", [], policy(), NOW)), quiet)
    assert quiet.calls == ["title", "period", "summary", "history", "all clear", "closing"]


def _channel_texts() -> dict[str, str]:
    """Every channel's rendering of one digest with every section, as one searchable string each."""
    report = replace(trim(_report(), per_owner=1, max_owners=2), full_report_url="https://ft.example/teams/ops")
    email = render_email(report)
    return {"text": render_text(report), "markdown": render_markdown(report), "email": email.html,
            "slack": json.dumps(render_slack(report), ensure_ascii=False),
            "teams": json.dumps(render_teams(report), ensure_ascii=False)}


def test_every_channel_writes_every_kind_of_section() -> None:
    # A new kind of section is a new abstract hook: a channel that does not write it cannot be built.
    writers = OutlineWriter.__subclasses__()
    assert {writer.__name__ for writer in writers} >= {"_TextWriter", "_MarkdownWriter", "_HtmlWriter",
                                                       "_SlackWriter", "_TeamsWriter"}
    assert not any(inspect.isabstract(writer) for writer in writers)
    # One hook per kind of section.
    assert len(OutlineWriter.__abstractmethods__) == len(get_args(Section))
    for channel, text in _channel_texts().items():
        assert "Follow-up report for ops" in text, channel  # title
        assert "period starting 2026-03" in text, channel  # period
        assert "Completion rate" in text, channel  # summary
        assert "escalated" in text, channel  # escalation
        assert "Dana" in text, channel  # owners
        assert "more overdue or due soon" in text, channel  # "and K more"
        assert "Dropped this period" in text and "Action 8" in text, channel  # dropped
        assert "due later" in text, channel  # the digest's notes
        assert "https://ft.example/teams/ops" in text, channel  # link
