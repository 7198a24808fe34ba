"""The postmortem as the contract on Confluence Cloud: one footer comment per review, links written into
the item's own element of the storage format after approval.

atlassian-python-api against the Confluence stand-in (v2 page update with the version read plus one, 409
otherwise; footer comments listed, created and edited), tickets in the GitHub stand-in, a real store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import Settings
from config.teams import GitHubDestination, Team
from connectors.contract_confluence import MARKER
from connectors.sources import ConfluencePage, stable_id
from connectors.sources.confluence import ConfluenceReader
from connectors.throttle import NoThrottle
from tests.contract.support import GITHUB_PEOPLE
from tests.standins.confluence import ConfluenceStandIn
from tests.standins.github import GitHubStandIn
from tests.sync.support import settings_for
from worker.contract.flows import write_back_postmortem
from worker.contract.source_flows import preview_confluence
from worker.sync import pipeline
from worker.sync.pipeline import SyncResult

APPROVED = "postmortem-approved"
REVIEW = "postmortem-review"
#: Storage format with what a regenerating round trip would lose: a macro, entities, odd attribute
#: quoting, an emoticon, a status lozenge in a cell, a colour span.
PAGE = (
    '<p><strong>Postmortem owner:</strong> Ana Lima</p>'
    '<ac:structured-macro ac:name="info" ac:schema-version="1"><ac:rich-text-body><p>Customer impact: '
    '40&nbsp;minutes &mdash; see <a href=\'https://status.example.com\'>status</a></p></ac:rich-text-body>'
    '</ac:structured-macro>\n'
    '<h2>Action items</h2>\n'
    '<ul><li><p>Add a disk usage alert on the primary (owner: Ana Lima, due 2025-04-01, P1)</p></li>'
    '<li>Rotate the WAL archive <span style="color: rgb(255,0,0);">weekly</span> (owner: Bob Stone, '
    'due 2025-04-15)<ul><li>check the archive size first</li></ul></li></ul>\n'
    '<table data-layout="default"><tbody><tr><th><p>Action</p></th><th><p>Owner</p></th><th><p>Due</p></th>'
    '<th><p>Ticket</p></th></tr>'
    '<tr><td><p>Document the failover runbook</p></td><td><p>Ana Lima</p></td><td><p>2025-05-01</p></td>'
    '<td><p /></td></tr></tbody></table>\n'
    '<h2>Lessons learned</h2><p>Disks fill up <ac:emoticon ac:name="sad" /></p>'
)


@pytest.fixture
def gh() -> Iterator[GitHubStandIn]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ana", "bob"}) as standin:
        yield standin


@pytest.fixture
def conf() -> Iterator[ConfluenceStandIn]:
    with ConfluenceStandIn(edition="cloud", spaces=("PM",)) as standin:
        yield standin


def make_settings(gh: GitHubStandIn, conf: ConfluenceStandIn, tmp_path: Path, *, on: bool = True) -> Settings:
    return settings_for(
        f"sqlite:///{tmp_path / 'ft.db'}", github_token=SecretStr("test-token"), github_api_url=gh.url,
        confluence_email=conf.email, confluence_api_token=SecretStr(conf.api_token),
        teams={"web": Team(tracker="github", github=GitHubDestination(repo="acme/ops"),
                           contract={"preview": on, "write_back": on})},  # type: ignore[arg-type]
        default_team="web", people=GITHUB_PEOPLE,
        sources={"confluence": {"url": conf.base, "spaces": [{"key": "PM"}],
                                "contract": {"preview": on, "write_back": on}}},
    )


@pytest.fixture
def settings(gh: GitHubStandIn, conf: ConfluenceStandIn, tmp_path: Path) -> Settings:
    return make_settings(gh, conf, tmp_path)


def ingest(settings: Settings, page: str) -> SyncResult:
    """Read the page as the ingest task does, store it and sync it."""
    assert settings.sources.confluence is not None
    document = ConfluenceReader(settings, settings.sources.confluence).fetch(ConfluencePage(page))
    ingested = pipeline.ingest(settings, content=document.content, source=str(document.source),
                               postmortem_id=stable_id(ConfluencePage(page)), filename=document.filename,
                               version=document.version)
    return pipeline.sync(settings, ingested.postmortem_key, throttle=NoThrottle())


def tickets(gh: GitHubStandIn) -> int:
    with gh.lock:
        return sum(1 for issue in gh.issues.values() if not issue.is_pull_request)


def body(conf: ConfluenceStandIn, page: str) -> str:
    with conf.lock:
        return str(conf.pages[page].body)


def test_one_preview_comment_edited_in_place_and_no_ticket(gh: GitHubStandIn, conf: ConfluenceStandIn,
                                                           settings: Settings) -> None:
    page = conf.create("PM", "Database outage", PAGE, labels=(REVIEW,))
    conf.add_footer_comment(page, "<p>Who owns the runbook?</p>", "ana")
    action, previews, sent = preview_confluence(settings, page)
    assert action == "created" and len(previews) == 1 and sent.startswith(MARKER)
    conf.edit(page, PAGE.replace("(owner: Bob Stone, due 2025-04-15)", "(owner: Zed Unknown)"))
    assert preview_confluence(settings, page)[0] == "edited"
    assert preview_confluence(settings, page)[0] == "same"
    ours = [c for c in conf.footer_comments if c["author"] == "bot"]
    assert len(conf.footer_comments) == 2 and len(ours) == 1 and ours[0]["version"] == 2
    assert "needs an owner" in ours[0]["body"] and "&lt;" not in PAGE  # escaped text, inert
    assert tickets(gh) == 0 and conf.count("PUT", r"/pages/") == 0
    conf.pages[page].labels.discard(REVIEW)
    assert preview_confluence(settings, page)[0].startswith("off:")


def test_approval_writes_every_link_once_and_keeps_formatting(gh: GitHubStandIn, conf: ConfluenceStandIn,
                                                              settings: Settings) -> None:
    page = conf.create("PM", "Database outage", PAGE, labels=(APPROVED,))
    result = ingest(settings, page)
    keys = {row.ticket for row in result.items if row.ticket}
    assert len(keys) == 4 and tickets(gh) == 4
    conf.calls.clear()
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and set(outcome.written) == keys
    assert len(conf.calls) == 2  # the page read (storage, version, labels) and the versioned PUT
    written = body(conf, page)
    links = re.findall(r'<a href="[^"]+/issues/(\d+)">', written)
    assert sorted(links) == sorted(k.rsplit("#", 1)[1] for k in keys)
    stripped = re.sub(r' \(<a href="[^"]+">[^<]+</a>\)|<p><a href="[^"]+">[^<]+</a></p>', "", written)
    assert stripped == PAGE  # every other byte as it was
    # A nested entry is its own item: the parent's link goes before its nested list.
    assert "2025-04-15) (<a href" in written
    assert re.search(r"archive size first \(<a [^<]+</a>\)</li>", written)
    rerun = write_back_postmortem(settings, result.postmortem_key)  # a second run writes nothing
    assert rerun is not None and rerun.status == "unchanged" and conf.count("PUT", r"/pages/") == 1


def test_own_edit_triggers_no_new_ticket(gh: GitHubStandIn, conf: ConfluenceStandIn,
                                         settings: Settings) -> None:
    page = conf.create("PM", "Database outage", PAGE, labels=(APPROVED,))
    first = ingest(settings, page)
    write_back_postmortem(settings, first.postmortem_key)
    gh.reset_calls()
    again = ingest(settings, page)  # the poll finds the page at its new version and reads it again
    assert again.postmortem_key == first.postmortem_key
    assert {r.fingerprint: r.ticket for r in again.items} == {r.fingerprint: r.ticket for r in first.items}
    assert gh.count("POST", r"/issues$") == 0 and tickets(gh) == 4


def test_concurrent_human_edit_is_kept(gh: GitHubStandIn, conf: ConfluenceStandIn,
                                       settings: Settings) -> None:
    page = conf.create("PM", "Database outage", PAGE, labels=(APPROVED,))
    result = ingest(settings, page)
    human = PAGE.replace("Disks fill up", "Disks fill up, and alerts must page")
    conf.before_page_put = lambda: conf.edit(page, human)
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "written" and outcome.attempts == 2
    final = body(conf, page)
    assert "Disks fill up, and alerts must page" in final and final.count('<a href="') == 4
    assert conf.count("PUT", r"/pages/") == 2  # the 409 and the write on the person's version


def test_conflict_every_time_leaves_a_comment(gh: GitHubStandIn, conf: ConfluenceStandIn,
                                              settings: Settings) -> None:
    page = conf.create("PM", "Database outage", PAGE, labels=(APPROVED,))
    result = ingest(settings, page)
    edits = iter(range(100))

    def person() -> None:
        conf.edit(page, PAGE + f"<p>Edit {next(edits)}</p>")
        conf.before_page_put = person

    conf.before_page_put = person
    outcome = write_back_postmortem(settings, result.postmortem_key)
    assert outcome is not None and outcome.status == "commented" and outcome.attempts == 3
    assert body(conf, page).endswith("<p>Edit 2</p>") and "/issues/" not in body(conf, page)
    (comment,) = conf.footer_comments
    assert comment["body"].count("/issues/") == 4 and comment["body"].startswith("<p>")


def test_off_by_default(gh: GitHubStandIn, conf: ConfluenceStandIn, tmp_path: Path) -> None:
    settings = make_settings(gh, conf, tmp_path, on=False)
    page = conf.create("PM", "Database outage", PAGE, labels=(APPROVED, REVIEW))
    assert preview_confluence(settings, page)[0].startswith("off:")
    result = ingest(settings, page)
    assert write_back_postmortem(settings, result.postmortem_key) is None
    assert conf.footer_comments == [] and conf.count("PUT", r"/pages/") == 0
