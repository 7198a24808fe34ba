"""Neutralise untrusted document text for each target markup."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")
# Inline characters that open emphasis, code, links, images, strikethrough or table cells anywhere.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~])")
# Block markers only count at the start of a line: headings, quotes, list items, ordered list numbers.
_MARKDOWN_LINE_START = re.compile(r"^(\s*)(#|>|[-+]|\d+(?=[.)]))")
# `scheme://` starts an autolink in GFM renderers; breaking the `:` is enough.
_MARKDOWN_AUTOLINK = re.compile(r"(?<=[A-Za-z]):(?=//)")
# An @ that chat tools reading Markdown (Discord, Mattermost, Rocket.Chat...) may take as a mention:
# `@here`, `@everyone`, `@channel`, `@all` or `@someone`, after any non-word character. An @ inside a
# word (an email address) is left alone.
_CHAT_MENTION = re.compile(r"(?<![A-Za-z0-9_])@(?=\w)")
# U+200B ZERO WIDTH SPACE: invisible, and it breaks every mention pattern (the Dependabot trick).
_ZWSP = "\u200b"


def oneline(text: str, *, limit: int = 300) -> str:
    """One line of plain text: control and bidi-override characters removed, whitespace collapsed."""
    flat = _WHITESPACE.sub(" ", _CONTROL.sub("", text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def slack(text: str) -> str:
    """Text for Slack mrkdwn: `&`, `<` and `>` escaped, so no link, mention or `<!channel>` can be formed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str, label: str) -> str:
    """A Slack mrkdwn link whose URL cannot break out of `<...|...>` and whose label is escaped."""
    return f"<{safe_url(url)}|{slack(label).replace('|', '¦')}>"


def markdown(text: str) -> str:
    """Text for Markdown, escaped only where Markdown would read markup, so it renders literally.

    `Follow-up`, `09:00` and `(nothing due yet)` stay as they are; `*`, `_`, backticks, brackets, pipes and
    `~` are backslash-escaped everywhere, block markers at the start, `&` and `<` become entities (no
    HTML, no entity decoding), `://` is broken so no bare URL is linked, and chat mentions (`@here`,
    `@everyone`) get a zero-width space after the `@`.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    text = _MARKDOWN_AUTOLINK.sub("&#58;", text)
    match = _MARKDOWN_LINE_START.match(text)
    if match:
        marker = match.group(2)
        escaped = f"{marker}\\" if marker[0].isdigit() else f"\\{marker}"
        text = match.group(1) + escaped + text[match.end():]
    return _CHAT_MENTION.sub("@" + _ZWSP, text)


def html_text(text: str) -> str:
    """Text for HTML element content or attribute values."""
    return html.escape(text, quote=True)


def safe_url(url: str) -> str:
    """An http(s) URL with characters that could end a markup construct percent-encoded; others become '#'."""
    if not url.lower().startswith(("http://", "https://")):
        return "#"
    return quote(url, safe=":/?#[]@!$&'()*+,;=%-._~")
