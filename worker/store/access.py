"""Dashboard access in the store: the token generated on first start, and the session cookies.

The token is `dashboard_token` when configured, else one generated once (256 random bits) and kept in the
store, so every receiver on the store shares it and `followthrough serve` can print it with the URL, as
Jupyter does. A session cookie is a random value; only its sha256 is stored, with an id of the token it
was opened with, so rotating the token revokes every cookie at once, and so does `revoke_sessions`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from worker.store.models import DashboardSessionRow, ServiceSecretRow
from worker.store.store import Store

TOKEN_NAME = "dashboard_token"  # noqa: S105 - the row's name, not a secret
#: How long a dashboard cookie lasts.
SESSION_TTL = timedelta(days=30)


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def token_id(token: str) -> str:
    """An id of a token that reveals nothing of it (what sessions are tied to)."""
    return _digest("followthrough-dashboard-token:" + token)


class DashboardAccess:
    """The dashboard's token and sessions on one store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def token(self) -> str:
        """The stored token, generated on first use (two receivers starting at once agree on one)."""
        with self._store.session() as s:
            stored = s.execute(select(ServiceSecretRow.value)
                               .where(ServiceSecretRow.name == TOKEN_NAME)).scalar()
            if stored:
                return str(stored)
            fresh = secrets.token_urlsafe(32)
            s.execute(self._store.insert(ServiceSecretRow)
                      .values(name=TOKEN_NAME, value=fresh, created_at=_now())
                      .on_conflict_do_nothing(index_elements=["name"]))
        with self._store.session() as s:
            return str(s.execute(select(ServiceSecretRow.value)
                                 .where(ServiceSecretRow.name == TOKEN_NAME)).scalar_one())

    def rotate_token(self) -> str:
        """Replace the stored token with a new one; every session opened with the old one is void."""
        with self._store.session() as s:
            s.execute(delete(ServiceSecretRow).where(ServiceSecretRow.name == TOKEN_NAME))
        self.revoke_sessions()
        return self.token()

    def open_session(self, token: str, *, now: datetime | None = None) -> str:
        """A new random cookie value for a visitor who showed `token`."""
        value = secrets.token_urlsafe(32)
        now = now or _now()
        with self._store.session() as s:
            s.execute(delete(DashboardSessionRow).where(DashboardSessionRow.expires_at < now))
            s.add(DashboardSessionRow(digest=_digest(value), token_id=token_id(token), created_at=now,
                                      expires_at=now + SESSION_TTL))
        return value

    def valid(self, cookie: str, token: str, *, now: datetime | None = None) -> bool:
        """Whether the cookie is a live session opened with the current token."""
        if not cookie or len(cookie) > 100:
            return False
        with self._store.session() as s:
            row = s.get(DashboardSessionRow, _digest(cookie))
            return (row is not None and row.token_id == token_id(token)
                    and row.expires_at > (now or _now()))

    def revoke_sessions(self) -> int:
        """Forget every session; returns how many there were."""
        with self._store.session() as s:
            result = s.execute(delete(DashboardSessionRow))
            return int(getattr(result, "rowcount", 0) or 0)
