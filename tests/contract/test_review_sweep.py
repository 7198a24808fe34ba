"""The review sweep through a real Celery worker: Confluence pages with the review label and Google Docs in
a review folder get exactly one preview comment, kept (not repeated) on the next sweep; nothing else is
previewed, and no ticket is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.celery_app import beat_schedule, make_celery
from config.settings import Settings, load_settings
from tests.servers import RedisServer
from tests.standins.confluence import ConfluenceStandIn
from tests.standins.gdrive import DriveStandIn
from tests.standins.github import GitHubStandIn
from worker.sync import pipeline
from worker.tasks.names import PREVIEW_SWEEP_TASK

PAGE = "<h2>Action items</h2><ul><li>Add a disk usage alert on the primary (owner: Ana Lima)</li></ul>"
ON = {"preview": True, "write_back": True}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_review_sweep_keeps_one_preview_per_document(redis_url: str, tmp_path: Path) -> None:
    from celery.contrib.testing.worker import start_worker

    import worker.tasks.contract  # noqa: F401 - registers the sweep task on the app

    with ConfluenceStandIn(edition="cloud", spaces=("PM",)) as conf, DriveStandIn() as drive, \
            GitHubStandIn(repo="acme/ops", collaborators={"ana"}) as gh:
        approved, review = drive.folder("Approved"), drive.folder("Review")
        reviewed = conf.create("PM", "Disk", PAGE, labels=("postmortem-review",))
        conf.create("PM", "Draft", PAGE)  # no review label: no preview
        items = [("HEADING_2", "Action items"),
                 ("BULLET", "Add a disk usage alert on the primary (owner: Ana Lima)")]
        doc = drive.structured("Disk", items, review)
        settings: Settings = load_settings(
            redis_url=redis_url, celery_broker_url=None, database_url=f"sqlite:///{tmp_path / 'ft.db'}",
            github_token=SecretStr("test-token"), github_api_url=gh.url, jira_url=None,
            confluence_email=conf.email, confluence_api_token=SecretStr(conf.api_token),
            google_bearer_token=SecretStr("drive-token"), google_api_url=drive.url,
            teams={"web": {"tracker": "github", "github": {"repo": "acme/ops"}, "contract": ON}},
            default_team="web", people=[{"name": "Ana Lima", "github_login": "ana"}],
            sources={"confluence": {"url": conf.base, "spaces": [{"key": "PM"}], "contract": ON},
                     "gdocs": {"approved_folders": [approved],
                               "contract": {**ON, "review_folders": [review]}}})
        assert "preview-reviews" in beat_schedule(settings)
        pipeline.open_store(settings)  # a running service's store exists (and holds no postmortem yet)
        app = make_celery(settings)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            first = app.send_task(PREVIEW_SWEEP_TASK).get(timeout=60)
            again = app.send_task(PREVIEW_SWEEP_TASK).get(timeout=60)
        assert first == {"created": 2} and again == {"same": 2}
        assert [c["pageId"] for c in conf.footer_comments] == [reviewed]
        assert len(drive.drive_comments[doc]) == 1
        with gh.lock:
            assert not gh.issues
