"""Deliver a rendered report through Apprise (one library for Slack, Teams, email, Discord and more).

Apprise picks the service from the URL. Two services get our own rich payload rather than Apprise's
generic one, through their plugins' `template=` option (a JSON file Apprise posts as the payload):
- Slack (`slack://`, `https://hooks.slack.com/...`): our Block Kit blocks. Apprise's Slack plugin puts a
  template inside `attachments[0]`, so the blocks arrive as an attachment's blocks (Slack renders them,
  with the attachment's colour bar); a top-level `blocks` field is not reachable through Apprise.
- Microsoft Teams through Workflows / Power Automate (`workflow://`, `workflows://`): our message with the
  Adaptive Card attachment, posted as is.
Email (`mailto://`, `mailtos://`) gets the HTML body; Apprise sends it as multipart/alternative with a
plain-text part it derives from the HTML. Every other service gets the Markdown body.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import apprise

SLACK_SCHEMES = ("slack",)
TEAMS_SCHEMES = ("workflow", "workflows")
EMAIL_SCHEMES = ("mailto", "mailtos")
_LOG_PREFIX = re.compile(r"^\S+ \S+ - [A-Z]+ - ")


class ChannelKind(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    EMAIL = "email"
    GENERIC = "generic"


@dataclass(frozen=True, slots=True)
class Notification:
    """One message in every form a channel may want."""

    title: str
    markdown: str
    slack: dict[str, Any]  # Slack message payload with Block Kit `blocks`
    teams: dict[str, Any]  # Teams message with an Adaptive Card attachment
    email_subject: str
    email_html: str


@dataclass(frozen=True, slots=True)
class Delivery:
    ok: bool
    error: str | None = None


def channel_kind(url: str) -> ChannelKind:
    """Which payload a notification URL gets."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme in SLACK_SCHEMES or (scheme == "https" and host in ("hooks.slack.com", "hooks.slack-gov.com")):
        return ChannelKind.SLACK
    if scheme in TEAMS_SCHEMES or (scheme == "https" and host.endswith((".logic.azure.com",
                                                                        ".powerplatform.com"))):
        return ChannelKind.TEAMS
    if scheme in EMAIL_SCHEMES:
        return ChannelKind.EMAIL
    return ChannelKind.GENERIC


def template_json(payload: dict[str, Any]) -> str:
    # Apprise substitutes {{app_body}}-style tokens in templates; document text must never trigger that.
    return json.dumps(payload, ensure_ascii=False).replace("{{", "{\\u007b")


def _with_template(url: str, path: Path) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}template={quote(str(path), safe='')}"


def _last_warning(records: str) -> str:
    lines = [_LOG_PREFIX.sub("", line).strip() for line in records.splitlines() if line.strip()]
    return (lines[-1] if lines else "the service did not accept the message")[:500]


def deliver(url: str, message: Notification, *, timeout: float = 15.0) -> Delivery:
    """Send the notification to one Apprise URL; never raises for a failed delivery."""
    kind = channel_kind(url)
    with tempfile.TemporaryDirectory(prefix="ft-notify-") as tmp:
        target = url
        body, body_format, title = message.markdown, apprise.NotifyFormat.MARKDOWN, message.title
        if kind is ChannelKind.SLACK:
            template = Path(tmp) / "slack.json"
            template.write_text(template_json(message.slack), encoding="utf-8")
            target = _with_template(url, template)
        elif kind is ChannelKind.TEAMS:
            template = Path(tmp) / "teams.json"
            template.write_text(template_json(message.teams), encoding="utf-8")
            target = _with_template(url, template)
        elif kind is ChannelKind.EMAIL:
            body, body_format, title = message.email_html, apprise.NotifyFormat.HTML, message.email_subject
        asset = apprise.AppriseAsset(async_mode=False)
        notifier = apprise.Apprise(asset=asset)
        if not notifier.add(target):
            return Delivery(ok=False, error=f"not a usable Apprise URL ({kind.value})")
        for plugin in notifier:
            plugin.socket_read_timeout = timeout
        capture: Any = apprise.LogCapture(level=logging.WARNING)  # type: ignore[no-untyped-call]
        with capture as captured:
            ok = notifier.notify(body=body, title=title, body_format=body_format)
            log = str(captured.getvalue())
    return Delivery(ok=True) if ok else Delivery(ok=False, error=_last_warning(log))
