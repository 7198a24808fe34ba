"""The one receive path: every hook of the table gets the same secret, limit, signature, JSON and answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.testclient import TestClient

from config.settings import Settings
from worker.store import Store
from worker.store.tracked import FollowupStore
from worker.web.hooks import HOOKS, tracker_limit
from worker.web.receive import Answer, Delivery, Hook, Outcome, Receiver, hook_routes
from worker.web.signatures import HubSignature, sign

SECRET = SecretStr("hook-secret")


def echo(settings: Settings, delivery: Delivery) -> Outcome:
    """A handler that answers with the event it was given, or fails on a payload of the wrong shape."""
    return Answer({"status": "ignored", "event": delivery.payload["event"].upper()})


def _secret(settings: Settings) -> SecretStr | None:
    return settings.webhook_secret


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'ft.db'}"
    settings = Settings(database_url=url, webhook_secret=SECRET, _env_file=None)  # type: ignore[call-arg]

    @contextmanager
    def opener() -> Iterator[FollowupStore]:
        yield FollowupStore(Store(url))

    hook = Hook("echo", "/hooks/echo", _secret, HubSignature("X-Sig"), tracker_limit, echo,
                {413: "body too large"})
    receiver = Receiver(settings, celery=None, open_store=opener)
    with TestClient(Starlette(routes=hook_routes(receiver, [hook]))) as test_client:
        yield test_client


def post(client: TestClient, payload: Any, *, signature: str | None = None) -> tuple[int, dict[str, Any]]:
    body = json.dumps(payload).encode()
    response = client.post("/hooks/echo", content=body, headers={"X-Sig": signature or sign(SECRET, body)})
    return response.status_code, response.json()


def test_a_verified_payload_reaches_the_handler(client: TestClient) -> None:
    assert post(client, {"event": "ping"}) == (200, {"status": "ignored", "event": "PING"})


def test_refusals_are_answered_the_same_way_for_every_hook(client: TestClient) -> None:
    assert post(client, {"event": "ping"}, signature="sha256=" + "0" * 64) == (
        401, {"status": "error", "reason": "missing or bad X-Sig"})
    response = client.post("/hooks/echo", content=b"{nope", headers={"X-Sig": sign(SECRET, b"{nope")})
    assert (response.status_code, response.json()) == (
        400, {"status": "error", "reason": "body is not valid JSON"})
    # The hook's own wording of a refusal (the status hooks' short 413) is kept.
    big = b"x" * (tracker_limit(Settings(_env_file=None)) + 1)  # type: ignore[call-arg]
    response = client.post("/hooks/echo", content=big, headers={"X-Sig": sign(SECRET, big)})
    assert (response.status_code, response.json()["reason"]) == (413, "body too large")


@pytest.mark.parametrize("payload", [{"event": 5}, {"other": 1}, ["event"]])
def test_a_signed_payload_of_the_wrong_shape_is_400_not_a_traceback(client: TestClient, payload: Any) -> None:
    assert post(client, payload) == (400, {"status": "error", "reason": "not a usable event payload"})


def test_every_hook_path_is_in_one_table() -> None:
    assert sorted(hook.path for hook in HOOKS) == [
        "/hooks/confluence", "/hooks/gdrive", "/hooks/github", "/hooks/gitlab", "/hooks/jira",
        "/hooks/notion", "/hooks/postmortem-approved",
        "/hooks/status/github", "/hooks/status/jira"]
    assert len({hook.name for hook in HOOKS}) == len(HOOKS)
