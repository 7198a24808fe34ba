"""Signature schemes of the Notion and GitLab hooks (the receive path's `Scheme`s) and their helpers.

- Notion: `X-Notion-Signature: sha256=<hex HMAC-SHA256 of the body>`, keyed by the `verification_token`
  Notion sent when the subscription was created. That first request is unsigned and carries only the
  token: it is let through to the handler (worker.web.source_approvals), nothing else unsigned is.
- GitLab: `X-Gitlab-Token` is the shared secret in plain text, compared in constant time. Where the
  instance also signs the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
  `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`), the handler checks that
  signature with its own signing secret and refuses one more than five minutes old.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

from pydantic import SecretStr

from worker.web.signatures import TOLERANCE_SECONDS, BadSignature, verify, well_formed

NOTION_HEADER = "X-Notion-Signature"
GITLAB_TOKEN_HEADER = "X-Gitlab-Token"  # noqa: S105 - a header name, not a secret
#: Longest verification request (`{"verification_token": "secret_..."}`) accepted unsigned.
HANDSHAKE_BYTES = 512


def is_handshake(body: bytes) -> bool:
    """Whether an unsigned body is Notion's subscription handshake: one short `verification_token`."""
    if len(body) > HANDSHAKE_BYTES:
        return False
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    if not isinstance(payload, dict) or set(payload) != {"verification_token"}:
        return False
    token = payload["verification_token"]
    # Notion's tokens are `secret_` and URL-safe characters: nothing that could break a line or a file.
    return isinstance(token, str) and 0 < len(token) < 256 and token.isascii() and token.isprintable() \
        and " " not in token


class NotionSignature:
    """`X-Notion-Signature: sha256=<hex>`; a request without one must be the handshake body."""

    def precheck(self, headers: Mapping[str, str]) -> None:
        header = headers.get(NOTION_HEADER)
        if header is not None and not well_formed(header):
            raise BadSignature(f"bad {NOTION_HEADER}")
        if header is None and int(headers.get("content-length") or 0) > HANDSHAKE_BYTES:
            raise BadSignature(f"missing {NOTION_HEADER}")

    def verify(self, secret: SecretStr, body: bytes, headers: Mapping[str, str]) -> int | None:
        header = headers.get(NOTION_HEADER)
        if header is None:
            if is_handshake(body):
                return None
            raise BadSignature(f"missing {NOTION_HEADER}")
        if not verify(secret, body, header):
            raise BadSignature(f"bad {NOTION_HEADER}")
        return None


class GitLabToken:
    """`X-Gitlab-Token: <secret>`, compared in constant time."""

    def precheck(self, headers: Mapping[str, str]) -> None:
        if not headers.get(GITLAB_TOKEN_HEADER):
            raise BadSignature(f"missing {GITLAB_TOKEN_HEADER}")

    def verify(self, secret: SecretStr, body: bytes, headers: Mapping[str, str]) -> int | None:
        given = (headers.get(GITLAB_TOKEN_HEADER) or "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, secret.get_secret_value().encode("utf-8")):
            raise BadSignature(f"bad {GITLAB_TOKEN_HEADER}")
        return None


def _signing_key(secret: SecretStr) -> bytes:
    """A Standard Webhooks secret is `whsec_<base64 key>`; anything else is used as the key's bytes."""
    value = secret.get_secret_value()
    if value.startswith("whsec_"):
        try:
            return base64.b64decode(value.removeprefix("whsec_"), validate=True)
        except ValueError:
            pass
    return value.encode("utf-8")


def verify_standard_webhook(secret: SecretStr, body: bytes, headers: Mapping[str, str], *,
                            now: float, tolerance: int = TOLERANCE_SECONDS) -> tuple[str, int]:
    """The (webhook-id, timestamp) of a valid, fresh Standard Webhooks signature, or BadSignature."""
    webhook_id, stamp = headers.get("webhook-id") or "", headers.get("webhook-timestamp") or ""
    signatures = (headers.get("webhook-signature") or "").split()
    if not webhook_id or not stamp.isdigit() or len(stamp) > 12 or not signatures:
        raise BadSignature("missing or malformed webhook-id, webhook-timestamp or webhook-signature")
    if abs(now - int(stamp)) > tolerance:
        raise BadSignature(f"the webhook-timestamp is more than {tolerance} s from now")
    mac = hmac.new(_signing_key(secret), f"{webhook_id}.{stamp}.".encode() + body, hashlib.sha256)
    expected = base64.b64encode(mac.digest())
    for signature in signatures:
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(expected, value.encode("ascii", "replace")):
            return webhook_id, int(stamp)
    raise BadSignature("bad webhook-signature")
