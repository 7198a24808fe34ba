"""A static audit of regexes: nested unbounded quantifiers, and unbounded single-character repeats over
overlapping characters that sit side by side (possibly with only optional items between them).

Both shapes make a backtracking engine try O(n^2) or worse splits of a run of matching characters that
ends in a mismatch. The audit walks `re`'s own parse tree (re._parser, CPython's sre), so it sees the
pattern exactly as the engine does.
"""

from __future__ import annotations

import re
import re._compiler as sre_compile  # CPython internals: stable across 3.11-3.13
import re._constants as sre_constants
import re._parser as sre_parse
from typing import Any

_SAMPLE = [chr(c) for c in range(0x20, 0x7F)] + list("\t\n\u00a0éÉßüÀ—–·•…“”’→✅☐٣中")
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}
_SINGLE = {sre_constants.LITERAL, sre_constants.NOT_LITERAL, sre_constants.ANY, sre_constants.IN}


def _unbounded(item: tuple[Any, Any]) -> bool:
    op, av = item
    return op in _REPEATS and av[1] == sre_constants.MAXREPEAT and op != sre_constants.POSSESSIVE_REPEAT


def _optional(item: tuple[Any, Any]) -> bool:
    op, av = item
    return op in _REPEATS and av[0] == 0


def _single_char_body(item: tuple[Any, Any]) -> sre_parse.SubPattern | None:
    body = item[1][2]
    if len(body.data) == 1 and body.data[0][0] in _SINGLE:
        return body
    return None


def _chars(body: sre_parse.SubPattern, flags: int) -> set[str]:
    compiled = sre_compile.compile(body, flags)
    return {ch for ch in _SAMPLE if compiled.fullmatch(ch)}


def _children(item: tuple[Any, Any]) -> list[sre_parse.SubPattern]:
    op, av = item
    if op in _REPEATS:
        return [av[2]]
    if op == sre_constants.SUBPATTERN:
        return [av[3]]
    if op == sre_constants.BRANCH:
        return list(av[1])
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [av[1]]
    if op == sre_constants.GROUPREF_EXISTS:
        return [b for b in av[1:] if b is not None]
    if op == sre_constants.ATOMIC_GROUP:
        return [av]
    return []


def _has_unbounded(sub: sre_parse.SubPattern) -> bool:
    for item in sub.data:
        if _unbounded(item):
            return True
        if any(_has_unbounded(child) for child in _children(item)):
            return True
    return False


def problems(pattern: re.Pattern[str]) -> list[str]:
    """Descriptions of the super-linear shapes found in a compiled pattern ([] when none)."""
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    found: list[str] = []
    _walk(tree, pattern.flags, found)
    return found


def _walk(sub: sre_parse.SubPattern, flags: int, found: list[str]) -> None:
    items = sub.data
    for index, item in enumerate(items):
        if _unbounded(item) and _has_unbounded(item[1][2]):
            found.append(f"nested unbounded quantifier at item {index}")
        if _unbounded(item):
            first = _single_char_body(item)
            for later in items[index + 1 :]:
                if _unbounded(later):
                    second = _single_char_body(later)
                    if (
                        first is not None
                        and second is not None
                        and _chars(first, flags) & _chars(second, flags)
                    ):
                        found.append(f"adjacent unbounded repeats over the same characters at item {index}")
                    break
                if not _optional(later):
                    break
        for child in _children(item):
            _walk(child, flags, found)
