"""HMAC-SHA256 webhook signatures (`sha256=<hex>`), as GitHub, Jira and our generic hook send them."""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr

PREFIX = "sha256="


def sign(secret: SecretStr, body: bytes) -> str:
    """The header value a sender computes for this body."""
    digest = hmac.new(secret.get_secret_value().encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"{PREFIX}{digest}"


def verify(secret: SecretStr, body: bytes, header: str | None) -> bool:
    """Whether the header holds this body's signature (constant-time comparison)."""
    if not header or not header.startswith(PREFIX):
        return False
    expected = sign(secret, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().lower().encode("ascii", "replace"))
