"""Sentence splitting and title tidying: what is left once fields, statuses and links are cut out.

Tidying works on whitespace-separated tokens (one pass each), not on regexes over separator runs, so
"— · · — ·" residue of any length costs linear time.
"""

from __future__ import annotations

from worker.parse.patterns import lazy
from worker.parse.refs import TICKET_KEY

_SENTENCE = lazy(r"(?<=[.!?])\s(?=[\"'“(]?[A-ZÀ-Þ0-9¿¡])")
_EMPTY_BRACKETS = lazy(r"[(\[][\s,;:·•|—–-]{0,40}[)\]]")
_BRACKETED_REF = lazy(
    r"\s?[(\[]\s?(?:(?:done|fixed|tracked|see|in|ticket|jira)\s){0,3}"
    r"(?:https?://[^\s()\[\]]{1,300}|[A-Z][A-Z0-9_]{1,14}-[0-9]{1,8})\s?[)\]]"
)
# Markup left in a title: "{#anchor}" ids, empty "< >" placeholders, "· assigned to < >".
_RESIDUE = lazy(r"\{#[\w.:-]{1,80}\}|(?:[·|-]\s)?(?:assigned\sto\s)?<\s{0,3}>")
_SEPARATOR_CHARS = frozenset("-–—|;,·•/:.>→")
# A token (between spaces) made of separator characters only; the same set as _SEPARATOR_CHARS.
_SEPARATOR_TOKEN = lazy(r"(?:^|(?<= ))[-–—|;,·•/:.>→]+(?= |\Z)")
_STRIP = " -–—,;|·•/:"
_REF_FILLER = frozenset({"see", "in", "ticket", "jira", "tracked", "ref", "issue", "bug", "link", "tracking"})
_DANGLING = frozenset(
    {
        "by",
        "due",
        "until",
        "before",
        "on",
        "in",
        "for",
        "with",
        "and",
        "para",
        "bis",
        "avant",
        "até",
        "hasta",
        "owner",
        "assignee",
        "status",
        "ticket",
        "jira",
        "ref",
    }
)


def split_sentences(text: str) -> list[str]:
    """Sentences of whitespace-collapsed text."""
    return _SENTENCE.split(text)


def first_sentence(text: str) -> str:
    """The first sentence of whitespace-collapsed text."""
    return _SENTENCE.split(text, maxsplit=1)[0]


def _separator_only(token: str) -> bool:
    return bool(token) and _SEPARATOR_CHARS.issuperset(token)


def _is_ref_token(token: str) -> bool:
    bare = token.strip("()[],.;:")
    return bare.startswith(("http://", "https://")) or TICKET_KEY.fullmatch(bare) is not None


def tidy_title(title: str, *, removed: bool) -> str:
    """Collapse separator runs and empty brackets, drop trailing ticket keys, separators and, when
    something was cut out of the text (`removed`), the words left dangling ("... due", "... by")."""
    title = " ".join(title.split())
    if "{#" in title or "\\" in title or "<" in title:
        title = _RESIDUE.sub(" ", title).replace("\\_", "_").replace("\\*", "*")
        title = " ".join(title.split())
    if "(" in title or "[" in title:  # both patterns start at a bracket: without one they cannot match
        title = _EMPTY_BRACKETS.sub(" ", title)
        stripped = _BRACKETED_REF.sub("", title)
        if len(stripped.split()) >= 2:
            removed = removed or stripped != title
            title = stripped
    tokens = _collapse_separators(title)
    _drop_tail(tokens, removed=removed)
    text = " ".join(tokens).strip(_STRIP)
    opened = text.rfind("(")
    if opened > 0 and text.count("(") > text.count(")") and len(text[opened:].split()) <= 4:
        text = text[:opened].strip(_STRIP)  # "(Ana" left from "(Ana, erledigt)": residue, not title
    return text


def _collapse_separators(title: str) -> list[str]:
    """The title's tokens, one separator kept of each run and none at the start."""
    if _SEPARATOR_TOKEN.search(title) is None:
        return title.split()  # no separator-only token (most titles): nothing to collapse or drop
    tokens: list[str] = []
    last_separator = False  # whether tokens[-1] is separator-only (tested once per token)
    for token in title.split(" "):
        if not token:
            continue
        separator = _SEPARATOR_CHARS.issuperset(token)
        if separator and last_separator:
            continue
        tokens.append(token)
        last_separator = separator
    start = 0
    while start < len(tokens) and _separator_only(tokens[start]):
        start += 1
    return tokens[start:]


def _drop_tail(tokens: list[str], *, removed: bool) -> None:
    """Pop trailing separators, ticket keys and (after a cut) reference filler and dangling words."""
    while tokens:
        last = tokens[-1]
        if _separator_only(last):
            tokens.pop()
        elif len(tokens) > 2 and (_is_ref_token(last) or (removed and last.lower() in _REF_FILLER)):
            tokens.pop()
            removed = True
        elif removed and len(tokens) > 2 and last.lower().strip(_STRIP) in _DANGLING:
            tokens.pop()
        else:
            return
