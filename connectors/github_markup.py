"""GitHub-flavoured Markdown for tickets: neutralise copied text, render the body, read our facts back.

Text copied from a postmortem is untrusted. On GitHub, `@login` and `@org/team` notify people, `#12`,
`owner/repo#12`, `GH-12` and issue URLs create cross-references on other issues, and raw HTML (`<img>`,
`<details>`, `<!-- ... -->`) can hide or inject content, or close our hidden fingerprint marker. So every
copied string goes through `neutralise_markdown` (bodies, comments) or `neutralise_inline` (titles, which
GitHub does not render as Markdown but still scans for references).

The body ends with a block of machine-readable lines we write ourselves (`**Due:** 2024-05-01`) and the
hidden marker `<!-- followthrough:fingerprint=<fp> -->`. Parsers read the LAST occurrence of each, so
text in the description above them can never shadow them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from connectors.tracker import TicketBody

#: GitHub rejects an issue or comment body above this many characters (422).
GITHUB_BODY_LIMIT = 65_536
#: We stay a little under the limit: GitHub's own counting of some characters is not documented.
BODY_BUDGET = GITHUB_BODY_LIMIT - 512
#: GitHub rejects longer titles.
TITLE_LIMIT = 256
#: A single copied field other than the description (owner, section, ref...) never needs more.
FIELD_LIMIT = 500

# U+200B ZERO WIDTH SPACE: invisible, and it breaks GitHub's mention and reference patterns
# (the same trick Dependabot uses for `@​dependabot`).
ZWSP = "\u200b"

_MARKER_PREFIX = "<!-- followthrough:fingerprint="
_MARKER_RE = re.compile(r"<!-- followthrough:fingerprint=([A-Za-z0-9._:-]{1,200}) -->")
FINGERPRINT_RE = re.compile(r"[A-Za-z0-9._:-]{1,200}")
_DUE_RE = re.compile(r"^\*\*Due:\*\* (\S+)[ \t]*$", re.MULTILINE)

# An @ that starts a mention: GitHub treats an @ after any non-word character (or at the start) as one,
# so `-@alice`, `fix.@bob` and `+@acme/security` ping. Only an @ right after a word character (an email
# address) is left alone.
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])")
# `#12`, `owner/repo#12`, `GH-12` (case-insensitive), and the full-width number sign GitHub also accepts.
_HASH_REF_RE = re.compile(r"[#＃](?=\d)")
_GH_REF_RE = re.compile(r"(?i)\b(gh)-(?=\d)")
# Issue, PR and discussion URLs create a cross-reference on the target; break the number off the path.
_ISSUE_URL_RE = re.compile(r"(/(?:issues|pull|discussions)/)(?=\d)")
# HTML: tag/comment/processing-instruction openers, comment closers, and character references (which
# GitHub decodes *before* scanning for mentions, so `&#64;alice` would ping).
_TAG_OPEN_RE = re.compile(r"<(?=[A-Za-z/!?])")
_COMMENT_CLOSE_RE = re.compile(r"--!?>")
_ENTITY_RE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# Markdown images load remote content (tracking pixels) without a click.
_IMAGE_RE = re.compile(r"!\[")
_PARTIAL_ENTITY_RE = re.compile(r"&[#A-Za-z0-9]*$")


def neutralise_inline(text: str) -> str:
    """Break mentions and issue references in text that GitHub scans but does not render as HTML."""
    text = _MENTION_RE.sub("@" + ZWSP, text)
    text = _HASH_REF_RE.sub(lambda m: m.group(0) + ZWSP, text)
    text = _GH_REF_RE.sub(lambda m: m.group(1) + ZWSP + "-", text)
    return _ISSUE_URL_RE.sub(lambda m: m.group(1) + ZWSP, text)


def neutralise_markdown(text: str) -> str:
    """Make copied text inert in an issue body or comment: no pings, no references, no raw HTML."""
    text = _ENTITY_RE.sub("&amp;", text)
    text = _TAG_OPEN_RE.sub("&lt;", text)
    text = _COMMENT_CLOSE_RE.sub(lambda m: m.group(0)[:-1] + "&gt;", text)
    text = _IMAGE_RE.sub(r"!\\[", text)
    return neutralise_inline(text)


def ticket_title(title: str) -> str:
    """A neutralised, single-line title within GitHub's length limit."""
    one_line = " ".join(title.split()) or "(untitled action item)"
    return _truncate(neutralise_inline(one_line), TITLE_LIMIT)


