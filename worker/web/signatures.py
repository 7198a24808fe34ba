"""Webhook signatures: GitHub's and Jira's `sha256=<hex>`, and our generic hook's timestamped `t=…,v1=…`.

The functions compute and check each form; `HubSignature` and `TimestampedSignature` are the two schemes
as the receive path (worker.web.receive) uses them: a check of the header before the body is read, then
the check of the body. Both raise BadSignature with the one-line reason the sender is answered.

GitHub and Jira sign the body only, so a replay of their deliveries is made harmless by ordering (commit
and `updated` times), not here. Our own hook signs a timestamp with the body, as Stripe does:
`X-Followthrough-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, and refuses a
signature more than five minutes away from now, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from pydantic import SecretStr

PREFIX = "sha256="
#: How far a timestamped signature may be from now (either way) before it is refused.
TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    """The signature is missing, malformed, wrong or too old; the message says which (never a secret)."""


def _hmac(secret: SecretStr, message: bytes) -> str:
    return hmac.new(secret.get_secret_value().encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: SecretStr, body: bytes) -> str:
    """The `sha256=<hex>` header value GitHub and Jira compute for this body."""
    return f"{PREFIX}{_hmac(secret, body)}"


def verify(secret: SecretStr, body: bytes, header: str | None) -> bool:
    """Whether the header holds this body's `sha256=` signature (constant-time comparison)."""
    if not header or not header.startswith(PREFIX):
        return False
    expected = sign(secret, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().lower().encode("ascii", "replace"))


def signed_payload(timestamp: int, body: bytes) -> bytes:
    """What the timestamped signature covers: `<t>.<body>`."""
    return str(timestamp).encode("ascii") + b"." + body


def sign_timestamped(secret: SecretStr, body: bytes, *, timestamp: int) -> str:
    """The `t=<timestamp>,v1=<hex>` header value a sender of the generic hook computes."""
    return f"t={timestamp},v1={_hmac(secret, signed_payload(timestamp, body))}"


def _fields(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            if not value.isdigit() or len(value) > 12:
                raise BadSignature("the signature's timestamp t is not a number of seconds")
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value.strip().lower())
        # Other schemes (v0, future versions) are ignored, as Stripe's receivers do.
    if timestamp is None or not signatures:
        raise BadSignature("the signature needs both t=<unix seconds> and v1=<hex>")
    return timestamp, signatures


def check_timestamped_header(header: str | None, *, now: float, tolerance: int = TOLERANCE_SECONDS) -> int:
    """What can be checked before the body is read: a well-formed, fresh `t=…,v1=…`; returns `t`.

    The receiver calls this first, so an unsigned or stale request is refused without buffering its body.
    The old `sha256=<hex>` form carries no timestamp and is refused: it could be replayed for ever.
    """
    if not header or not header.strip():
        raise BadSignature("missing signature")
    if header.strip().startswith(PREFIX):
        raise BadSignature("the sha256= form is no longer accepted: sign t=<unix seconds>,v1=<hex>")
    timestamp, _signatures = _fields(header)
    if abs(now - timestamp) > tolerance:
        raise BadSignature(f"the signature's timestamp is more than {tolerance} s from now")
    return timestamp


def verify_timestamped(secret: SecretStr, body: bytes, header: str | None, *, now: float,
                       tolerance: int = TOLERANCE_SECONDS) -> int:
    """The signed timestamp of a valid `t=…,v1=…` header for this body, or BadSignature.

    Several `v1=` values are allowed (a sender rolling its secret signs with both).
    """
    check_timestamped_header(header, now=now, tolerance=tolerance)
    timestamp, signatures = _fields(str(header))
    expected = _hmac(secret, signed_payload(timestamp, body)).encode("ascii")
    if not any(hmac.compare_digest(expected, given.encode("ascii", "replace")) for given in signatures):
        raise BadSignature("bad signature")
    return timestamp


def well_formed(header: str | None) -> bool:
    """Whether a `sha256=<64 hex>` header could be a signature at all (checked before reading the body)."""
    if not header:
        return False
    value = header.strip().lower()
    digest = value.removeprefix(PREFIX)
    return value.startswith(PREFIX) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)


class HubSignature:
    """GitHub's and Jira's scheme: `<header>: sha256=<hex HMAC-SHA256 of the body>`."""

    def __init__(self, header: str) -> None:
        self.header = header

    def precheck(self, headers: Mapping[str, str]) -> None:
        """Refuse a header that cannot be a signature at all, before any body is buffered."""
        if not well_formed(headers.get(self.header)):
            raise BadSignature(f"missing or bad {self.header}")

    def verify(self, secret: SecretStr, body: bytes, headers: Mapping[str, str]) -> int | None:
        """Check the body's signature; nothing is signed but the body, so no signed time (None)."""
        if not verify(secret, body, headers.get(self.header)):
            raise BadSignature(f"missing or bad {self.header}")
        return None


class TimestampedSignature:
    """Our generic hook's scheme: `<header>: t=<unix seconds>,v1=<hex>`, refused when stale."""

    def __init__(self, header: str) -> None:
        self.header = header

    def precheck(self, headers: Mapping[str, str]) -> None:
        """Refuse a missing, malformed or stale signature, before any body is buffered."""
        try:
            check_timestamped_header(headers.get(self.header), now=time.time())
        except BadSignature as exc:
            raise BadSignature(f"{self.header}: {exc}") from None

    def verify(self, secret: SecretStr, body: bytes, headers: Mapping[str, str]) -> int | None:
        """Check the body's signature; returns the signed time."""
        try:
            return verify_timestamped(secret, body, headers.get(self.header), now=time.time())
        except BadSignature as exc:
            raise BadSignature(f"{self.header}: {exc}") from None
