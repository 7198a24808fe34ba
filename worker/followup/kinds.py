"""The normalised vocabulary of action-item kinds, and a normaliser for kinds stored before it existed.

The parser emits exactly these kinds (the original word is kept in `kind_raw`). Items stored earlier carry
the raw word ("Prevention", "Detection", "mitigation"), so follow-up normalises every kind it reads.
"""

from __future__ import annotations

from worker.models import KINDS

__all__ = ["DEFAULT_PREVENTATIVE", "KINDS", "normalise_kind"]

#: Kinds followed up when a team does not choose: work that stops the next incident or shortens it.
#: `repair` (fix what broke) and `investigate` (find out more) are not preventative on their own.
DEFAULT_PREVENTATIVE: tuple[str, ...] = ("prevent", "detect", "mitigate", "process")

# Stems of the words people and older parser versions used, checked in order (longest meaning first).
_STEMS: tuple[tuple[str, str], ...] = (
    ("prevent", "prevent"), ("avoid", "prevent"), ("detect", "detect"), ("monitor", "detect"),
    ("alert", "detect"), ("mitigat", "mitigate"), ("process", "process"), ("repair", "repair"),
    ("fix", "repair"), ("remediat", "repair"), ("investigat", "investigate"),
)


def normalise_kind(raw: str | None) -> str | None:
    """The vocabulary kind of a stored kind word ("Prevention" -> "prevent"); None for no kind.

    A word that matches no kind is returned lowercased, so a team can still follow it up by that name.
    """
    if raw is None:
        return None
    word = raw.strip().casefold()
    if not word:
        return None
    if word in KINDS:
        return word
    # The parser's five-language word list first (loaded on use: config imports this module at start-up).
    from worker.parse.kinds import normalise_kind as parser_kind

    known = parser_kind(raw)
    if known is not None:
        return known
    for stem, kind in _STEMS:
        if word.startswith(stem):
            return kind
    return word
