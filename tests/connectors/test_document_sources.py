"""The Confluence and Google Docs readers against their stand-ins, through the real client libraries.

Confluence: atlassian-python-api's v2 client on Cloud, its Server client on Data Center; Drive:
google-api-python-client with a service account whose token comes from the stand-in's token endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from config.settings import Settings, load_settings
from connectors.errors import AuthError, RateLimited
from connectors.sources import ConfluencePage, GoogleDoc, parse_source, stable_id
from connectors.sources.confluence import ConfluenceReader, space_cql
from connectors.sources.gdocs import DriveReader
from connectors.sources.refusals import NotApproved, OutsideSource
from tests.standins.confluence import ConfluenceStandIn
from tests.standins.gdrive import DriveStandIn

BODY = "<h1>Postmortem</h1><h2>Action items</h2><ul><li>Add an alert</li></ul>"


def confluence_settings(standin: ConfluenceStandIn, **space: Any) -> Settings:
    return load_settings(
        confluence_email=standin.email, confluence_api_token=SecretStr(standin.api_token),
        confluence_pat=SecretStr(standin.pat),
        sources={"confluence": {"url": standin.base, "edition": standin.edition,
                                "spaces": [{"key": "OPS", **space}]}})


def reader_for(settings: Settings) -> ConfluenceReader:
    assert settings.sources.confluence is not None
    return ConfluenceReader(settings, settings.sources.confluence)


@pytest.fixture(params=["cloud", "datacenter"])
def confluence(request: pytest.FixtureRequest) -> Iterator[ConfluenceStandIn]:
    with ConfluenceStandIn(edition=request.param, spaces=("OPS", "HR")) as standin:
        yield standin


def test_source_ids_are_namespaced_and_versioned() -> None:
    assert parse_source("confluence:123@4") == ConfluencePage("123", 4)
    assert stable_id(ConfluencePage("123", 4)) == "confluence:123"
    assert parse_source("gdocs:1AbC_d-e") == GoogleDoc("1AbC_d-e")
    assert stable_id(GoogleDoc("1AbC_d-e")) == "gdocs:1AbC_d-e"


def test_confluence_reads_an_approved_page_in_one_call_with_its_version(
    confluence: ConfluenceStandIn,
) -> None:
    page = confluence.create("OPS", "DB outage", BODY, labels=("postmortem-approved",))
    confluence.edit(page, BODY + "<p>more</p>")
    reader = reader_for(confluence_settings(confluence))
    document = reader.fetch(ConfluencePage(page))
    assert document.content.decode().endswith("<p>more</p>")
    assert document.source == ConfluencePage(page, 2)
    assert document.title == "DB outage" and document.version is not None
    # Cloud reads the space ids once (v2 pages name their space by id); the page itself is one call.
    assert reader.calls == (2 if confluence.edition == "cloud" else 1)


def test_confluence_refuses_other_spaces_and_unapproved_pages(confluence: ConfluenceStandIn) -> None:
    elsewhere = confluence.create("HR", "Not ours", BODY, labels=("postmortem-approved",))
    draft = confluence.create("OPS", "Draft", BODY)
    reader = reader_for(confluence_settings(confluence))
    with pytest.raises(OutsideSource, match="not a configured space"):
        reader.fetch(ConfluencePage(elsewhere))
    with pytest.raises(NotApproved, match="postmortem-approved"):
        reader.fetch(ConfluencePage(draft))


def test_confluence_search_pages_through_results_by_space_and_label(confluence: ConfluenceStandIn) -> None:
    approved = [confluence.create("OPS", f"PM {n}", BODY, labels=("postmortem-approved",)) for n in range(5)]
    confluence.create("OPS", "Draft", BODY)
    confluence.create("HR", "HR", BODY, labels=("postmortem-approved",))
    settings = confluence_settings(confluence)
    assert settings.sources.confluence is not None
    space = settings.sources.confluence.spaces[0]
    found = reader_for(settings).approved(space, minutes=None)
    assert [page.page_id for page in found] == approved
    assert confluence.count("GET", "search") == 3  # five results, two a page


def test_confluence_cloud_pages_through_labels_when_the_page_reply_has_none() -> None:
    with ConfluenceStandIn(edition="cloud") as standin:
        page = standin.create("OPS", "PM", BODY, labels=("a", "b", "c", "postmortem-approved", "z"))
        standin.include_labels = False
        document = reader_for(confluence_settings(standin)).fetch(ConfluencePage(page))
        assert document.source == ConfluencePage(page, 1)
        assert standin.count("GET", "/labels") == 3  # five labels, two a page


def test_confluence_status_approval_on_cloud() -> None:
    with ConfluenceStandIn(edition="cloud") as standin:
        page = standin.create("OPS", "PM", BODY)
        settings = confluence_settings(standin, approval="status", status="Verified")
        reader = reader_for(settings)
        with pytest.raises(NotApproved, match="Verified"):
            reader.fetch(ConfluencePage(page))
        standin.pages[page].status = "Verified"
        assert reader.fetch(ConfluencePage(page)).source == ConfluencePage(page, 1)
        assert settings.sources.confluence is not None
        assert space_cql(settings.sources.confluence.spaces[0], minutes=5) == \
            'space = "OPS" AND type = page AND lastmodified > now("-5m")'


def test_confluence_rate_limit_and_bad_credentials_are_connector_errors(
    confluence: ConfluenceStandIn,
) -> None:
    page = confluence.create("OPS", "PM", BODY, labels=("postmortem-approved",))
    confluence.rate_limit(1, retry_after=7)
    with pytest.raises(RateLimited) as limited:
        reader_for(confluence_settings(confluence)).fetch(ConfluencePage(page))
    assert limited.value.retry_after == 7.0
    assert confluence.count("GET", "/content/|/pages/") == 1  # the library did not retry it by itself
    wrong = load_settings(confluence_email="x@example.com", confluence_api_token=SecretStr("nope"),
                          confluence_pat=SecretStr("nope"),
                          sources={"confluence": {"url": confluence.base, "edition": confluence.edition,
                                                  "spaces": [{"key": "OPS"}]}})
    with pytest.raises(AuthError):
        reader_for(wrong).fetch(ConfluencePage(page))


@pytest.fixture
def drive() -> Iterator[DriveStandIn]:
    with DriveStandIn() as standin:
        yield standin


def drive_settings(drive: DriveStandIn, tmp_path: Path, *folders: str) -> Settings:
    return load_settings(google_service_account_file=str(drive.service_account_file(tmp_path)),
                         google_api_url=drive.url, sources={"gdocs": {"approved_folders": list(folders)}})


def drive_reader(settings: Settings) -> DriveReader:
    assert settings.sources.gdocs is not None
    return DriveReader(settings, settings.sources.gdocs)


def test_drive_reads_an_approved_doc_as_html_with_its_modified_time(
    drive: DriveStandIn, tmp_path: Path
) -> None:
    approved = drive.folder("Approved postmortems")
    doc = drive.doc("Cache outage", "<html><body><p>hi</p></body></html>", approved)
    reader = drive_reader(drive_settings(drive, tmp_path, approved))
    document = reader.fetch(GoogleDoc(doc))
    assert document.content == b"<html><body><p>hi</p></body></html>"
    assert document.title == "Cache outage" and document.version is not None
    assert reader.calls == 2  # metadata (confinement, version), then the export
    assert drive.count("POST", "/token") == 1  # the service account's grant


def test_drive_refuses_docs_outside_the_approved_folders(drive: DriveStandIn, tmp_path: Path) -> None:
    approved, drafts = drive.folder("Approved"), drive.folder("Drafts")
    draft = drive.doc("Draft", "<p>x</p>", drafts)
    with pytest.raises(NotApproved, match="approved folder"):
        drive_reader(drive_settings(drive, tmp_path, approved)).fetch(GoogleDoc(draft))


def test_drive_changes_and_listing_page_through_and_keep_only_approved_docs(
    drive: DriveStandIn, tmp_path: Path
) -> None:
    approved, drafts = drive.folder("Approved"), drive.folder("Drafts")
    reader = drive_reader(drive_settings(drive, tmp_path, approved))
    token = reader.start_token()
    first = drive.doc("A", "<p>a</p>", approved)
    draft = drive.doc("B", "<p>b</p>", drafts)
    third = drive.doc("C", "<p>c</p>", approved)
    drive.move(draft, approved)  # moved into the approved folder: approved
    changed, next_token = reader.changes(token)
    assert {doc.file_id for doc in changed} == {first, draft, third}
    assert reader.changes(next_token) == ([], next_token)
    assert {doc.file_id for doc in reader.list_approved()} == {first, draft, third}


def test_drive_quota_answers_are_rate_limits(drive: DriveStandIn, tmp_path: Path) -> None:
    reader = drive_reader(drive_settings(drive, tmp_path, drive.folder("Approved")))
    assert reader.whoami() == drive.email  # the service account's token is fetched first
    drive.rate_limit(1, retry_after=9)
    with pytest.raises(RateLimited) as limited:
        reader.start_token()
    assert limited.value.retry_after == 9.0
    drive.quota_403 = 1  # 403 userRateLimitExceeded: a per-user quota, not a permission problem
    with pytest.raises(RateLimited):
        reader.start_token()
    assert reader.start_token()


def test_drive_with_a_bearer_token_and_a_wrong_one(drive: DriveStandIn) -> None:
    folder = drive.folder("Approved")
    good = load_settings(google_bearer_token=SecretStr("drive-token"), google_api_url=drive.url,
                         sources={"gdocs": {"approved_folders": [folder]}})
    assert drive_reader(good).whoami() == drive.email
    bad = load_settings(google_bearer_token=SecretStr("wrong"), google_api_url=drive.url,
                        sources={"gdocs": {"approved_folders": [folder]}})
    with pytest.raises(AuthError):
        drive_reader(bad).whoami()


def test_calls_per_postmortem_against_the_floor(tmp_path: Path) -> None:
    """Each ingest task builds its own reader; the per-process caches keep reads near the floor.

    Confluence's floor is one call (the page with its body); Cloud reads a page in one call once the
    space ids are known (one call per process), Data Center always in one. Drive's floor is one call (the
    export); we read two (metadata first: its folders confine the read and `modifiedTime` versions it),
    and the service account's token is granted once per process, not per document.
    """
    with ConfluenceStandIn(edition="cloud") as standin:
        pages = [standin.create("OPS", f"PM {n}", BODY, labels=("postmortem-approved",)) for n in range(3)]
        settings = confluence_settings(standin)
        for page in pages:
            reader_for(settings).fetch(ConfluencePage(page))  # a new reader each time, as each task makes
        assert standin.count("GET", r"/pages/\d+$") == 3
        assert standin.count("GET", "/spaces") == 1
    with DriveStandIn() as drive:
        folder = drive.folder("Approved")
        docs = [drive.doc(f"PM {n}", "<p>x</p>", folder) for n in range(3)]
        settings = drive_settings(drive, tmp_path, folder)
        for doc in docs:
            drive_reader(settings).fetch(GoogleDoc(doc))
        assert drive.count("GET", "/drive/v3/files/") == 6  # metadata and export per document
        assert drive.count("POST", "/token") == 1
