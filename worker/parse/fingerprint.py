"""Stable ids: the postmortem's identity, and each item's fingerprint derived from it.

Fingerprint = first 16 hex digits of sha256(identity + U+001F + normalised action title), where the
normalised title is: Unicode NFKC, casefolded, Markdown/HTML/wiki markup removed (link targets dropped,
link text kept), every run of punctuation and whitespace collapsed to one space, trimmed. Edits to case,
whitespace, punctuation or markup therefore leave the fingerprint unchanged; a change of wording does not.

Identity = the caller's identity (a webhook's page id, say) when given; otherwise "doc:" + normalised title
+ "@" + incident date (ISO, or "-" when unknown). A document without a title uses its first line of text
(first 12 words, normalised) in place of the title.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date
from functools import lru_cache

from worker.parse.patterns import lazy

_LINK = lazy(r"!?\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)|\[([^\]|\n]{0,500})\|[^\]\n]{0,2000}\]")
_TAG = lazy(r"</?[A-Za-z][^<>]{0,1000}>")
_NON_WORD = lazy(r"[\W_]+")
_MAX_BASIS = 4000


_CACHE_CHARS = 400


def normalise_action(text: str) -> str:
    """The formatting-insensitive form of an action's text that fingerprints are computed from."""
    # Titles (at most ~200 characters) are normalised twice, for duplicate matching and for the
    # fingerprint: short texts are remembered.
    return _normalise_cached(text) if len(text) <= _CACHE_CHARS else _normalise(text)


@lru_cache(maxsize=8192)
def _normalise_cached(text: str) -> str:
    return _normalise(text)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _LINK.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = _TAG.sub(" ", text)
    text = text.casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def fingerprint(identity: str, action: str) -> str:
    """16 hex digits identifying one action of one postmortem (see the module docstring)."""
    payload = f"{identity}\x1f{normalise_action(action)}".encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def derive_identity(title: str | None, incident_date: date | None, first_text: str | None) -> str:
    """A postmortem identity that survives formatting edits (see the module docstring)."""
    # Bounded input: the link pattern tries up to 500 characters at each "[", so a 5 MB run of "[" as the
    # first text would cost billions of steps; 12 words never need more than a few thousand characters.
    basis = normalise_action((title or "")[:_MAX_BASIS])
    if not basis:
        basis = " ".join(normalise_action((first_text or "")[:_MAX_BASIS]).split()[:12])
    when = incident_date.isoformat() if incident_date else "-"
    return f"doc:{basis}@{when}"
