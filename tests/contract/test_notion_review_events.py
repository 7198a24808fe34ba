"""A Notion page in review gets its one preview from the page events, through the receiver and a real
worker: the event queues a re-read, the page is not approved, so its preview is refreshed; after
approval the tickets are made and the links written into the page; our own edit's event is ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import load_settings
from tests.contract.test_notion_contract import blocks
from tests.servers import RedisServer
from tests.standins.github import GitHubStandIn
from tests.standins.notion import NotionStandIn, block


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        yield server.url
    finally:
        server.stop()


def wait_for(check: Callable[[], bool], what: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_review_events_keep_one_preview_then_approval_writes_links(redis_url: str, tmp_path: Path) -> None:
    from celery.contrib.testing.worker import start_worker

    import worker.tasks.contract
    import worker.tasks.pipeline  # noqa: F401 - registers the tasks
    from worker.web.app import create_app

    on = {"preview": True, "write_back": True}
    with NotionStandIn() as notion, GitHubStandIn(repo="acme/ops", collaborators={"ana", "bob"}) as gh:
        database = notion.add_database()
        page = notion.add_page(database, "Database outage", blocks(), status="In review")
        settings = load_settings(
            redis_url=redis_url, celery_broker_url=None, database_url=f"sqlite:///{tmp_path / 'ft.db'}",
            github_token=SecretStr("test-token"), github_api_url=gh.url, jira_url=None,
            notion_token=SecretStr(notion.token), notion_api_url=notion.url,
            notion_webhook_secret=SecretStr(notion.verification_token),
            teams={"web": {"tracker": "github", "github": {"repo": "acme/ops"}, "contract": on}},
            default_team="web", people=[{"name": "Ana Lima", "github_login": "ana"},
                                        {"name": "Bob Stone", "github_login": "bob"}],
            sources={"notion": {"databases": [database], "bot_id": notion.bot_id,
                                "contract": {**on, "review_status": "In review"}}})
        app = make_celery(settings)

        def ours() -> list[str]:
            with notion.lock:
                return ["".join(p["plain_text"] for p in c["rich_text"]) for c in notion.comments
                        if c["created_by"]["id"] == notion.bot_id]

        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
                TestClient(create_app(settings, celery=app)) as client:
            body, headers = notion.event(page)
            assert client.post("/hooks/notion", content=body, headers=headers).status_code == 202
            wait_for(lambda: len(ours()) == 1, "the preview")
            changed = blocks()
            changed[6] = block("bulleted_list_item", "Rotate the WAL archive weekly (owner: Zed Unknown)")
            notion.edit(page, blocks=changed)  # a new version under review
            body, headers = notion.event(page, "page.content_updated")
            assert client.post("/hooks/notion", content=body, headers=headers).status_code == 202
            wait_for(lambda: notion.count("PATCH", r"/v1/comments/") == 1, "the preview edited")
            assert len(ours()) == 1 and not gh.issues
            notion.edit(page, status="Approved")
            body, headers = notion.event(page)
            assert client.post("/hooks/notion", content=body, headers=headers).status_code == 202
            wait_for(lambda: notion.count("PATCH", r"/v1/blocks/") == 3, "the links written")
            body, headers = notion.event(page, "page.content_updated", author_type="bot",
                                         author_id=notion.bot_id)
            assert client.post("/hooks/notion", content=body, headers=headers).json()["status"] == "ignored"
        assert len(gh.issues) == 3 and len(ours()) == 1
        assert sum(1 for line in notion.text_of(page) if "/issues/" in line) == 3
