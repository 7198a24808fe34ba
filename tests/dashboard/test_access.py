"""Who may read the dashboard: always its token (configured, or generated on first start and stored); a
token link opens a random, revocable session cookie; wrong tokens are limited; a proxy header."""

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


def test_a_token_is_required_even_from_loopback_and_one_is_generated(seeded: Seeded) -> None:
    from worker.store import Store
    from worker.store.access import DashboardAccess

    settings = seeded.settings()  # no dashboard_token configured
    with Served(settings) as server:
        refused = httpx.get(server.url + "/overdue", timeout=10)  # a loopback client, as any forwarder is
        assert refused.status_code == 403 and "?token=" in refused.text
        assert "Organisation" not in refused.text
        assert refused.headers["content-security-policy"].startswith("default-src 'none'")
        with Store(settings.database_url) as store:
            token = DashboardAccess(store).token()  # generated on first use, and kept
        assert len(token) >= 40
        assert httpx.get(server.url + "/", headers={"Authorization": f"Bearer {token}"},
                         timeout=10).status_code == 200
        with Store(settings.database_url) as store:
            assert DashboardAccess(store).token() == token


def test_token_link_sets_a_random_cookie_and_redirects_to_the_clean_url(served_with_token: Served) -> None:
    base = served_with_token.url
    assert httpx.get(base + "/", timeout=10).status_code == 403
    assert httpx.get(base + "/", params={"token": "wrong"}, timeout=10).status_code == 403
    cookies = []
    for _ in range(2):
        with httpx.Client(base_url=base, timeout=10) as client:
            first = client.get("/overdue", params={"team": "web", "token": "s3cret-token"})
            assert first.status_code == 303
            assert first.headers["location"] == "/overdue?team=web"
            cookie = first.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "s3cret-token" not in cookie
            assert "Secure" not in cookie  # the public URL is not https here
            cookies.append(client.cookies["ft_dashboard"])
            page = client.get(first.headers["location"])
            assert page.status_code == 200 and "Overdue items" in page.text
    assert cookies[0] != cookies[1]  # random per session, not derived from the token
    assert httpx.get(base + "/", cookies={"ft_dashboard": "forged"}, timeout=10).status_code == 403


def test_rotating_the_token_revokes_every_session(seeded: Seeded) -> None:
    from worker.store import Store
    from worker.store.access import DashboardAccess

    settings = seeded.settings()
    with Served(settings) as server:
        with Store(settings.database_url) as store:
            token = DashboardAccess(store).token()
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert client.get("/", params={"token": token}).status_code == 303
            assert client.get("/").status_code == 200
            with Store(settings.database_url) as store:
                assert DashboardAccess(store).rotate_token() != token
            assert client.get("/").status_code == 403


def test_a_percent_encoded_token_key_works_and_is_blanked_in_the_log(seeded: Seeded) -> None:
    first = remote_get(seeded, "/?%74oken=t0k", dashboard_token="t0k")
    assert first.status_code == 303 and first.headers["location"] == "/"
    from worker.web.dashboard.access import redact_query

    line = '"GET /?%74oken=t0k&TOKEN=t0k&a=1 HTTP/1.1"'
    assert redact_query(line) == '"GET /?%74oken=***&TOKEN=***&a=1 HTTP/1.1"'


def test_the_cookie_is_secure_when_the_public_url_is_https(seeded: Seeded) -> None:
    first = remote_get(seeded, "/?token=t0k", dashboard_token="t0k", public_url="https://dash.example.com")
    assert first.status_code == 303 and "Secure" in first.headers["set-cookie"]


def test_wrong_tokens_are_limited(seeded: Seeded) -> None:
    app = create_app(seeded.settings(dashboard_token="t0k"))

    async def guesses() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=REMOTE)
        async with httpx.AsyncClient(transport=transport, base_url="http://dash.example") as client:
            return [(await client.get(f"/?token=guess{n}")).status_code for n in range(12)] + \
                [(await client.get("/?token=t0k")).status_code]

    codes = asyncio.run(guesses())
    assert codes[:10] == [403] * 10
    assert codes[10:] == [429, 429, 429]  # past the limit, even the right token waits


def test_token_also_admits_remote_clients(seeded: Seeded) -> None:
    first = remote_get(seeded, "/?token=t0k", dashboard_token="t0k")
    assert first.status_code == 303 and first.headers["location"] == "/"


def test_trusted_proxy_header_names_the_user_only_when_configured(seeded: Seeded) -> None:
    named = remote_get(seeded, "/", {"X-Forwarded-User": "ana@example.com"},
                       dashboard_user_header="X-Forwarded-User", dashboard_token="t0k")
    assert named.status_code == 200 and "ana@example.com" in named.text
    assert remote_get(seeded, "/", {"X-Forwarded-User": "ana@example.com"},
                      dashboard_token="t0k").status_code == 403
    assert remote_get(seeded, "/", dashboard_user_header="X-Forwarded-User",
                      dashboard_token="t0k").status_code == 403


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
