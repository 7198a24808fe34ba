"""Line-level structure in prose: bare-line headings, one-statement-per-line runs, wrapped text, diagrams.

Shared by the plain-text front-end and by the Markdown front-end for paragraphs whose lines are really a
list written without markers (a common way people type action items).
"""

from __future__ import annotations

from worker.parse import budget
from worker.parse.blocks import Block, Heading, Paragraph, Text
from worker.parse.patterns import lazy

_MAX_HEADING_CHARS = 90
_MAX_HEADING_WORDS = 10
_KEY_VALUE = lazy(r"^[^:]{1,60}:\s+\S")
_SENTENCE_END = ".!;,"
_DIAGRAM_CHARS = frozenset("+-|=_/\\<>^v*.:~'`#[](){} \t")
_BOX_CHARS = frozenset("+-|=_/\\")


def heading_text(line: str, *, standalone: bool) -> str | None:
    """The heading a bare line stands for, or None when it is ordinary text.

    A line ending in a colon with nothing after it is a heading ("Tasks to Address the Issue:"); a short
    capitalised line standing alone between blank lines is one too ("What happened?").
    """
    text = line.strip().strip("*_=#").strip()
    if not text or len(text) > _MAX_HEADING_CHARS or len(text.split()) > _MAX_HEADING_WORDS:
        return None
    if text.endswith(":"):
        inner = text[:-1].strip().strip("*_").strip()
        return inner if inner and not _KEY_VALUE.match(inner) else None
    if not standalone or _KEY_VALUE.match(text) or text[-1] in _SENTENCE_END:
        return None
    first = text[0]
    if not (first.isupper() or (not first.isalnum() and first not in "-*•([<|")):
        return None
    if len(text.split()) > 8 or text.startswith(("http://", "https://")):
        return None
    return text


def is_diagram(lines: list[str]) -> bool:
    """Whether a group of lines is ASCII art (a flow diagram or box drawing), not text."""
    boxy = 0
    for line in lines:
        budget.tick()
        stripped = line.strip()
        if (stripped and set(stripped) <= _DIAGRAM_CHARS and len(stripped) >= 1) or (
            stripped.startswith(("|", "+")) and stripped.endswith(("|", "+")) and "  " in stripped
        ):
            boxy += 1
    return len(lines) >= 3 and boxy * 2 >= len(lines)


def split_statements(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines back into sentences, keep one-statement-per-line text apart."""
    out: list[str] = []
    for raw in lines:
        budget.tick()
        line = raw.strip()
        if not line:
            continue
        if out and _continues(out[-1], line):
            out[-1] = out[-1].rstrip("-") + ("" if out[-1].endswith("-") else " ") + line
        else:
            out.append(line)
    return out


# A hard-wrapped line that stops at one of these words goes on in the next line ("due by⏎28 February").
_DANGLING = frozenset(
    [
        "by",
        "due",
        "until",
        "before",
        "on",
        "owner",
        "owners",
        "and",
        "or",
        "to",
        "the",
        "a",
        "an",
        "of",
        "for",
        "with",
        "hasta",
        "até",
        "bis",
        "avant",
        "le",
        "la",
        "el",
        "de",
        "du",
        "am",
        "zum",
        "zur",
        "para",
        "pour",
    ]
)


def dangles(line: str) -> bool:
    """Whether a line stops mid-phrase ("… due by"), so the next line continues it."""
    stripped = line.rstrip()
    return " " in stripped and stripped.rsplit(" ", 1)[-1].casefold() in _DANGLING


def _continues(previous: str, line: str) -> bool:
    if previous.endswith((",", "-", "(", "/", "&")) and not previous.endswith(" -"):
        return True
    if dangles(previous):
        return True
    if previous[-1] in ".!?:;)" or previous.endswith("…"):
        return False
    return line[0].islower() or line[0] in "(&"


def line_blocks(lines: list[str], *, level: int, note: bool = False) -> list[Block]:
    """Blocks for one paragraph's lines: colon headings become headings, other lines stay text."""
    statements = split_statements(lines)
    if len(statements) <= 1:
        text = statements[0] if statements else ""
        title = heading_text(text, standalone=False) if text.endswith(":") else None
        if title:
            return [Heading(level=level, content=Text(title))]
        return [Paragraph(Text(text), note=note)] if text else []
    blocks: list[Block] = []
    for statement in statements:
        budget.tick()
        title = heading_text(statement, standalone=False) if statement.endswith(":") else None
        if title:
            blocks.append(Heading(level=level, content=Text(title)))
        else:
            blocks.append(Paragraph(Text(statement), note=note, in_run=True))
    return blocks
