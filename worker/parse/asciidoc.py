"""AsciiDoc front end: the document's structure rewritten as Markdown, which the Markdown front end reads.

No well-kept AsciiDoc parser exists for Python (Asciidoctor is Ruby), and postmortems use a small part of
the language: `=` titles, `:attribute: value` lines, `|===` tables (cells on one line or one per line),
`*`/`.` lists with `[ ]`/`[x]` boxes, `.Block titles` (headings here) and delimited blocks (`====`, `****`,
`--`), whose content is kept. Admonition paragraphs (`NOTE:`, `TIP:`) are callouts.
"""

from __future__ import annotations

from worker.parse import budget
from worker.parse.blocks import Block
from worker.parse.markdown import parse_markdown
from worker.parse.patterns import lazy

_TITLE = lazy(r"^(={1,6})\s+(\S.*)$")
_ATTRIBUTE = lazy(r"^:([\w-]{1,60}):\s*(.*)$")
_BLOCK_TITLE = lazy(r"^\.([A-Za-zÀ-ÿ0-9].{0,200})$")
_DELIMITER = lazy(r"^(?:={4,}|\*{4,}|-{2}|_{4,}|\+{4,})\s*$")
_LIST = lazy(r"^(\*{1,5}|\.{1,5}|-)\s+(.*)$")
_ADMONITION = lazy(r"^(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION):\s+(.*)$")


def parse_asciidoc(text: str) -> list[Block]:
    """Parse AsciiDoc into blocks."""
    out: list[str] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        budget.tick()
        line = lines[index].rstrip()
        index += 1
        if line.startswith("|==="):
            index = _table(lines, index, out)
            continue
        out.append(_line(line))
    return parse_markdown("\n".join(out))


def _line(line: str) -> str:
    """One AsciiDoc line as Markdown."""
    title = _TITLE.match(line)
    if title:
        return "#" * len(title.group(1)) + " " + title.group(2)
    attribute = _ATTRIBUTE.match(line)
    if attribute:
        return f"{attribute.group(1).replace('-', ' ')}: {attribute.group(2)}\n"
    block_title = _BLOCK_TITLE.match(line)
    if block_title and not line.startswith(".."):
        return "#### " + block_title.group(1)
    if (
        _DELIMITER.match(line)
        or (line.startswith(("[", "//")) and line.endswith("]"))
        or line.startswith("//")
    ):
        return ""  # block delimiters, attribute lists, comments: the content inside is kept
    item = _LIST.match(line)
    if item:
        depth = len(item.group(1)) - 1 if item.group(1) != "-" else 0
        marker = "1." if item.group(1).startswith(".") else "-"
        return "  " * depth + f"{marker} {item.group(2)}"
    admonition = _ADMONITION.match(line)
    if admonition:
        return f"<aside>{admonition.group(1)}</aside>"
    return line


def _table(lines: list[str], index: int, out: list[str]) -> int:
    """A `|===` table as a Markdown pipe table; returns the index after its closing `|===`."""
    cells: list[str] = []
    rows: list[list[str]] = []
    width = 0
    while index < len(lines) and not lines[index].startswith("|==="):
        budget.tick()
        line = lines[index].strip()
        index += 1
        if not line:
            if cells and not width:
                width = len(cells)  # a blank line ends the header row: it fixes the width
            continue
        if line.startswith("|"):
            cells.extend(cell.strip() for cell in line[1:].split("|"))
        elif cells:
            cells[-1] = f"{cells[-1]} {line}"
    width = width or len(cells)
    rows = [cells[start : start + width] for start in range(0, len(cells), width)] if width else []
    if rows:
        out.append("")
        out.append("| " + " | ".join(rows[0]) + " |")
        out.append("|" + "---|" * width)
        out.extend("| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in rows[1:])
        out.append("")
    return index + 1
