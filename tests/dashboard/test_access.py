"""Who may read the dashboard: loopback only without a token; a token link sets a cookie; a proxy header."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from config.settings import ConfigError, load_settings
from tests.dashboard.conftest import Seeded
from tests.dashboard.serving import Served
from worker.web.app import create_app

REMOTE = ("203.0.113.7", 40000)


def remote_get(seeded: Seeded, path: str, headers: dict[str, str] | None = None, **overrides: object
               ) -> httpx.Response:
    """A request from a non-loopback client, through the real app (ASGI transport)."""
    app = create_app(seeded.settings(**overrides))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=REMOTE)
        async with httpx.AsyncClient(transport=transport, base_url="http://dash.example") as client:
            return await client.get(path, headers=headers or {})

    return asyncio.run(call())


def test_without_a_token_only_loopback_is_answered(seeded: Seeded, served: Served) -> None:
    assert httpx.get(served.url + "/", timeout=10).status_code == 200
    refused = remote_get(seeded, "/overdue")
    assert refused.status_code == 403 and "local clients only" in refused.text
    assert "Organisation" not in refused.text
    assert refused.headers["content-security-policy"].startswith("default-src 'none'")


def test_token_link_sets_a_cookie_and_redirects_to_the_clean_url(served_with_token: Served) -> None:
    base = served_with_token.url
    assert httpx.get(base + "/", timeout=10).status_code == 403  # loopback is not enough once a token is set
    assert httpx.get(base + "/", params={"token": "wrong"}, timeout=10).status_code == 403
    with httpx.Client(base_url=base, timeout=10) as client:
        first = client.get("/overdue", params={"team": "web", "token": "s3cret-token"})
        assert first.status_code == 303
        assert first.headers["location"] == "/overdue?team=web"
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "s3cret-token" not in cookie
        page = client.get(first.headers["location"])
        assert page.status_code == 200 and "Overdue items" in page.text
    assert httpx.get(base + "/", cookies={"ft_dashboard": "forged"}, timeout=10).status_code == 403


def test_token_also_admits_remote_clients(seeded: Seeded) -> None:
    first = remote_get(seeded, "/?token=t0k", dashboard_token="t0k")
    assert first.status_code == 303 and first.headers["location"] == "/"


def test_trusted_proxy_header_names_the_user_only_when_configured(seeded: Seeded) -> None:
    named = remote_get(seeded, "/", {"X-Forwarded-User": "ana@example.com"},
                       dashboard_user_header="X-Forwarded-User", dashboard_token="t0k")
    assert named.status_code == 200 and "ana@example.com" in named.text
    assert remote_get(seeded, "/", {"X-Forwarded-User": "ana@example.com"}).status_code == 403
    assert remote_get(seeded, "/", dashboard_user_header="X-Forwarded-User").status_code == 403


def test_webhooks_keep_their_own_authentication(seeded: Seeded) -> None:
    assert remote_get(seeded, "/healthz").status_code == 200
    app = create_app(seeded.settings(webhook_secret="hook-secret"))

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=REMOTE)
        async with httpx.AsyncClient(transport=transport, base_url="http://dash.example") as client:
            return await client.post("/hooks/postmortem-approved", content=b"{}")

    assert asyncio.run(post()).status_code == 401  # unsigned: the HMAC check answers, not the dashboard


def test_a_bad_user_header_setting_stops_the_program() -> None:
    with pytest.raises(ConfigError, match="FOLLOWTHROUGH_DASHBOARD_USER_HEADER"):
        load_settings(dashboard_user_header="X Forwarded: User", _env_file=None)
    assert load_settings(dashboard_user_header=" X-Remote-User ", _env_file=None).dashboard_user_header \
        == "X-Remote-User"


def test_the_token_never_reaches_the_access_log(seeded: Seeded) -> None:
    create_app(seeded.settings(dashboard_token="t0k"))
    logger = logging.getLogger("uvicorn.access")
    record = logger.makeRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/overdue?team=web&token=t0k&x=1", "1.1", 303), None)
    for check in logger.filters:
        assert not isinstance(check, logging.Filter) or check.filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /overdue?team=web&token=***&x=1 HTTP/1.1" 303'
