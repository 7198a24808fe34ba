"""Markdown front-end (markdown-it-py, GFM tables, task lists); embedded HTML goes to the HTML front-end."""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import isStrSpace
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_core import block as _core_block
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from worker.parse import budget
from worker.parse.blocks import Block, Heading, ListItem, Paragraph, Table, Text
from worker.parse.errors import ParseError
from worker.parse.lines import heading_text, line_blocks
from worker.parse.patterns import lazy
from worker.parse.pipe_tables import MARKER_PREFIX, extract_tables, plain_cell
from worker.parse.plaintext import checkbox
from worker.parse.refs import is_issue_url
from worker.parse.sections import Kind, classify_heading

_DELIMITER_CELL = lazy(r"^:?-{3,}:?$")
_TAG = lazy(r"<[^<>]{0,2000}>")
_BR = lazy(r"<br\s{0,5}/?>", re.I)
_HIDDEN_OPEN = lazy(r"<(?:script|style|template|noscript)\b", re.I)
_HIDDEN_CLOSE = lazy(r"</(?:script|style|template|noscript)\s{0,5}>", re.I)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=True so embedded HTML blocks arrive as tokens we hand to the HTML front-end.
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    # no tasklists plugin: its parent lookup is quadratic; _close_item reads the box from the text
    md.core.ruler.at("inline", _inline)
    md.core.ruler.at("block", _block)
    # The budget inside markdown-it: a rule that never matches runs first at every inline position (also
    # when a link label is scanned ahead through skipToken) and at every block line, and checks the clock.
    md.inline.ruler.before(md.inline.ruler.get_all_rules()[0], "followthrough_budget", _budget_inline)
    md.block.ruler.before(md.block.ruler.get_all_rules()[0], "followthrough_budget", _budget_block)
    # Compile every rule chain now, before any parse can see the parser. markdown-it compiles a ruler on
    # first use and fills the table after publishing it (markdown_it/ruler.py, `Ruler.__compile__`), so in
    # a threads worker a parse starting meanwhile found no rules and read the document as empty.
    for ruler in (md.core.ruler, md.block.ruler, md.inline.ruler, md.inline.ruler2):
        ruler.getRules("")
    return md


def _block(state: StateCore) -> None:
    """markdown-it's core "block" rule, with the line scan (one Python step per line: 2 s for 5 MB of
    short lines, which no rule hook can interrupt) done here under the budget. The markers are computed
    exactly as StateBlock.__init__ computes them (markdown-it-py 4.x, pinned in constraints.txt)."""
    if state.inlineMode or not state.src:
        _core_block(state)
        return
    block = StateBlock("", state.md, state.env, state.tokens)  # empty source: no scan, markers set below
    block.src = state.src
    _line_marks(block, state.src)
    state.md.block.tokenize(block, block.line, block.lineMax)


def _line_marks(block: StateBlock, src: str) -> None:
    b_marks, e_marks, t_shift, s_count, bs_count = [], [], [], [], []
    start, length, find = 0, len(src), src.find
    while start < length:
        budget.tick()
        end = find("\n", start)
        if end < 0:
            end = length
        indent = offset = 0
        pos = start
        while pos < end:
            character = src[pos]
            if not isStrSpace(character):
                break
            indent += 1
            offset += 4 - offset % 4 if character == "\t" else 1
            pos += 1
        if pos == end == length:
            break  # a final line of only spaces/tabs with no "\n" gets no marker, as upstream
        b_marks.append(start)
        e_marks.append(end)
        t_shift.append(indent)
        s_count.append(offset)
        bs_count.append(0)
        start = end + 1 if end < length else length
    for marks, last in ((b_marks, length), (e_marks, length), (t_shift, 0), (s_count, 0), (bs_count, 0)):
        marks.append(last)  # the fake entry that simplifies bounds checks
    block.bMarks, block.eMarks, block.tShift, block.sCount, block.bsCount = (
        b_marks,
        e_marks,
        t_shift,
        s_count,
        bs_count,
    )
    block.lineMax = len(b_marks) - 1


def _budget_inline(state: StateInline, silent: bool) -> bool:
    budget.tick()
    return False


def _budget_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    budget.tick()
    return False


# The characters at which one of the enabled inline rules (newline, escape, backticks, strikethrough,
# emphasis, link, image, autolink, html_inline, entity) can start; text without any of them is one text token.
_INLINE_MARKUP = lazy(r"[\n\\`~*_\[\]!<&]")


_TASK_BOXES = ("[ ] ", "[x] ", "[X] ")


