"""Status webhooks: signed Jira and GitHub deliveries update the store at once; replays cannot roll back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

pytest.importorskip("worker.store")

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.testclient import TestClient

from config.settings import Settings
from connectors.jira import JiraTracker
from connectors.tracker import TicketStatus
from tests.followup.storeflow import seed
from tests.followup.test_webhook_events import github_event, jira_event
from worker.store import Store
from worker.store.tracked import FollowupStore
from worker.web.hooks import status_routes
from worker.web.signatures import verify as _verified

SECRET = SecretStr("hook-secret")


def signed(body: bytes) -> str:
    import hashlib
    import hmac

    return "sha256=" + hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, FollowupStore]]:
    url = f"sqlite:///{tmp_path / 'ft.db'}"
    settings = Settings(database_url=url, webhook_secret=SECRET, _env_file=None)  # type: ignore[call-arg]
    store = FollowupStore(Store(url))

    @contextmanager
    def opener() -> Iterator[FollowupStore]:
        yield store

    app = Starlette(routes=status_routes(settings, opener))
    with TestClient(app) as test_client:
        yield test_client, store


def post(client: TestClient, path: str, payload: object, *, headers: dict[str, str] | None = None,
         signature: str | None = None) -> tuple[int, dict[str, object]]:
    body = json.dumps(payload).encode()
    sig_header = "X-Hub-Signature" if path.endswith("jira") else "X-Hub-Signature-256"
    all_headers = {sig_header: signature or signed(body), **(headers or {})}
    response = client.post(path, content=body, headers=all_headers)
    return response.status_code, response.json()


def test_jira_close_reaches_the_store(client: tuple[TestClient, FollowupStore],
                                      jira_tracker: JiraTracker) -> None:
    test_client, store = client
    [ticket] = seed(store.store, jira_tracker, key="pm1", team="sre",
                    approved_at=datetime(2026, 3, 1, tzinfo=UTC), items=[("Add alert", None, "prevent")])
    event = jira_event()
    event["issue"]["key"] = ticket.key  # type: ignore[index]
    status, body = post(test_client, "/hooks/status/jira", event)
    assert (status, body) == (200, {"status": "updated", "ticket": ticket.key})
    [item] = store.tracked_items("sre")
    assert item.status is TicketStatus.DONE and item.due == date(2026, 4, 1)
    assert item.resolved_at == datetime(2026, 3, 28, 10, tzinfo=UTC)
    # the same delivery again changes nothing; an older one (reopened before) cannot roll it back
    assert post(test_client, "/hooks/status/jira", event)[1]["status"] == "unchanged"
    older = jira_event(category="new", resolution=None, updated="2026-03-27T10:00:00.000+0000")
    older["issue"]["key"] = ticket.key  # type: ignore[index]
    assert post(test_client, "/hooks/status/jira", older)[1]["status"] == "unchanged"
    assert store.tracked_items("sre")[0].status is TicketStatus.DONE


def test_github_event_for_unknown_ticket_is_harmless(client: tuple[TestClient, FollowupStore]) -> None:
    test_client, _ = client
    status, body = post(test_client, "/hooks/status/github", github_event(),
                        headers={"X-GitHub-Event": "issues"})
    assert (status, body) == (200, {"status": "unchanged", "ticket": "acme/ops#12"})
    assert post(test_client, "/hooks/status/github", github_event(),
                headers={"X-GitHub-Event": "push"})[1] == {"status": "ignored"}


def test_bad_signature_and_bad_json(client: tuple[TestClient, FollowupStore]) -> None:
    test_client, _ = client
    status, body = post(test_client, "/hooks/status/jira", jira_event(), signature="sha256=00")
    assert (status, body["reason"]) == (401, "missing or bad X-Hub-Signature")
    response = test_client.post("/hooks/status/jira", content=b"{nope",
                                headers={"X-Hub-Signature": signed(b"{nope")})
    assert response.status_code == 400
    assert not _verified(SECRET, b"x", None)


def test_empty_secret_is_refused_not_used_as_an_hmac_key(tmp_path: Path) -> None:
    # FOLLOWTHROUGH_WEBHOOK_SECRET= (set but empty) must not let anyone sign with the empty key.
    import hashlib
    import hmac

    url = f"sqlite:///{tmp_path / 'ft.db'}"
    settings = Settings(database_url=url, webhook_secret=SecretStr(""), _env_file=None)  # type: ignore[call-arg]
    store = FollowupStore(Store(url))

    @contextmanager
    def opener() -> Iterator[FollowupStore]:
        yield store

    body = json.dumps(github_event()).encode()
    forged = "sha256=" + hmac.new(b"", body, hashlib.sha256).hexdigest()
    with TestClient(Starlette(routes=status_routes(settings, opener))) as test_client:
        response = test_client.post("/hooks/status/github", content=body,
                                    headers={"X-Hub-Signature-256": forged, "X-GitHub-Event": "issues"})
    assert response.status_code == 503
    assert response.json()["reason"] == "no webhook secret is configured"


def test_signed_but_malformed_event_is_400_not_a_traceback(
        client: tuple[TestClient, FollowupStore]) -> None:
    test_client, _ = client
    bad_github = github_event()
    bad_github["issue"]["labels"] = 5  # type: ignore[index]
    status, body = post(test_client, "/hooks/status/github", bad_github, headers={"X-GitHub-Event": "issues"})
    assert (status, body["status"]) == (400, "error")
    bad_jira = jira_event()
    bad_jira["issue"]["fields"]["status"] = "Done"  # type: ignore[index]
    status, body = post(test_client, "/hooks/status/jira", bad_jira)
    assert (status, body["status"]) == (400, "error")


def test_oversized_body_is_refused_before_it_is_read(client: tuple[TestClient, FollowupStore]) -> None:
    # An unsigned sender declaring a huge body must not make the receiver buffer it: 413 from the header.
    test_client, _ = client
    response = test_client.post("/hooks/status/github", content=b"{}",
                                headers={"Content-Length": str(2 * 1024 * 1024), "X-GitHub-Event": "issues"})
    assert response.status_code == 413


def test_event_without_updated_neither_wins_nor_turns_the_check_off(
    client: tuple[TestClient, FollowupStore], jira_tracker: JiraTracker
) -> None:
    test_client, store = client
    [ticket] = seed(store.store, jira_tracker, key="pm1", team="sre",
                    approved_at=datetime(2026, 3, 1, tzinfo=UTC), items=[("Add alert", None, "prevent")])
    done = jira_event()
    done["issue"]["key"] = ticket.key  # type: ignore[index]
    assert post(test_client, "/hooks/status/jira", done)[1]["status"] == "updated"
    # No `updated` in the event: it cannot be shown newer than what is stored, so it is ignored ...
    undated = jira_event(category="new", resolution=None, updated=None)
    undated["issue"]["key"] = ticket.key  # type: ignore[index]
    assert post(test_client, "/hooks/status/jira", undated)[1]["status"] == "unchanged"
    assert store.tracked_items("sre")[0].status is TicketStatus.DONE
    # ... and the stored time is kept, so an older replay is still refused afterwards.
    older = jira_event(category="new", resolution=None, updated="2026-03-27T10:00:00.000+0000")
    older["issue"]["key"] = ticket.key  # type: ignore[index]
    assert post(test_client, "/hooks/status/jira", older)[1]["status"] == "unchanged"
    assert store.tracked_items("sre")[0].status is TicketStatus.DONE
    newer = jira_event(category="new", resolution=None, updated="2026-03-29T10:00:00.000+0000")
    newer["issue"]["key"] = ticket.key  # type: ignore[index]
    assert post(test_client, "/hooks/status/jira", newer)[1]["status"] == "updated"
    assert store.tracked_items("sre")[0].status is TicketStatus.OPEN
