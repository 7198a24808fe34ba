"""Cheap substring screens run before case-insensitive regexes that most item text cannot match.

A regex search over a title costs microseconds; `in` on lowered text costs tens of nanoseconds. A screen
must never refuse text its regex could match, so it looks for a word or character every branch of the
pattern needs, in text lowered the way Python's case-insensitive matching compares letters.
"""

from __future__ import annotations


def loose(text: str) -> str:
    """`text` lowered so that `stem in loose(text)` holds wherever a re.I pattern could match `stem`:
    besides lowering, Python's re.I equates "ı" and "İ" with "i" and "ſ" with "s"."""
    lowered = text.lower()
    if not lowered.isascii():
        # "İ".lower() is "i" plus a combining dot; re.I reads it as a plain "i".
        lowered = lowered.replace("ı", "i").replace("\u0307", "").replace("ſ", "s")
    return lowered


def has_any(lowered: str, stems: tuple[str, ...]) -> bool:
    """Whether loosely lowered text holds one of `stems` (lower-case)."""
    return any(stem in lowered for stem in stems)