def marker(fingerprint: str) -> str:
    """The hidden HTML comment that carries an item's fingerprint in the issue body."""
    if not FINGERPRINT_RE.fullmatch(fingerprint):
        raise ValueError(f"fingerprint {fingerprint!r} has characters that cannot go in the marker")
    return f"{_MARKER_PREFIX}{fingerprint} -->"


def due_line(due: date | None) -> str:
    return f"**Due:** {due.isoformat() if due else 'none'}"


@dataclass(frozen=True, slots=True)
class BodyParts:
    """What goes into an issue body besides the copied context."""

    fingerprint: str
    due: date | None
    owner_note: str | None = None  # e.g. why the ticket is unassigned


def render_body(body: TicketBody, parts: BodyParts, *, budget: int = BODY_BUDGET) -> str:
    """The full issue body; only the description is shortened to fit `budget`, never our facts or marker."""
    facts = _facts(body, parts)
    description = neutralise_markdown(body.description.strip()) if body.description else ""
    room = budget - len(facts) - 2
    if len(description) > room:
        note = "\n\n_(Description shortened to fit GitHub's size limit; see the postmortem.)_"
        cut = _PARTIAL_ENTITY_RE.sub("", description[: max(room - len(note), 0)])
        description = cut.rstrip() + note
    return f"{description}\n\n{facts}" if description else facts


def replace_due(text: str, due: date | None) -> str:
    """The body with its (last) due line set to `due`; appends one before the marker if missing."""
    matches = list(_DUE_RE.finditer(text))
    if matches:
        last = matches[-1]  # replace only the value, keeping the line's Markdown line break
        return text[: last.start(1)] + (due.isoformat() if due else "none") + text[last.end(1) :]
    marker_at = text.rfind(_MARKER_PREFIX)
    if marker_at >= 0:
        return text[:marker_at] + due_line(due) + "\n\n" + text[marker_at:]
    return f"{text.rstrip()}\n\n{due_line(due)}"


def parse_due(text: str | None) -> date | None:
    """The due date from the last `**Due:**` line of a body, or None."""
    matches = _DUE_RE.findall(text or "")
    if not matches:
        return None
    try:
        return date.fromisoformat(matches[-1])
    except ValueError:
        return None


def parse_fingerprint(text: str | None) -> str | None:
    """The fingerprint from the last hidden marker in a body, or None."""
    matches = _MARKER_RE.findall(text or "")
    return matches[-1] if matches else None


def _facts(body: TicketBody, parts: BodyParts) -> str:
    lines = ["---"]

    def add(label: str, value: str | None) -> None:
        if value:
            lines.append(f"**{label}:** {_truncate(neutralise_markdown(_one_line(value)), FIELD_LIMIT)}")

    add("Owner (as written)", body.owner_as_written)
    if parts.owner_note:
        lines.append(f"**Assignee:** {parts.owner_note}")
    lines.append(due_line(parts.due))
    add("Priority (as written)", body.priority_as_written)
    add("Kind", body.kind)
    if body.postmortem_url and body.postmortem_url.startswith(("https://", "http://")):
        title = neutralise_markdown(_one_line(body.postmortem_title or "postmortem")).replace("]", "\\]")
        url = body.postmortem_url.replace(" ", "%20").replace(")", "%29").replace("<", "%3C")
        lines.append(f"**Postmortem:** [{_truncate(title, FIELD_LIMIT)}]({_truncate(url, 2000)})")
    else:
        add("Postmortem", body.postmortem_title or body.postmortem_url)
    add("Section", body.section)
    add("Ref", body.ref)
    # Two spaces at the end of a line are a Markdown line break: each fact stays on its own line.
    facts = "  \n".join(lines)
    footer = "_Opened by Followthrough from the postmortem's action items._"
    return f"{facts}\n\n{footer}\n\n{marker(parts.fingerprint)}"


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return _PARTIAL_ENTITY_RE.sub("", text[: limit - 1]) + "…"
