"""Drive push channel tokens: derived from a secret, so a notification is verified without stored state.

Drive push notifications carry no body signature; they echo the channel's id and token in
`X-Goog-Channel-ID` and `X-Goog-Channel-Token`. Our token is `<expiry unix seconds>.<hex HMAC-SHA256 of
"<channel id>.<expiry>">`: a forged id or token fails the HMAC, and a channel past its expiry is refused
even when its token leaked. Renewal opens a new channel before the old one ends (Drive channels cannot be
renewed), so both are valid during the overlap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pydantic import SecretStr


def new_channel_id() -> str:
    """A fresh channel id (Drive wants a unique string per channel)."""
    return f"ft-{secrets.token_hex(16)}"


def _digest(secret: SecretStr, channel_id: str, expires: int) -> str:
    message = f"{channel_id}.{expires}".encode()
    return hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).hexdigest()


def channel_token(secret: SecretStr, channel_id: str, expires: int) -> str:
    """The token to register with a channel that ends at `expires` (unix seconds)."""
    return f"{expires}.{_digest(secret, channel_id, expires)}"


def check_channel(secret: SecretStr, channel_id: str | None, token: str | None, *, now: float) -> str | None:
    """None when the id and token belong to a live channel of ours, else the one-line reason."""
    if not channel_id or not token or len(channel_id) > 200 or len(token) > 200:
        return "missing X-Goog-Channel-ID or X-Goog-Channel-Token"
    expires, _, digest = token.partition(".")
    if not expires.isdigit() or len(expires) > 12:
        return "bad X-Goog-Channel-Token"
    expected = _digest(secret, channel_id, int(expires))
    if not hmac.compare_digest(expected.encode(), digest.encode("ascii", "replace")):
        return "bad X-Goog-Channel-Token"
    if int(expires) < now:
        return "the channel has expired"
    return None
