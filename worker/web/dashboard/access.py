"""Who may read the dashboard (see docs/dashboard.md, "Access").

A token is always required, as Jupyter does it: `dashboard_token` when configured, else one generated on
first start and kept in the store (worker/store/access.py); `followthrough serve` prints the URL with it.
No client address is trusted: a local forwarder (nginx's default `proxy_pass`, `ssh -L`, socat) makes
every client look local. In order:

1. `dashboard_user_header` set and present in the request: a trusted reverse proxy has signed the user in.
2. `Authorization: Bearer <token>` (scripts).
3. A `?token=` link: opens a session (a random cookie value, HttpOnly, SameSite=Strict, Secure when the
   public URL is https) and redirects to the same URL without the token. Wrong tokens are limited per
   client and in all (`GuessLimit`): past the limit, 429 without looking.
4. The session cookie, while its session lives and the token has not changed.

Anything else: 403. The token is blanked in the access log in every spelling of its query key.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from config.settings import Settings
from worker.store.access import SESSION_TTL, DashboardAccess

COOKIE = "ft_dashboard"
TOKEN_PARAM = "token"  # noqa: S105 - the name of the query parameter, not a secret
#: Seconds a receiver keeps the stored token before reading it again.
TOKEN_REFRESH = 10.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """Allowed (with the user when a proxy named one), or a response to send instead."""

    allowed: bool
    user: str | None = None
    response: Response | None = None


class GuessLimit:
    """At most `per_client` wrong tokens per client and `overall` in all within `window` seconds."""

    def __init__(self, *, per_client: int = 10, overall: int = 100, window: float = 600.0) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def _trim(self, times: deque[float], now: float) -> deque[float]:
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            mine = self._trim(self._clients.get(client, deque()), now)
            return len(mine) >= self.per_client or len(self._trim(self._all, now)) >= self.overall

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._clients) > 10_000:  # bounded memory: forget the quietest clients
                self._clients = {k: v for k, v in self._clients.items() if self._trim(v, now)}
            self._clients.setdefault(client, deque()).append(now)
            self._all.append(now)


def _equal(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def _clean_url(request: Request) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k.lower() != TOKEN_PARAM]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def _offered(request: Request) -> str | None:
    # Starlette decodes the keys, so `?%74oken=` arrives here as `token` too.
    for key, value in request.query_params.multi_items():
        if key.lower() == TOKEN_PARAM:
            return value
    return None


class Gate:
    """The dashboard's access decision, with the store holding its token and sessions."""

    def __init__(self, settings: Settings, access: Callable[[], DashboardAccess],
                 limit: GuessLimit | None = None) -> None:
        self.settings = settings
        self.access = access
        self.limit = limit or GuessLimit()
        self._configured = settings.dashboard_token.get_secret_value() if settings.dashboard_token else ""
        self._stored: tuple[str, float] | None = None
        self.secure_cookie = (settings.public_url or "").lower().startswith("https://")

    def token(self) -> str:
        """The token in force: configured, or the store's (generated on first use, read again after
        `TOKEN_REFRESH` seconds so a rotation reaches every receiver)."""
        if self._configured:
            return self._configured
        now = time.monotonic()
        if self._stored is None or now - self._stored[1] > TOKEN_REFRESH:
            self._stored = (self.access().token(), now)
        return self._stored[0]

    async def decide(self, request: Request) -> Verdict:
        """Whether this request may read the dashboard."""
        header = self.settings.dashboard_user_header
        user = request.headers.get(header, "").strip() if header else ""
        if user:
            return Verdict(allowed=True, user=user[:200])
        # A configured token needs no store read: no hand-off to a worker thread either.
        token = self._configured or await run_in_threadpool(self.token)
        client = request.client.host if request.client else "?"
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        offered = bearer.strip() if scheme.lower() == "bearer" else _offered(request)
        if offered is not None:
            return await self._check(request, offered, token, client, link=scheme.lower() != "bearer")
        cookie = request.cookies.get(COOKIE, "")
        live: bool = bool(cookie) and await run_in_threadpool(self._valid, cookie, token)
        if live:
            return Verdict(allowed=True)
        return Verdict(allowed=False, response=refused(
            "open the dashboard with the ?token= link `followthrough serve` printed"))

    def _valid(self, cookie: str, token: str) -> bool:
        return self.access().valid(cookie, token)

    def _open(self, token: str) -> str:
        return self.access().open_session(token)

    async def _check(self, request: Request, offered: str, token: str, client: str, *, link: bool) -> Verdict:
        if self.limit.blocked(client):
            return Verdict(allowed=False, response=Response(
                "429 Too Many Requests: too many wrong tokens; try later\n", status_code=429,
                media_type="text/plain; charset=utf-8", headers={"Retry-After": "600"}))
        if not _equal(offered, token):
            self.limit.failed(client)
            return Verdict(allowed=False, response=refused("the dashboard token is not valid"))
        if not link:
            return Verdict(allowed=True)
        value = await run_in_threadpool(self._open, token)
        response = RedirectResponse(_clean_url(request), status_code=303)
        response.set_cookie(COOKIE, value, max_age=int(SESSION_TTL.total_seconds()), httponly=True,
                            samesite="strict", secure=self.secure_cookie or request.url.scheme == "https",
                            path="/")
        return Verdict(allowed=False, response=response)


def refused(reason: str) -> Response:
    return Response(f"403 Forbidden: {reason}\n", status_code=403, media_type="text/plain; charset=utf-8")


_QUERY = re.compile(r"\?[^\s\"]*")


def redact_query(text: str) -> str:
    """Blank the value of every query key that decodes to `token` (`token`, `%74oken`, `TOKEN`, ...)."""

    def one(match: re.Match[str]) -> str:
        pairs = match.group(0)[1:].split("&")
        for n, pair in enumerate(pairs):
            key, sep, _value = pair.partition("=")
            if sep and unquote_plus(key).strip().lower() == TOKEN_PARAM:
                pairs[n] = f"{key}=***"
        return "?" + "&".join(pairs)

    return _QUERY.sub(one, text)


class RedactToken(logging.Filter):
    """Blanks the token in access-log lines (uvicorn logs every request's path and query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


def redact_access_logs() -> None:
    """Install `RedactToken` on uvicorn's access logger, once per process."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactToken) for existing in logger.filters):
        logger.addFilter(RedactToken())
