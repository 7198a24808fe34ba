"""Who may read the dashboard (see docs/dashboard.md, "Access").

In order:
1. `dashboard_user_header` set and present in the request: a trusted reverse proxy has signed the user in.
2. `dashboard_token` set: a `?token=` link sets an HttpOnly cookie and redirects to the same URL without the
   token; later requests carry the cookie. Anything else: 403.
3. No token: only loopback clients (127.0.0.0/8, ::1) are answered; anything else: 403.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

COOKIE = "ft_dashboard"
TOKEN_PARAM = "token"  # noqa: S105 - the name of the query parameter, not a secret
COOKIE_MAX_AGE = 30 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Verdict:
    """Allowed (with the user when a proxy named one), or a response to send instead."""

    allowed: bool
    user: str | None = None
    response: Response | None = None


def cookie_value(token: SecretStr) -> str:
    """What the cookie holds: a key derived from the token (never the token), void once the token changes."""
    return hmac.new(token.get_secret_value().encode("utf-8"), b"followthrough-dashboard-cookie",
                    hashlib.sha256).hexdigest()


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _clean_url(request: Request) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != TOKEN_PARAM]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def decide(request: Request, *, token: SecretStr | None, user_header: str | None) -> Verdict:
    """Whether this request may read the dashboard."""
    if user_header:
        user = request.headers.get(user_header, "").strip()
        if user:
            return Verdict(allowed=True, user=user[:200])
    secret = token.get_secret_value() if token is not None else ""
    if secret:
        assert token is not None
        expected = cookie_value(token)
        offered = request.query_params.get(TOKEN_PARAM)
        if offered is not None:
            if not hmac.compare_digest(offered.encode("utf-8"), secret.encode("utf-8")):
                return Verdict(allowed=False, response=refused("the dashboard link is not valid"))
            response = RedirectResponse(_clean_url(request), status_code=303)
            response.set_cookie(COOKIE, expected, max_age=COOKIE_MAX_AGE, httponly=True, samesite="strict",
                                secure=request.url.scheme == "https", path="/")
            return Verdict(allowed=False, response=response)
        cookie = request.cookies.get(COOKIE, "")
        if cookie and hmac.compare_digest(cookie.encode("utf-8"), expected.encode("utf-8")):
            return Verdict(allowed=True)
        return Verdict(allowed=False, response=refused("open the dashboard with its ?token= link"))
    if is_loopback(request.client.host if request.client else None):
        return Verdict(allowed=True)
    return Verdict(allowed=False, response=refused(
        "the dashboard answers local clients only (set FOLLOWTHROUGH_DASHBOARD_TOKEN to share it)"))


def refused(reason: str) -> Response:
    return Response(f"403 Forbidden: {reason}\n", status_code=403, media_type="text/plain; charset=utf-8")


_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&#\s]*")


class RedactToken(logging.Filter):
    """Blanks `?token=` in access-log lines (uvicorn logs every request's path and query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_QUERY.sub(r"\1***", arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_QUERY.sub(r"\1***", record.msg)
        return True


def redact_access_logs() -> None:
    """Install `RedactToken` on uvicorn's access logger, once per process."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactToken) for existing in logger.filters):
        logger.addFilter(RedactToken())
