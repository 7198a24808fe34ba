"""Regular expressions compiled at their first use, not at import.

The parser's modules define about two hundred patterns, and compiling them all took about a third of a
`followthrough parse small.md` process (issue 21): Python keeps no compiled pattern across processes,
and a typical document needs only half of them. A `lazy` pattern is compiled when a method is first
called on it; from then on its methods are the compiled pattern's own bound methods, so a call costs
what a call on a compiled pattern costs. Its source (`.pattern`, `.flags`) is known without compiling,
so bigger patterns can be built from it.
"""

from __future__ import annotations

import re
from typing import Any, cast


class LazyPattern:
    """Stands in for `re.compile(pattern, flags)` until the first method call, then forwards to it."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str) -> Any:
        # Only called for names not set on the instance: the first call of each method. Binding them all
        # here makes every later call a plain attribute lookup (two threads may both compile: harmless).
        compiled = re.compile(self.pattern, self.flags)
        for method in ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split"):
            setattr(self, method, getattr(compiled, method))
        self.groups, self.groupindex = compiled.groups, compiled.groupindex
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r})"


def lazy(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, compiled at the first use (see the module docstring)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, int(flags)))


def compiled(value: object) -> re.Pattern[str] | None:
    """The compiled pattern `value` is or stands for (compiling a lazy one now); None for anything else."""
    if isinstance(value, LazyPattern):
        return re.compile(value.pattern, value.flags)
    return value if isinstance(value, re.Pattern) else None
