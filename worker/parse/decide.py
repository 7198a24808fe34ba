"""Candidates, then a decision: additive feature scores instead of a cascade where the first rule wins.

Every list item, table row, paragraph line, commitment sentence and item-like sub-heading is a candidate.
Each feature that applies adds its weight; a candidate is an action item when the sum reaches THRESHOLD and
no veto applies. The weights (docs/parsing.md lists them with examples):

    +2  it sits in an action section (a heading on its path means action items, in five languages or in
        the team's `parse.action_sections`)
    +3  it is a row of a table with an action column (the team's `parse.columns` add names)
    +3  it starts with an explicit marker ("AI:", "Action:", "TODO:", the team's `parse.markers`)
    +2  it has a checkbox
    +1  commitment or person-led wording ("We will …", "Ana to …", "Ana will …")
    -2  it introduces, closes or explains the list ("… the following actions:", "Owners report progress
        weekly", a legend "☐ open · ☑ done", "tracked in epic OPS-12")
    -2  a paragraph line in a section that also has a list, table or "we will" prose (background)
    -3  a note, callout or template hint
Vetoes (never an item, whatever the score): an excluded section (timeline, impact, root cause, lessons),
"nothing to do", struck through or marked won't do / dropped, a placeholder, no title left once the fields
are cut out.

Each decision is recorded while a trace is open (`tracing()`), for `followthrough parse --explain`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from worker.parse.patterns import lazy

THRESHOLD = 2

ACTION_SECTION = ("action section", 2)
ACTION_TABLE = ("row of an action table", 3)
MARKER = ("explicit marker", 3)
CHECKBOX = ("checkbox", 2)
COMMITMENT = ("commitment or person-led wording", 1)
FRAMING = ("introduces, closes or explains the list", -2)
BESIDE_STRUCTURE = ("paragraph beside a list, table or commitments", -2)
NOTE = ("note, callout or template hint", -3)

# "We agreed the following actions …:", "Owners report progress weekly", "☐ open · ☑ done",
# "Tracked in epic OPS-12": lines about the list, not in it.
_FRAMING = lazy(
    r"^(?:we\s(?:agreed|decided\son|identified|have\sidentified)|the\sfollowing|below\s(?:are|is)"
    r"|here\s(?:are|is))\b"
    r"|\bthe\sfollowing\s(?:\w+\s){0,3}(?:actions|items|steps|tasks|follow[-\s]?ups)\b"
    r"|\b(?:owners?|everyone|assignees?)\s(?:will\s)?(?:report|update|post)\s(?:\w+\s){0,2}(?:progress|status)\b"
    r"|^(?:all\s)?(?:remaining\s)?(?:work|items?|actions?|follow[-\s]?ups?)\s(?:is|are)\s(?:tracked|managed)"
    r"\s(?:in|under|on)\b"
    r"|^(?:tracked|see)\s(?:in|under)\s(?:epic|the\s(?:epic|board|tracker|project))\b",
    re.I,
)
# "☐ open · ☑ done", "[ ] = todo, [x] = done": the key to the boxes, not an entry.
_LEGEND = lazy(
    r"^[☐☑✅✓✗☒□■\[\]xX ]{0,3}\s?=?\s?(?:open|todo|to\sdo|pending)\s?[·,;/|=-]\s?[☐☑✅✓✗☒□■\[\]xX ]{0,3}"
    r"\s?=?\s?(?:done|closed|complete)\W{0,3}$",
    re.I,
)


def legend(text: str) -> bool:
    """Whether a line only explains what the checkboxes mean."""
    return len(text) < 80 and bool(_LEGEND.match(text.strip()))


def framing(text: str) -> bool:
    """Whether a line introduces, closes or explains the list instead of being one of its entries."""
    head = text[:300].strip()
    if head.endswith(":"):
        return True
    folded = head.casefold()
    return any(word in folded for word in _FRAMING_WORDS) and bool(_FRAMING.search(head))


# Every _FRAMING branch needs one of these words: most lines are screened out without the regex.
_FRAMING_WORDS = (
    "agreed",
    "decided",
    "identified",
    "following",
    "below",
    "here ",
    "report",
    "update",
    "post",
    "tracked",
    "managed",
    "see ",
)


@dataclass(slots=True)
class Decision:
    """One candidate and what was decided about it, with the reasons."""

    source: str  # "list item", "table row", "line", "sentence", "heading"
    text: str  # the candidate's text, shortened
    section: str | None
    features: list[tuple[str, int]] = field(default_factory=list)
    veto: str | None = None
    title: str | None = None  # the item's title when taken

    @property
    def score(self) -> int:
        return sum(weight for _, weight in self.features)

    @property
    def taken(self) -> bool:
        return self.veto is None and self.score >= THRESHOLD

    def add(self, feature: tuple[str, int], applies: bool = True) -> None:
        if applies:
            self.features.append(feature)

    def refuse(self, reason: str) -> None:
        """A veto: the candidate is no item whatever its score (the first veto is the one reported)."""
        if self.veto is None:
            self.veto = reason

    def explain(self) -> str:
        """One line: TAKEN/SKIPPED, the candidate, its score and reasons."""
        parts = [f"{name} {weight:+d}" for name, weight in self.features] or [
            "no feature (not under an action heading, no marker, no checkbox)"
        ]
        verdict = "TAKEN  " if self.taken else "SKIPPED"
        why = f"vetoed: {self.veto}" if self.veto else f"score {self.score} (needs {THRESHOLD})"
        where = f" in «{self.section}»" if self.section else ""
        shown = f" → «{self.title}»" if self.taken and self.title and self.title != self.text else ""
        return f"{verdict} {self.source}{where}: «{self.text}»{shown} — {why}: {', '.join(parts)}"


_TRACE: ContextVar[list[Decision] | None] = ContextVar("followthrough_parse_trace", default=None)
_MAX_SHOWN = 120


@contextmanager
def tracing() -> Iterator[list[Decision]]:
    """Record every decision made inside the block; yields the list they are appended to."""
    decisions: list[Decision] = []
    token = _TRACE.set(decisions)
    try:
        yield decisions
    finally:
        _TRACE.reset(token)


def candidate(source: str, text: str, section: str | None) -> Decision:
    """A new candidate, recorded when a trace is open."""
    trace = _TRACE.get()
    if trace is None:
        return Decision(source=source, text="", section=section)  # decided, not shown: skip the text work
    flat = " ".join(text[: _MAX_SHOWN * 2].split())
    shown = flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 1] + "…"
    decision = Decision(source=source, text=shown, section=section)
    trace.append(decision)
    return decision
