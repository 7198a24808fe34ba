"""The signature scheme of Drive push notifications: the channel id and token headers, no body signature.

Drive signs nothing; it echoes the channel's id and the token we registered with it. Our tokens are
derived from GDRIVE_CHANNEL_SECRET (connectors.sources.gdrive_channels), so a forged token, or one of a
channel past its expiry, is refused here; a replayed notification of a live channel repeats a message
number, which the outbox dedupes (and a notification only wakes a poll of the change feed anyway).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from pydantic import SecretStr

from connectors.sources.gdrive_channels import check_channel
from worker.web.signatures import BadSignature

CHANNEL_ID = "X-Goog-Channel-ID"
CHANNEL_TOKEN = "X-Goog-Channel-Token"  # noqa: S105 - a header name, not a secret


class DriveChannel:
    """Drive's push scheme: a live channel of ours in `X-Goog-Channel-ID` and `X-Goog-Channel-Token`."""

    def precheck(self, headers: Mapping[str, str]) -> None:
        """Refuse a notification without both headers, before any body is read."""
        if not headers.get(CHANNEL_ID) or not headers.get(CHANNEL_TOKEN):
            raise BadSignature(f"missing {CHANNEL_ID} or {CHANNEL_TOKEN}")

    def verify(self, secret: SecretStr, body: bytes, headers: Mapping[str, str]) -> int | None:
        """Check the token against the channel id and its expiry; nothing is signed in time (None)."""
        reason = check_channel(secret, headers.get(CHANNEL_ID), headers.get(CHANNEL_TOKEN), now=time.time())
        if reason is not None:
            raise BadSignature(reason)
        return None
