"""Confluence and Google Docs sources end to end: stand-ins, the receiver, a real Celery worker, Redis,
PostgreSQL and the Jira stand-in as the tracker.

Per source: approval gives one ticket per item; an edit gives a resync; an unconfigured space or folder
is refused; a missed event is found by the sweep; forged or replayed events are refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings, load_settings
from connectors.sources import ConfluencePage, GoogleDoc, stable_id
from connectors.sources.gdrive_channels import channel_token
from connectors.sources.refusals import NotApproved
from tests.servers import postgres_database
from tests.service.harness import PEOPLE, wait_for
from tests.standins.confluence import ConfluenceStandIn
from tests.standins.gdrive import DriveStandIn
from worker.tasks.names import RECONCILE_TASK

JiraStandIn = pytest.importorskip("tests.standins.jira").JiraStandIn
postmortem_key = pytest.importorskip("worker.sync.pipeline").postmortem_key

HOOK_SECRET = "confluence-hook-secret"
CHANNEL_SECRET = SecretStr("drive-channel-secret")
APPROVED = "postmortem-approved"


def rows(title: str, items: int) -> list[tuple[str, str, str]]:
    return [(f"Follow-up action number {n} for {title}", "ann@example.com" if n % 2 else "bob@example.com",
             f"2030-01-{n:02d}") for n in range(1, items + 1)]


def storage_page(title: str, items: int) -> str:
    """A postmortem in Confluence storage format with an action-item table."""
    cells = "".join(f"<tr><td>{a}</td><td>{o}</td><td>{d}</td></tr>" for a, o, d in rows(title, items))
    return (f"<h1>Postmortem: {title}</h1><p>Owner: Ann Example</p><h2>Action items</h2>"
            f"<table><tbody><tr><th>Action</th><th>Owner</th><th>Due</th></tr>{cells}</tbody></table>")


def docs_html(title: str, items: int) -> str:
    """A postmortem as Google Docs exports it to HTML."""
    def cell(text: str) -> str:
        return f'<td class="c6"><p class="c2"><span class="c0">{text}</span></p></td>'

    body = "".join(f'<tr class="c8">{cell(a)}{cell(o)}{cell(d)}</tr>' for a, o, d in rows(title, items))
    head = f'<tr class="c8">{cell("Action")}{cell("Owner")}{cell("Due")}</tr>'
    return ('<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type"></head>'
            f'<body class="doc-content"><p class="c5 title"><span>Postmortem: {title}</span></p>'
            f'<h2><span>Action items</span></h2><table class="c11">{head}{body}</table></body></html>')


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database("ft_docsources") as url:
        yield url


@pytest.fixture
def jira() -> Iterator[Any]:
    with JiraStandIn(projects=("OPS",)) as standin:
        yield standin


@pytest.fixture
def worker_app(redis_url: str, redis_client: Redis) -> str:
    import worker.tasks.pipeline  # noqa: F401  (registers the shared tasks)

    return redis_url


def base_settings(jira: Any, redis_url: str, database_url: str, **extra: Any) -> Settings:
    people = [dict(p, jira_account_id=jira.add_user(p["name"], email=p["email"])) for p in PEOPLE]
    return load_settings(
        redis_url=redis_url, celery_broker_url=None, database_url=database_url, github_token=None,
        jira_url=jira.url, jira_email=jira.email, jira_api_token=SecretStr(jira.api_token),
        teams={"ops": {"tracker": "jira", "jira": {"project": "OPS"}}}, default_team="ops", people=people,
        **extra)


def tickets(jira: Any, source_id: str) -> int:
    return len(jira.issues_with_label(f"ftpm-{postmortem_key(source_id)}"))


def test_confluence_data_center_webhook_edit_refusals_and_sweep(
    jira: Any, worker_app: str, database_url: str
) -> None:
    from celery.contrib.testing.worker import start_worker

    from worker.web.app import create_app

    with ConfluenceStandIn(edition="datacenter", spaces=("PM", "HR")) as conf:
        settings = base_settings(
            jira, worker_app, database_url, confluence_pat=SecretStr(conf.pat),
            confluence_webhook_secret=SecretStr(HOOK_SECRET),
            sources={"confluence": {"url": conf.base, "edition": "datacenter", "spaces": [{"key": "PM"}]}})
        page = conf.create("PM", "Queue backlog", storage_page("Queue", 2), labels=(APPROVED,))
        app = make_celery(settings)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
                TestClient(create_app(settings, celery=app)) as client:
            body, headers = conf.event(HOOK_SECRET, page)
            assert client.post("/hooks/confluence", content=body, headers=headers).status_code == 202
            wait_for(lambda: tickets(jira, f"confluence:{page}") == 2, timeout=40, what="2 tickets")
            # The same delivery again: a duplicate, nothing queued.
            again = client.post("/hooks/confluence", content=body, headers=headers)
            assert again.status_code == 200 and again.json()["status"] == "duplicate"
            # Forged: signed with another secret.
            forged, forged_headers = conf.event("not-the-secret", page)
            assert client.post("/hooks/confluence", content=forged, headers=forged_headers).status_code == 401
            # A captured genuine event replayed hours later.
            old, old_headers = conf.event(HOOK_SECRET, page, timestamp_ms=int((time.time() - 7200) * 1000))
            assert client.post("/hooks/confluence", content=old, headers=old_headers).status_code == 401
            # An unconfigured space is refused at the door.
            other = conf.create("HR", "Not ours", storage_page("HR", 1), labels=(APPROVED,))
            body, headers = conf.event(HOOK_SECRET, other)
            refused = client.post("/hooks/confluence", content=body, headers=headers)
            assert refused.status_code == 422 and "not a configured" in refused.json()["reason"]
            # An edit: the page is read again and the new item gets its ticket.
            conf.edit(page, storage_page("Queue", 3))
            body, headers = conf.event(HOOK_SECRET, page)
            assert client.post("/hooks/confluence", content=body, headers=headers).status_code == 202
            wait_for(lambda: tickets(jira, f"confluence:{page}") == 3, timeout=40, what="the resync")
            # A page approved while the receiver was down (no event): the sweep finds it.
            missed = conf.create("PM", "Cache", storage_page("Cache", 1), labels=(APPROVED,))
            app.send_task(RECONCILE_TASK)
            wait_for(lambda: tickets(jira, f"confluence:{missed}") == 1, timeout=40, what="the swept page")
        assert tickets(jira, f"confluence:{other}") == 0
        assert tickets(jira, f"confluence:{page}") == 3


def test_confluence_cloud_is_polled_through_a_lagging_search(
    jira: Any, worker_app: str, database_url: str
) -> None:
    from celery.contrib.testing.worker import start_worker

    with ConfluenceStandIn(edition="cloud", spaces=("PM", "HR"), search_lag=1.5) as conf:
        settings = base_settings(
            jira, worker_app, database_url, confluence_email=conf.email,
            confluence_api_token=SecretStr(conf.api_token),
            sources={"confluence": {"url": conf.base, "spaces": [{"key": "PM"}]}})
        page = conf.create("PM", "DNS", storage_page("DNS", 2), labels=(APPROVED,))
        draft = conf.create("PM", "Draft", storage_page("Draft", 1))
        other = conf.create("HR", "HR", storage_page("HR", 1), labels=(APPROVED,))
        app = make_celery(settings)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            assert app.send_task(RECONCILE_TASK).get(timeout=60)["queued"] == 0  # not indexed yet
            time.sleep(1.6)
            # The next poll's window reaches back past the last one (the overlap): the page is found.
            assert app.send_task(RECONCILE_TASK).get(timeout=60)["queued"] == 1
            wait_for(lambda: tickets(jira, f"confluence:{page}") == 2, timeout=40, what="2 tickets")
            assert app.send_task(RECONCILE_TASK).get(timeout=60)["queued"] == 0  # held at this version
            conf.edit(page, storage_page("DNS", 3))
            time.sleep(1.6)
            assert app.send_task(RECONCILE_TASK).get(timeout=60)["queued"] == 1
            wait_for(lambda: tickets(jira, f"confluence:{page}") == 3, timeout=40, what="the resync")
        assert tickets(jira, f"confluence:{draft}") == 0 and tickets(jira, f"confluence:{other}") == 0


@pytest.fixture
def drive() -> Iterator[DriveStandIn]:
    with DriveStandIn() as standin:
        yield standin


def drive_settings(drive: DriveStandIn, jira: Any, redis_url: str, database_url: str, tmp_path: Path,
                   folder: str) -> Settings:
    return base_settings(
        jira, redis_url, database_url, google_service_account_file=str(drive.service_account_file(tmp_path)),
        google_api_url=drive.url, gdrive_channel_secret=CHANNEL_SECRET,
        sources={"gdocs": {"approved_folders": [folder], "push_address": "https://ft.example.com/hooks/gdrive"}})


def test_google_docs_push_edit_refusals_and_sweep(
    drive: DriveStandIn, jira: Any, worker_app: str, database_url: str, tmp_path: Path
) -> None:
    from celery.contrib.testing.worker import start_worker

    from worker.service.fetch import fetch_document
    from worker.web.app import create_app

    approved, drafts = drive.folder("Approved postmortems"), drive.folder("Drafts")
    settings = drive_settings(drive, jira, worker_app, database_url, tmp_path, approved)
    app = make_celery(settings)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
            TestClient(create_app(settings, celery=app)) as client:
        # The first sweep takes the change feed's token and opens a push channel.
        app.send_task(RECONCILE_TASK).get(timeout=60)
        [channel] = drive.channels
        sync = drive.notification(channel, state="sync")
        assert client.post("/hooks/gdrive", headers=sync).status_code == 200
        doc = drive.doc("Cache outage", docs_html("Cache", 2), drafts)
        drive.move(doc, approved)  # approval: the document moves into the approved folder
        push = drive.notification(channel)
        assert client.post("/hooks/gdrive", headers=push).status_code == 202
        wait_for(lambda: tickets(jira, f"gdocs:{doc}") == 2, timeout=40, what="2 tickets")
        # The same notification again is a duplicate; a forged token and an expired channel are refused.
        assert client.post("/hooks/gdrive", headers=push).json()["status"] == "duplicate"
        forged = dict(push, **{"X-Goog-Channel-Token": push["X-Goog-Channel-Token"][:-4] + "0000"})
        assert client.post("/hooks/gdrive", headers=forged).status_code == 401
        expired = dict(push, **{"X-Goog-Channel-Token": channel_token(CHANNEL_SECRET, channel, 1_000_000)})
        assert client.post("/hooks/gdrive", headers=expired).status_code == 401
        # An edit is a change: the document is read again.
        drive.edit(doc, docs_html("Cache", 3))
        assert client.post("/hooks/gdrive", headers=drive.notification(channel)).status_code == 202
        wait_for(lambda: tickets(jira, f"gdocs:{doc}") == 3, timeout=40, what="the resync")
        # A document in another folder is never read as a postmortem.
        draft = drive.doc("Draft", docs_html("Draft", 1), drafts)
        assert client.post("/hooks/gdrive", headers=drive.notification(channel)).status_code == 202
        with pytest.raises(NotApproved):
            fetch_document(settings, GoogleDoc(draft))
        # A document approved while the notification was lost: the sweep finds it.
        missed = drive.doc("Disk full", docs_html("Disk", 1), approved)
        app.send_task(RECONCILE_TASK)
        wait_for(lambda: tickets(jira, f"gdocs:{missed}") == 1, timeout=40, what="the swept document")
    assert tickets(jira, f"gdocs:{draft}") == 0
    assert tickets(jira, f"gdocs:{doc}") == 3


def test_drive_push_channels_are_renewed_by_overlapping(
    drive: DriveStandIn, jira: Any, worker_app: str, database_url: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from worker.service import poll_gdocs
    from worker.store.cursors import Cursors
    from worker.sync import pipeline

    settings = drive_settings(drive, jira, worker_app, database_url, tmp_path, drive.folder("Approved"))
    now = datetime.now(UTC)
    Cursors(pipeline.open_store(settings)).put("gdocs", {})
    poll_gdocs.poll(settings, now=now)
    poll_gdocs.poll(settings, now=now + timedelta(hours=1))
    assert len(drive.channels) == 1  # still far from its end
    # Within the renewal margin of the end: a second channel opens; the first stays until it ends.
    poll_gdocs.poll(settings, now=now + timedelta(hours=24) - poll_gdocs.renewal_margin(settings) / 2)
    assert len(drive.channels) == 2
    stored = Cursors(pipeline.open_store(settings)).get("gdocs")["channels"]
    assert [c["id"] for c in stored] == list(drive.channels)
    assert json.dumps(stored)  # JSON, as kept in the store


def test_each_source_is_swept_in_its_own_try(drive: DriveStandIn, tmp_path: Path) -> None:
    from connectors.errors import RateLimited
    from worker.service.sweep import find_unseen, poll_source

    approved = drive.folder("Approved")
    doc = drive.doc("Approved doc", docs_html("Doc", 1), approved)
    with ConfluenceStandIn(edition="datacenter") as conf:
        conf.create("OPS", "PM", storage_page("PM", 1), labels=(APPROVED,))
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path / 'ft.db'}", redis_url=None, celery_broker_url=None,
            confluence_pat=SecretStr(conf.pat), google_bearer_token=SecretStr("drive-token"),
            google_api_url=drive.url,
            sources={"confluence": {"url": conf.base, "edition": "datacenter", "spaces": [{"key": "OPS"}]},
                     "gdocs": {"approved_folders": [approved]}})
        conf.rate_limit(100, retry_after=30)  # Confluence is throttling us: Drive is swept all the same
        assert [request.source for request in find_unseen(settings)] == [f"gdocs:{doc}"]
        # Both failing: logged, and the next sweep tries again (the cursors did not move).
        drive.rate_limit(100, retry_after=30)
        assert find_unseen(settings) == []
        conf.rate_limit(0)
        assert len(find_unseen(settings)) == 1  # the Confluence page, whose poll never completed
        # A push-woken poll of one source lets its error reach the task, which retries after Retry-After.
        with pytest.raises(RateLimited):
            poll_source(settings, "gdocs")


def test_a_refused_drive_token_starts_the_feed_over_with_a_full_listing(
    drive: DriveStandIn, tmp_path: Path
) -> None:
    from worker.service import poll_gdocs
    from worker.store.cursors import Cursors
    from worker.sync import pipeline

    approved = drive.folder("Approved")
    doc = drive.doc("Approved doc", docs_html("Doc", 1), approved)
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'ft.db'}", redis_url=None,
                             celery_broker_url=None, google_bearer_token=SecretStr("drive-token"),
                             google_api_url=drive.url, sources={"gdocs": {"approved_folders": [approved]}})
    recent = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    Cursors(pipeline.open_store(settings)).put("gdocs", {"token": "not-a-token", "full_at": recent})
    assert [request.source for request in poll_gdocs.poll(settings)] == [f"gdocs:{doc}"]
    assert Cursors(pipeline.open_store(settings)).get("gdocs")["token"] == str(len(drive.changes) + 1)


def test_resync_rereads_the_current_confluence_page_and_records_its_version(tmp_path: Path) -> None:
    from worker.service.fetch import fetch_document
    from worker.service.resync import reingest
    from worker.sync import pipeline

    with ConfluenceStandIn(edition="datacenter", spaces=("PM",)) as conf:
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path / 'ft.db'}", redis_url=None, celery_broker_url=None,
            confluence_pat=SecretStr(conf.pat),
            sources={"confluence": {"url": conf.base, "edition": "datacenter", "spaces": [{"key": "PM"}]}})
        page = conf.create("PM", "Resync", storage_page("Resync", 1), labels=(APPROVED,))
        document = fetch_document(settings, ConfluencePage(page))
        result = pipeline.ingest(settings, content=document.content, source=str(document.source),
                                 postmortem_id=stable_id(document.source), filename=document.filename,
                                 version=document.version)
        conf.edit(page, storage_page("Resync", 2))
        assert reingest(settings, result.postmortem_key).item_count == 2
        [record] = pipeline.list_postmortems(settings)
        assert record.source == f"confluence:{page}@2"


def test_an_event_for_a_page_without_the_approval_makes_no_tickets(
    jira: Any, worker_app: str, database_url: str
) -> None:
    from celery.contrib.testing.worker import start_worker
    from sqlalchemy import select

    from worker.store import Store
    from worker.store.models import OutboxRow
    from worker.web.app import create_app

    with ConfluenceStandIn(edition="datacenter", spaces=("PM",)) as conf:
        settings = base_settings(
            jira, worker_app, database_url, confluence_pat=SecretStr(conf.pat),
            confluence_webhook_secret=SecretStr(HOOK_SECRET),
            sources={"confluence": {"url": conf.base, "edition": "datacenter", "spaces": [{"key": "PM"}]}})
        draft = conf.create("PM", "Draft", storage_page("Draft", 2))  # in the space, not yet labelled
        app = make_celery(settings)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
                TestClient(create_app(settings, celery=app)) as client:
            body, headers = conf.event(HOOK_SECRET, draft)
            assert client.post("/hooks/confluence", content=body, headers=headers).status_code == 202

            def failed() -> list[str]:
                with Store(database_url) as store, store.session() as s:
                    rows = s.scalars(select(OutboxRow.last_error).where(
                        OutboxRow.kind == "confluence", OutboxRow.state == "failed")).all()
                    return [str(row) for row in rows]

            wait_for(lambda: any(f"confluence:{draft}" in error for error in failed()), timeout=40,
                     what="the refused ingest")
        assert any("no label 'postmortem-approved'" in error for error in failed())
        assert tickets(jira, f"confluence:{draft}") == 0
