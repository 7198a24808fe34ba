"""Two in-process syncs of one postmortem at once (`followthrough sync`/`resync` next to a worker).

Workers hold a Redis or file lock around their sync, but the CLI runs `pipeline.sync` in-process: the
store's per-postmortem lock must keep the two from both searching, finding nothing and both creating.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.teams import JiraDestination, Person, Team
from connectors.throttle import NoThrottle
from tests.servers import postgres_database
from tests.standins.jira import JiraStandIn
from tests.sync.support import document, settings_for
from worker.errors import Locked, UserError
from worker.sync import pipeline
from worker.sync.pipeline import SyncResult


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ft.db'}"
        return
    with postgres_database("ft_sync_race") as url:
        yield url
        pipeline.close_stores()


def test_overlapping_syncs_of_one_postmortem_create_each_ticket_once(db: str) -> None:
    # Every answer is slow, so the second sync searches before the first one's create lands.
    with JiraStandIn(latency=0.4) as jira:
        ana = jira.add_user("Ana Lima", email="ana@example.com")
        settings = settings_for(
            db,
            jira_url=jira.url,
            jira_email=jira.email,
            jira_api_token=SecretStr(jira.api_token),
            teams={"ops": Team(jira=JiraDestination(project="OPS"))},
            default_team="ops",
            people=(Person(name="Ana Lima", jira_account_id=ana),),
        )
        key = pipeline.ingest(settings, content=document(3), source="inline:race").postmortem_key
        results: list[SyncResult] = []
        refused: list[BaseException] = []

        def run() -> None:
            try:
                results.append(pipeline.sync(settings, key, throttle=NoThrottle()))
            except (Locked, UserError) as exc:
                refused.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with jira.lock:
            per_item = Counter(
                label
                for fields in jira.issues.values()
                for label in fields.get("labels", [])
                if label.startswith("ft-")
            )
    assert len(per_item) == 3 and set(per_item.values()) == {1}, per_item
    # The one turned away says so in one line and is retried (a worker) or re-run (the CLI).
    assert len(results) + len(refused) == 2
    assert all(isinstance(e, Locked) and isinstance(e, UserError) for e in refused), refused
    assert all("another sync" in str(e) for e in refused)