def _plain_inline(content: str, env: MutableMapping[str, Any]) -> bool:
    """Whether markdown-it's inline parser would make `content` one text token: it has no markup
    character, or only a leading task box ("[x] ...", not a link while the document defines no link
    reference, as a box is followed by a space and not by "(" or "[")."""
    if not content:
        return False
    if _INLINE_MARKUP.search(content) is None:
        return True
    if content[:4] not in _TASK_BOXES or env.get("references"):
        return False
    return _INLINE_MARKUP.search(content, 3) is None


def _inline(state: StateCore) -> None:
    """markdown-it's core "inline" rule, without running the inline parser on plain text (most of it)."""
    md = state.md
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            content = token.content
            if _plain_inline(content, state.env):
                text = Token("text", "", 0)
                text.content = content
                token.children.append(text)
            else:
                md.inline.parse(content, md, state.env, token.children)


_FRONT_MATTER_END = lazy(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_FRONT_MATTER_MAX = 8000
_JIRA_MENTION = lazy(r"\[~(?:accountid:)?([^\]\n|\[]{1,200})\]")


def parse_markdown(text: str) -> list[Block]:
    """Parse Markdown into blocks; YAML front matter becomes "key: value" lines the metadata reader sees."""
    front, text = _front_matter(text)
    lines, tables = extract_tables(text.split("\n"), _render_cell)
    if tables:
        text = "\n".join(lines)
    try:
        tokens = _parser().parse(text)
    except RecursionError:
        raise ParseError("the Markdown is nested too deeply to read") from None
    blocks = _Builder(lines, tables).build(tokens)
    return front + blocks


def _render_cell(cell: str) -> Text:
    plain = plain_cell(cell)
    if plain is None:
        plain = simple_link_cell(cell)
    if plain is not None:
        return plain
    # Marked-up cells repeat down a column ("[~frank]", "**Done**"): each distinct one is parsed once.
    # Texts are mutable (extraction fills them in), so each cell gets its own copy.
    done = _render_marked(cell) if len(cell) <= _CELL_CACHE_CHARS else _render_marked.__wrapped__(cell)
    return Text(
        done.text, list(done.mentions), list(done.dates), list(done.refs), done.checked, done.struck_chars
    )


_CELL_CACHE_CHARS = 300
# A cell that is one link and nothing else ("[PAY-5](https://jira…/PAY-5)", a tracker column): a label
# without any character an inline rule starts at, a destination without spaces, parentheses, brackets,
# escapes, entities or control characters. markdown-it makes link_open (href = its normalised
# destination), one text, link_close of it; an href that fails markdown-it's own validation is left to
# the full parser.
_SIMPLE_LINK = lazy(r"\[([^\[\]\\`*_<>&!~\n]{1,500})\]\(([^\s()<>\\\[\]&\x00-\x1f\x7f]{1,2000})\)")


def simple_link_cell(cell: str) -> Text | None:
    """The rendered cell when it is one simple link (as markdown-it would render it), else None."""
    match = _SIMPLE_LINK.fullmatch(cell)
    if match is None:
        return None
    md = _parser()
    href = md.normalizeLink(match.group(2))
    if not md.validateLink(href):
        return None
    out = Text("")
    if is_issue_url(href):
        out.refs.append(href)
    out.text = _finish(out, match.group(1), cell=True)
    return out


@lru_cache(maxsize=4096)
def _render_marked(cell: str) -> Text:
    inline = _parser().parseInline(cell)
    return render_inline(inline[0], cell=True) if inline else Text("")


def _front_matter(text: str) -> tuple[list[Block], str]:
    """Split "---\nteam: x\n---" off the top: one note paragraph of its simple key: value lines."""
    if not text.startswith("---\n"):
        return [], text
    end = _FRONT_MATTER_END.search(text, 4, _FRONT_MATTER_MAX)
    if end is None:
        return [], text
    lines = []
    for line in text[4 : end.start()].split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            lines.append(f"{key.strip()}: {value.strip().strip(chr(34) + chr(39))}")
    rest = text[end.end() :]
    return ([Paragraph(Text("\n".join(lines)), note=True)] if lines else []), rest


class _Builder:
    def __init__(self, source_lines: list[str], tables: list[Table] | None = None) -> None:
        self.source = source_lines
        self.tables = tables or []
        self.blocks: list[Block] = []
        self.heading_level = 0
        self.list_depth = -1
        self.ordered: list[bool] = []
        self.item: ListItem | None = None
        self.item_nested = False
        self.note_depth = 0

    def build(self, tokens: list[Token]) -> list[Block]:
        i = 0
        while i < len(tokens):
            budget.tick()
            token = tokens[i]
            kind = token.type
            if kind == "heading_open":
                content = render_inline(tokens[i + 1])
                self.heading_level = int(token.tag[1:])
                if content.text:
                    self.blocks.append(Heading(level=self.heading_level, content=content))
                i += 3
                continue
            if kind in ("bullet_list_open", "ordered_list_open"):
                self._close_item()
                self.list_depth += 1
                self.ordered.append(kind == "ordered_list_open")
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self._close_item()
                self.list_depth -= 1
                self.ordered.pop()
            elif kind == "list_item_open":
                self._close_item()
                self.item = ListItem(Text(""), depth=self.list_depth, ordered=self.ordered[-1])
            elif kind == "list_item_close":
                self._close_item()
            elif kind == "paragraph_open":
                self._paragraph(tokens[i + 1])
                i += 3
                continue
            elif kind == "table_open":
                i = self._table(tokens, i)
                continue
            elif kind == "html_block":
                self._close_item()
                self._html(token.content)
            i += 1
        self._close_item()
        return self.blocks

    def _close_item(self) -> None:
        if self.item is not None:
            checked, body = checkbox(self.item.content.text)
            if checked is not None and self.item.checked is None:
                self.item.checked = checked
                self.item.content.text = body
            if self.item.content.text:
                self.blocks.append(self.item)
            self.item = None

    def _paragraph(self, inline: Token) -> None:
        content = render_inline(inline)
        if self.item is not None:
            sep = "\n" if self.item.content.text else ""
            self.item.content.text += sep + content.text
            self.item.content.extend(content)
            return
        note = self.note_depth > 0 or _wholly_emphasised(inline)
        lines = content.text.split("\n")
        if len(lines) > 1:
            new = line_blocks(lines, level=self.heading_level + 1, note=note)
            if len(new) > 1 or isinstance(new[0], Heading):
                for block in new:
                    if isinstance(block, Paragraph):
                        block.content.extend(_facts_for(block.content.text, content))
                self.blocks.extend(new)
                return
        single = lines[0] if len(lines) == 1 else ""
        title = heading_text(single, standalone=True) if single and not note else None
        if title and (single.rstrip().endswith(":") or classify_heading(title) is not Kind.NEUTRAL):
            # A bare line such as "Follow-up actions:" used as a heading without Markdown heading syntax.
            self.blocks.append(Heading(level=self.heading_level + 1, content=Text(title)))
            return
        if content.text:
            self.blocks.append(Paragraph(content, note=note))

    def _html(self, html: str) -> None:
        stripped = html.strip()
        if stripped.startswith(MARKER_PREFIX) and stripped.endswith("-->"):
            number = stripped[len(MARKER_PREFIX) : -3]
            if number.isdigit() and int(number) < len(self.tables):
                self.blocks.append(self.tables[int(number)])
                return
        if not _TAG.sub("", stripped).strip():
            # Only tags: an <aside> opener/closer around Markdown; the Markdown inside is parsed normally.
            return
        from worker.parse.html import parse_html  # lxml: loaded for the first HTML block

        try:
            blocks = parse_html(f"<div>{stripped}</div>")
        except ParseError:
            blocks = []
        lowered = stripped.lower()
        for block in blocks:
            if isinstance(block, Paragraph) and (lowered.startswith("<aside") or "<aside" in lowered[:200]):
                block.note = True
        self.blocks.extend(blocks)

    def _table(self, tokens: list[Token], start: int) -> int:
        """Collect a table; a delimiter row inside it starts a new table, a pipe-less row is a paragraph."""
        rows, end = _table_rows(tokens, start)
        self._close_item()
        header: list[Text] = []
        body: list[list[Text]] = []

        def flush() -> None:
            if header or body:
                self.blocks.append(Table(header=list(header), rows=list(body)))

        for cells, is_head, source_line in rows:
            raw = self.source[source_line] if 0 <= source_line < len(self.source) else "|"
            if is_head:
                header = cells
            elif _is_delimiter_row(cells):
                # "| a | b |\n|---|---|" glued to the previous table: the last row was this table's header.
                last = body.pop() if body else []
                flush()
                header, body = last, []
            elif "|" not in raw:
                # GFM lets a pipe-less line continue a table; in practice it is a paragraph after it.
                flush()
                header, body = [], []
                text = " ".join(c.text for c in cells if c.text).strip()
                if text:
                    self.blocks.append(Paragraph(Text(text)))
            else:
                body.append(cells)
        flush()
        return end + 1


def _is_delimiter_row(cells: list[Text]) -> bool:
    return all(_DELIMITER_CELL.match(c.text.strip()) for c in cells if c.text.strip()) and any(
        c.text.strip() for c in cells
    )


def _table_rows(tokens: list[Token], start: int) -> tuple[list[tuple[list[Text], bool, int]], int]:
    """A table's rows (cells, is header, source line) and the index of its table_close token."""
    rows: list[tuple[list[Text], bool, int]] = []
    i = start + 1
    current: list[Text] = []
    in_head = False
    line = -1
    while i < len(tokens) and tokens[i].type != "table_close":
        token = tokens[i]
        if token.type in ("thead_open", "thead_close"):
            in_head = token.type == "thead_open"
        elif token.type == "tr_open":
            current = []
            line = token.map[0] if token.map else -1
        elif token.type == "tr_close":
            rows.append((current, in_head, line))
        elif token.type == "inline":
            current.append(render_inline(token, cell=True))
        i += 1
    return rows, i


def _facts_for(line: str, whole: Text) -> Text:
    """The mentions/refs of a multi-line paragraph that belong to one of its lines."""
    return Text(
        "",
        mentions=[m for m in whole.mentions if m in line],
        refs=[r for r in whole.refs if r in line],
        dates=[d for d in whole.dates if d in line],
    )


def _wholly_emphasised(inline: Token) -> bool:
    children = inline.children or []
    if len(children) < 3 or children[0].type != "em_open" or children[-1].type != "em_close":
        return False
    depth = 0
    for index, child in enumerate(children):
        depth += child.type == "em_open"
        depth -= child.type == "em_close"
        outside = depth == 0 and index < len(children) - 1
        if outside and child.type != "em_close" and (child.type != "text" or child.content.strip()):
            return False
    return True


def render_inline(token: Token, *, cell: bool = False) -> Text:
    """Plain text of an inline token: markup dropped, link targets kept as refs when they are issues."""
    out = Text("")
    parts: list[str] = []
    hidden = False  # inside inline <script>/<style>: content is code, never text
    struck = 0  # depth of ~~strikethrough~~
    for child in token.children or []:
        if child.type in ("s_open", "s_close"):
            struck += 1 if child.type == "s_open" else -1
        elif struck > 0 and child.type == "text":
            out.struck_chars += len("".join(child.content.split()))
        if child.type == "html_inline" and _HIDDEN_OPEN.match(child.content):
            hidden = not child.content.rstrip().endswith("/>")
        elif child.type == "html_inline" and _HIDDEN_CLOSE.match(child.content):
            hidden = False
        elif not hidden:
            handler = _INLINE_HANDLERS.get(child.type)
            if handler is not None:
                handler(child, out, parts)
    out.text = _finish(out, "".join(parts), cell=cell)
    return out


def _text_part(child: Token, out: Text, parts: list[str]) -> None:
    parts.append(child.content)


def _break_part(child: Token, out: Text, parts: list[str]) -> None:
    parts.append("\n")


def _link_part(child: Token, out: Text, parts: list[str]) -> None:
    href = str(child.attrs.get("href", ""))
    if is_issue_url(href):
        out.refs.append(href)


def _html_part(child: Token, out: Text, parts: list[str]) -> None:
    if _BR.fullmatch(child.content.strip()):
        parts.append("\n")
    elif "checkbox" in child.content and "<input" in child.content:
        out.checked = "checked" in child.content


_INLINE_HANDLERS: dict[str, Callable[[Token, Text, list[str]], None]] = {
    "text": _text_part,
    "code_inline": _text_part,
    "softbreak": _break_part,
    "hardbreak": _break_part,
    "link_open": _link_part,
    "html_inline": _html_part,
}


def _finish(out: Text, text: str, *, cell: bool) -> str:
    """The rendered text on tidy lines; a cell's literal tags dropped, Jira mentions noted."""
    if cell:
        # Cells may carry literal <br> inside code spans or escaped form; anything tag-like is dropped.
        text = _BR.sub("\n", text)
        text = _TAG.sub(" ", text) if "<" in text else text
    if "[~" in text:
        # Jira-style mentions pasted into Markdown: a mention, as in Jira wiki.
        def mention(match: re.Match[str]) -> str:
            out.mentions.append(match.group(1).strip())
            return match.group(1).strip()

        text = _JIRA_MENTION.sub(mention, text)
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())
