"""Neutralise untrusted text for Jira wiki markup (REST v2 descriptions and comments).

Document text is data: nothing copied from a postmortem may render as markup, link, macro or mention.
We escape with the backslash for every character Atlassian's renderer accepts an escape for (its
`BackslashEscapeRendererComponent`: ! [ ] ^ ~ + ? % { } ( ) * _ - | @) and with numeric character
references for the characters it has no escape for: `\\` (a double backslash is a line break), `#` (a
numbered list at line start), `&` (so entities in the text stay literal) and `:` (so `http://...` does not
auto-link). Line-start block markers (`h1.`, `bq.`) are broken by escaping their dot. See
https://jira.atlassian.com/secure/WikiRendererHelpAction.jspa?section=all for the notation.

Only what could form markup is escaped, so ordinary text is stored (and shown in notification emails and
the API) as written: `Follow-up`, `2026-11-05`, `Example: text`, `(due Friday)` and `PR #12` stay as they
are. Inline markers (`*_-+^~?`) open and close only at a word edge, so one between two letters or digits,
or with spaces on both sides away from the line start, is plain; a `(` is escaped only where it starts an
emoticon such as `(y)`; a `:` only where something other than a space or a digit follows (`http://`,
`mailto:x`, `:)`); a `#` only at the start of a line; a `!` only where an image could start.
"""

from __future__ import annotations

import re
import unicodedata

_BACKSLASH_ESCAPED = frozenset("![]^~+?%{}()*_-|@")
_ENTITY_ESCAPED = {"\\": "&#92;", "#": "&#35;", "&": "&#38;", ":": "&#58;", "<": "&#60;", ">": "&#62;"}
# Inline markers: *strong* _emphasis_ -deleted- +inserted+ ^sup^ ~sub~ ??citation??
_WORD_MARKERS = frozenset("*_-+^~?")
# Emoticons and icons written in parentheses: (y) (n) (i) (/) (x) (!) (+) (-) (?) (on) (off) (*) (*r)...
_EMOTICON = re.compile(r"\((?:[yni/x!+\-?*]|on|off|\*[rgby]|flag|flagoff)\)", re.IGNORECASE)
_BLOCK_MARKER = re.compile(r"^(\s*)(h[1-6]|bq)\.", re.IGNORECASE | re.MULTILINE)
# C0/C1 controls other than tab and newline: Jira rejects some and they can hide text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidi overrides and zero-width characters can make escaped text read as something else.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

#: Jira's hard limit on a summary.
SUMMARY_MAX = 255
#: Jira's limit on a description / comment body (32,767 characters by default on Cloud).
BODY_MAX = 32_000


def clean_text(text: str) -> str:
    """Normalise newlines and drop control and invisible formatting characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", _CONTROL.sub("", text))


def escape_wiki(text: str) -> str:
    """Return `text` so that Jira's wiki renderer shows it literally (no markup, links or mentions)."""
    text = clean_text(text)
    block_dots = {m.end() - 1 for m in _BLOCK_MARKER.finditer(text)}
    out: list[str] = []
    for i, ch in enumerate(text):
        if i in block_dots:
            out.append("&#46;")
        elif not _needs_escape(text, i):
            out.append(ch)
        elif ch in _BACKSLASH_ESCAPED:
            out.append("\\" + ch)
        elif ch in _ENTITY_ESCAPED:
            out.append(_ENTITY_ESCAPED[ch])
        else:
            out.append(ch)
    return "".join(out)


def _at_line_start(text: str, i: int) -> bool:
    line_start = text.rfind("\n", 0, i) + 1
    return not text[line_start:i].strip()


def _needs_escape(text: str, i: int) -> bool:
    """Whether the character at `i` could take part in wiki markup where it stands."""
    ch = text[i]
    before = text[i - 1] if i > 0 else "\n"
    after = text[i + 1] if i + 1 < len(text) else "\n"
    if ch in _WORD_MARKERS:
        if before.isalnum() and after.isalnum():
            return False  # inside a word: markers need a word edge ("Follow-up", "2026-11-05")
        spaced = before in " \t" and after in " \t\n"
        return not spaced or _at_line_start(text, i)  # " - " mid-line is a plain dash; at the start a list
    if ch == "(":
        return _EMOTICON.match(text, i) is not None
    if ch == ")":
        return False
    if ch == ":":
        return not (after.isspace() or after.isdigit())
    if ch == "#":
        return _at_line_start(text, i)
    if ch == "!":
        return not after.isspace()
    return ch in _BACKSLASH_ESCAPED or ch in _ENTITY_ESCAPED


def escape_inline(text: str) -> str:
    """Like `escape_wiki` but on one line: newlines become spaces (for labels of our own markup)."""
    return escape_wiki(" ".join(clean_text(text).split()))


def summary(text: str) -> str:
    """A Jira summary: one line (Jira rejects newlines), no control characters, at most 255 characters."""
    line = " ".join(unicodedata.normalize("NFC", clean_text(text)).split())
    if len(line) > SUMMARY_MAX:
        line = line[: SUMMARY_MAX - 1].rstrip() + "…"
    return line or "(untitled action item)"


_SAFE_URL = re.compile(r"^https?://[^\s\[\]|{}<>\"'`^\\]+$")


def safe_link(url: str | None, label: str) -> str:
    """Our own `[label|url]` link when the URL is a plain http(s) URL; otherwise the escaped label only."""
    shown = escape_inline(label) or "postmortem"
    if url and _SAFE_URL.match(url):
        return f"[{shown}|{url}]"
    if url:
        return f"{shown} ({escape_inline(url)})"
    return shown


def truncate_body(body: str, *, limit: int = BODY_MAX) -> str:
    """Cut a body to Jira's size limit without splitting an escape sequence."""
    if len(body) <= limit:
        return body
    cut = body[: limit - 40]
    # Do not leave a dangling backslash or a half entity at the cut.
    cut = re.sub(r"(\\|&#?\w*)$", "", cut)
    return cut + "\n\n_(truncated by Followthrough)_"
