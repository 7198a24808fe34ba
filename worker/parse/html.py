"""HTML and Confluence storage XHTML front-end: Confluence/Notion/Google Docs exports and generic HTML.

Parsing is done by lxml with network access, DTD loading and huge trees off. Documents that declare
entities (the vector of entity bombs and external-entity reads) are refused before any parser sees them.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Iterator

import lxml.etree as etree
import lxml.html

from worker.parse import budget
from worker.parse.blocks import Block, Heading, ListItem, Paragraph, Table, Text
from worker.parse.errors import ParseError
from worker.parse.patterns import lazy
from worker.parse.refs import is_issue_url
from worker.parse.sections import Kind, classify_heading

AC = "urn:followthrough:ac"
RI = "urn:followthrough:ri"
_AC = "{" + AC + "}"
_RI = "{" + RI + "}"

_ENTITY_DECL = lazy(r"<!ENTITY", re.I)
_DOCTYPE_SUBSET = lazy(r"<!DOCTYPE[^>\[]{0,500}\[", re.I)
_NAMED_ENTITY = lazy(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})

_SKIP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "pre",
        "code",
        "svg",
        "math",
        "button",
        "select",
        "textarea",
        "iframe",
        "object",
        "img",
        "figcaption",
    }
)
#: Inline HTML elements: never containers, whatever they hold.
_INLINE = frozenset(
    {
        "a",
        "span",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "del",
        "ins",
        "code",
        "kbd",
        "mark",
        "small",
        "sub",
        "sup",
        "time",
        "label",
        "font",
        "abbr",
        "cite",
        "q",
        "li",
        "td",
        "th",
    }
)
_BLOCK_CONTAINERS = frozenset(
    {
        "html",
        "body",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "nav",
        "blockquote",
        "figure",
        "details",
        "summary",
        "center",
        "form",
        "fieldset",
        "tbody",
    }
)
_NOTE_CLASSES = lazy(
    r"\b(?:callout|confluence-information-macro|aui-message|admonition|note|tip|hint|alert)\b", re.I
)
_HEADING = lazy(r"h([1-6])")
# Callouts: never items. A panel is a container, not a callout (teams put action tables in panels).
_NOTE_MACROS = frozenset({"info", "note", "warning", "tip", "excerpt-include"})
_SKIP_MACROS = frozenset(
    {
        "code",
        "noformat",
        "toc",
        "children",
        "attachments",
        "anchor",
        "gallery",
        "recently-updated",
        "contentbylabel",
        "livesearch",
        "drawio",
        "gliffy",
    }
)
_DONE_STATUS = frozenset({"complete", "completed", "done", "checked"})


def reject_entity_declarations(text: str) -> None:
    """Refuse documents that declare entities: no legitimate export needs them, bombs and XXE do."""
    if _ENTITY_DECL.search(text) or _DOCTYPE_SUBSET.search(text):
        raise ParseError("the document declares XML entities (refused: entity expansion is disabled)")


_FEED_CHUNK = 64 * 1024


def _feed(text: str, parser: lxml.html.HTMLParser) -> etree._Element:
    """The parsed page, fed in chunks so the budget is checked while lxml works (one call of 5 MB takes
    over a second on a busy machine and cannot be interrupted)."""
    for start in range(0, len(text), _FEED_CHUNK):
        parser.feed(text[start : start + _FEED_CHUNK])
        budget.check()
    root = parser.close()
    if root is None:
        raise etree.ParserError("Document is empty")
    return root


def parse_html(text: str) -> list[Block]:
    """Parse an HTML page (any export flavour) into blocks."""
    reject_entity_declarations(text)
    if _ends_inside_tag(text):
        raise ParseError("malformed HTML: the document ends inside a tag or comment")
    parser = lxml.html.HTMLParser(
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        default_doctype=False,  # type: ignore[call-arg]  # missing from lxml-stubs
    )
    try:
        root = _feed(text, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"malformed HTML: {_one_line(str(exc))}") from None
    walker = _Walker()
    walker.walk_children(root)
    blocks = walker.blocks
    title = root.find(".//title")
    if title is not None and title.text and not any(isinstance(b, Heading) for b in blocks[:1]):
        page_title = _strip_space_prefix(" ".join(title.text.split()))
        if page_title:
            blocks.insert(0, Heading(level=1, content=Text(page_title)))
    visible = sum(len(_text_of(b)) for b in blocks)
    outside_tags = re.sub(r"<[^<>]{0,10000}>", "", text)
    if visible == 0 and len(outside_tags.strip()) > 40:
        raise ParseError("malformed HTML: no readable text could be recovered")
    return blocks


def _ends_inside_tag(text: str) -> bool:
    """Whether the text ends inside a tag or comment: its last "<" opens a tag that no ">" closes."""
    opened = text.rfind("<")
    if opened < 0 or text.rfind(">") > opened or opened + 1 >= len(text):
        return False
    follower = text[opened + 1]
    return follower in "!/" or (follower.isascii() and follower.isalpha())


def parse_storage(text: str) -> list[Block]:
    """Parse Confluence storage format (XHTML with ac:/ri: elements) into blocks."""
    reject_entity_declarations(text)
    body = re.sub(r"\A\s*<\?xml[^>]{0,200}\?>", "", text)
    # Storage fragments use HTML named entities (&nbsp;) that XML does not define; map them to characters.
    body = _NAMED_ENTITY.sub(_numeric_entity, body)
    wrapped = f'<ft-root xmlns:ac="{AC}" xmlns:ri="{RI}">{body}</ft-root>'
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(wrapped.encode("utf-8"), parser=parser)
    except etree.XMLSyntaxError as exc:
        line = max(1, (exc.lineno or 1))
        raise ParseError(
            f"malformed Confluence storage XML at line {line}: {_one_line(exc.msg or str(exc))}"
        ) from None
    walker = _Walker()
    walker.walk_children(root)
    return walker.blocks


def _numeric_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_PREDEFINED:
        return match.group(0)
    char = html_lib.unescape(f"&{name};")
    if char == f"&{name};":
        return match.group(0)  # unknown: let the XML parser report it
    return "".join(f"&#{ord(c)};" for c in char)


def _one_line(message: str) -> str:
    return " ".join(message.split())[:200]


def _strip_space_prefix(title: str) -> str:
    # Confluence exports title pages "Space name : Page title".
    return title.split(" : ", 1)[1] if " : " in title else title


def _text_of(block: Block) -> str:
    if isinstance(block, Table):
        return " ".join(cell.text for row in [block.header, *block.rows] for cell in row)
    return block.content.text


def _local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    if tag.startswith(_AC):
        return "ac:" + tag[len(_AC) :]
    if tag.startswith(_RI):
        return "ri:" + tag[len(_RI) :]
    if tag.startswith("{"):
        return tag.rsplit("}", 1)[1].lower()
    return tag.lower()


def _attr(el: etree._Element, name: str) -> str | None:
    """Attribute by prefixed name (`ri:account-id`, `ac:name`) or plain name."""
    if name.startswith("ri:"):
        value = el.get(_RI + name[3:])
    elif name.startswith("ac:"):
        value = el.get(_AC + name[3:])
    else:
        value = el.get(name)
    return value if value is None else str(value)


def _classes(el: etree._Element) -> str:
    return str(el.get("class") or "")


class _Walker:
    """Turns an element tree into blocks; one instance per document."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._note_depth = 0
        self.level = 1  # the last heading's level: a container's title nests one below it

    @property
    def note(self) -> bool:
        """Inside a callout or aside: text here is never an item."""
        return self._note_depth > 0

    # --- block level ----------------------------------------------------------------------------
    def walk_children(self, el: etree._Element) -> None:
        pending = Text("")
        pending.text = el.text or ""
        for child in el:
            name = _local(child)
            if self._is_block(child, name):
                self._flush_inline(pending)
                pending = Text(child.tail or "")
                self.walk_block(child, name)
            else:
                self._inline_into(child, pending)
                pending.text += child.tail or ""
        self._flush_inline(pending)

    def _flush_inline(self, pending: Text) -> None:
        text = _squash(pending.text)
        if text:
            pending.text = text
            self.blocks.append(Paragraph(pending, note=self._note_depth > 0))

    def _is_block(self, el: etree._Element, name: str) -> bool:
        if (
            name in _SKIP
            or name in _BLOCK_CONTAINERS
            or name in {"p", "ul", "ol", "table", "aside", "hr", "dl"}
        ):
            return True
        if _HEADING.fullmatch(name):
            return True
        if (
            ":" not in name
            and name not in _INLINE
            and any(
                _local(child) in _BLOCK_CONTAINERS
                or _local(child) in {"p", "ul", "ol", "table"}
                or _HEADING.fullmatch(_local(child))
                for child in el
            )
        ):
            return True  # an unknown element (custom XML, web components) holding blocks is a container
        return (
            name.startswith("ac:")
            and name not in {"ac:link", "ac:emoticon", "ac:placeholder", "ac:image"}
            and not (name == "ac:structured-macro" and _attr(el, "ac:name") in {"jira", "status", "mention"})
        )

    def walk_block(self, el: etree._Element, name: str) -> None:
        budget.tick()
        if name in _SKIP or name == "hr":
            return
        heading = _HEADING.fullmatch(name)
        if heading:
            content = self.inline(el)
            if el.get("id") == "title-heading":
                content.text = _strip_space_prefix(content.text)
            self._heading(content, int(heading.group(1)))
            return
        handler = _BLOCK_HANDLERS.get(name)
        if handler is not None:
            handler(self, el, name)
            return
        if name.startswith(("ac:", "ri:")) and name not in _TRANSPARENT_AC:
            return
        classes = _classes(el)
        if _CONTAINER_TITLE_CLASSES.search(classes) or (name == "div" and _bold_only(el)):
            self._title_or_paragraph(el)  # a panel's or expand's title in an export, "<div><b>…</b></div>"
            return
        note = name == "aside" or bool(_NOTE_CLASSES.search(classes))
        self._note_depth += note
        self.walk_children(el)
        self._note_depth -= note

    def _heading(self, content: Text, level: int) -> None:
        if content.text:
            self.level = level
            self.blocks.append(Heading(level=level, content=content))

    def _container_title(self, title: str) -> None:
        """A container's title (expand, panel, <summary>) counts as a heading one level down."""
        text = _squash(title)
        if text:
            self.blocks.append(Heading(level=min(max(self.level + 1, 2), 6), content=Text(text)))

    def _paragraph(self, el: etree._Element, name: str) -> None:
        if _bold_only(el):
            self._title_or_paragraph(el)
            return
        content = self.inline(el)
        if content.text:
            self.blocks.append(Paragraph(content, note=self._note_depth > 0 or _wholly_emphasised(el)))

    def _title_or_paragraph(self, el: etree._Element) -> None:
        """Mail clients and exports write section titles as bold paragraphs: such a short line that names
        a section (or ends with a colon) is a heading; anything else stays a paragraph."""
        content = self.inline(el)
        text = content.text
        short = bool(text) and "\n" not in text and len(text) <= 80 and not text.endswith(".")
        if short and (text.endswith(":") or classify_heading(text) is not Kind.NEUTRAL):
            self._container_title(text.rstrip(":"))
            return
        if text:
            self.blocks.append(Paragraph(content, note=self._note_depth > 0))

    def _macro(self, el: etree._Element, name: str) -> None:
        macro = (_attr(el, "ac:name") or "").lower()
        if macro in _SKIP_MACROS:
            return
        params = {(_attr(p, "ac:name") or ""): _itertext(p) for p in el if _local(p) == "ac:parameter"}
        if params.get("title") and macro not in _NOTE_MACROS:
            self._container_title(params["title"])
        note = macro in _NOTE_MACROS
        self._note_depth += note
        for body in el:
            if _local(body) == "ac:rich-text-body":
                self.walk_children(body)
        self._note_depth -= note

    def _list(self, el: etree._Element, *, depth: int, ordered: bool) -> None:
        for li in el:
            budget.tick()
            name = _local(li)
            if name in {"li", "ac:task"}:
                self._list_item(li, depth=depth, ordered=ordered)
            elif name in {"ul", "ol", "ac:task-list"}:
                self._list(li, depth=depth + 1, ordered=name == "ol")

    def _list_item(self, li: etree._Element, *, depth: int, ordered: bool) -> None:
        content = Text("")
        nested: list[tuple[etree._Element, str]] = []
        checked, parts = _item_box(li)
        for part in parts:
            content.text += part.text or ""
            for child in part:
                checked = self._item_child(child, content, nested, checked)
                content.text += child.tail or ""
        if content.checked is not None and checked is None:
            checked = content.checked
        content.text = _squash(content.text)
        if content.text:
            self.blocks.append(ListItem(content, depth=depth, ordered=ordered, checked=checked))
        for child, name in nested:
            self._list(child, depth=depth + 1, ordered=name == "ol")

    def _item_child(
        self,
        child: etree._Element,
        content: Text,
        nested: list[tuple[etree._Element, str]],
        checked: bool | None,
    ) -> bool | None:
        """Read one child of a list item into its text (nested lists are kept for later); the box state."""
        name = _local(child)
        if name in {"ul", "ol", "ac:task-list"}:
            nested.append((child, name))
            content.text += "\n"
        elif name == "input" and (child.get("type") or "").lower() == "checkbox":
            return child.get("checked") is not None
        elif "checkbox" in _classes(child):
            return "checkbox-on" in _classes(child)
        elif name in {"p", "div"} or _HEADING.fullmatch(name):
            content.text += "\n"
            self._inline_into(child, content)
            content.text += "\n"
        elif name not in _SKIP:
            self._inline_into(child, content)
        return checked

    def _table(self, table: etree._Element) -> None:
        rows: list[tuple[list[Text], bool]] = []
        for tr in _rows(table):
            budget.tick()
            cells = [c for c in tr if _local(c) in {"td", "th"}]
            if not cells:
                continue
            texts = [self.inline(c, cell=True) for c in cells]
            parent = tr.getparent()
            in_thead = parent is not None and _local(parent) == "thead"
            is_head = in_thead or all(_local(c) == "th" for c in cells)
            rows.append((texts, is_head))
        if not rows:
            return
        # Without <th> (Google Docs, Notion) the header is the first ordinary row all the same.
        header, body = rows[0][0], [r for r, _ in rows[1:]]
        self.blocks.append(Table(header=header, rows=body))

    # --- inline level ---------------------------------------------------------------------------
    def inline(self, el: etree._Element, *, cell: bool = False) -> Text:
        """Render an element's content as one Text (line breaks kept for <br> and inner blocks)."""
        content = Text(el.text or "")
        for child in el:
            name = _local(child)
            if (cell and name in {"p", "div", "li", "ul", "ol", "tr"}) or _HEADING.fullmatch(name):
                content.text += "\n"
                self._inline_into(child, content)
                content.text += "\n"
            else:
                self._inline_into(child, content)
            content.text += child.tail or ""
        content.text = _squash(content.text)
        return content

    def _inline_into(self, el: etree._Element, out: Text) -> None:
        budget.tick()
        name = _local(el)
        if not name or (name in _SKIP and name not in {"code"}):
            return
        handler = _INLINE_ELEMENTS.get(name)
        if handler is not None and handler(self, el, out):
            return
        if name.startswith(("ac:", "ri:")) and name not in {"ac:rich-text-body", "ac:task-body"}:
            return  # parameters, placeholders (template hints), emoticons, images
        _marks(el, name, out)
        before = len(out.text)
        self._inline_children(el, out)
        if name in {"s", "del", "strike"}:
            out.struck_chars += len("".join(out.text[before:].split()))

    def _inline_children(self, el: etree._Element, out: Text) -> None:
        out.text += el.text or ""
        for child in el:
            child_name = _local(child)
            if child_name in {"p", "div", "li", "tr"}:
                out.text += "\n"
            self._inline_into(child, out)
            if child_name in {"p", "div", "li", "tr", "td", "th"}:
                out.text += "\n" if child_name != "td" and child_name != "th" else " | "
            out.text += child.tail or ""


def _list_block(walker: _Walker, el: etree._Element, name: str) -> None:
    walker._list(el, depth=0, ordered=name == "ol")


def _table_block(walker: _Walker, el: etree._Element, name: str) -> None:
    walker._table(el)


def _definition_list(walker: _Walker, el: etree._Element, name: str) -> None:
    """<dt>Owner:</dt><dd>Ana</dd> pairs as "Owner: Ana" lines (field lists, docinfo, page properties)."""
    term: Text | None = None
    for child in el:
        budget.tick()
        child_name = _local(child)
        if child_name == "dt":
            term = walker.inline(child)
        elif child_name == "dd":
            value = walker.inline(child)
            key = term.text.strip().rstrip(":").strip() if term is not None else ""
            value.text = f"{key}: {value.text}" if key else value.text
            if term is not None:
                value.extend(term)
            if value.text.strip(": "):
                walker.blocks.append(Paragraph(value, note=walker.note))
            term = None


def _summary_block(walker: _Walker, el: etree._Element, name: str) -> None:
    walker._container_title(walker.inline(el).text)


_BLOCK_HANDLERS: dict[str, Callable[[_Walker, etree._Element, str], None]] = {
    "p": _Walker._paragraph,
    "dl": _definition_list,
    "ul": _list_block,
    "ol": _list_block,
    "ac:task-list": _list_block,
    "table": _table_block,
    "ac:structured-macro": _Walker._macro,
    "summary": _summary_block,
}
_TRANSPARENT_AC = frozenset(
    {"ac:layout", "ac:layout-section", "ac:layout-cell", "ac:rich-text-body", "ac:task-body"}
)
# Confluence exports: a panel's header, an expand's clickable title.
_CONTAINER_TITLE_CLASSES = lazy(r"\b(?:panelHeader|expand-control-text)\b")


def _bold_only(el: etree._Element) -> bool:
    """<p><b>Next steps</b></p>, <div><strong>Actions:</strong></div>: one bold child and nothing else."""
    children = [child for child in el if _local(child) != "br"]
    if (el.text or "").strip() or len(children) != 1:
        return False
    child = children[0]
    return _local(child) in {"b", "strong"} and not (child.tail or "").strip()


# Inline elements with a meaning of their own. Each handler returns True when it has dealt with the
# element, False when the element's text is still to be read as ordinary inline content.
def _br(walker: _Walker, el: etree._Element, out: Text) -> bool:
    out.text += "\n"
    return True


def _input(walker: _Walker, el: etree._Element, out: Text) -> bool:
    if (el.get("type") or "").lower() != "checkbox":
        return False
    out.checked = el.get("checked") is not None
    return True


def _time(walker: _Walker, el: etree._Element, out: Text) -> bool:
    when = el.get("datetime")
    if when:
        # The date is a fact of its own; kept out of the text so titles stay clean.
        out.dates.append(str(when)[:10])
        return True
    _marks(el, "time", out)
    out.dates.append(_squash(_itertext(el)).lstrip("@"))
    return True


def _user(walker: _Walker, el: etree._Element, out: Text) -> bool:
    who = _attr(el, "ri:account-id") or _attr(el, "ri:username") or _attr(el, "ri:userkey")
    if who:
        out.mentions.append(who)
        out.text += f" {who} "
    return True


def _ac_link(walker: _Walker, el: etree._Element, out: Text) -> bool:
    user = el.find(_RI + "user")
    if user is not None:
        walker._inline_into(user, out)
        return True
    body = el.find(_AC + "plain-text-link-body")
    out.text += (body.text or "") if body is not None else ""
    return True


def _inline_macro(walker: _Walker, el: etree._Element, out: Text) -> bool:
    macro = (_attr(el, "ac:name") or "").lower()
    params = {(_attr(p, "ac:name") or ""): _itertext(p) for p in el if _local(p) == "ac:parameter"}
    if macro == "jira" and params.get("key"):
        out.refs.append(params["key"].strip())
        out.text += f" {params['key'].strip()} "
    elif macro == "status" and params.get("title"):
        out.text += f" {params['title'].strip()} "
    elif macro not in _SKIP_MACROS:
        for body in el:
            if _local(body) == "ac:rich-text-body":
                walker._inline_into(body, out)
    return True


def _anchor(walker: _Walker, el: etree._Element, out: Text) -> bool:
    href = str(el.get("href") or "")
    account = el.get("data-account-id") or el.get("data-username")
    if account or "user-mention" in _classes(el) or "confluence-userlink" in _classes(el):
        shown = _squash(_itertext(el))
        out.mentions.append(shown or str(account))
        out.text += f" {shown or account} "
        return True
    key = el.get("data-jira-key") or el.get("data-issue-key")
    if key:
        out.refs.append(str(key))
    elif href and is_issue_url(href):
        out.refs.append(href)
    return False


_INLINE_ELEMENTS: dict[str, Callable[[_Walker, etree._Element, Text], bool]] = {
    "br": _br,
    "input": _input,
    "time": _time,
    "ri:user": _user,
    "ac:link": _ac_link,
    "ac:structured-macro": _inline_macro,
    "a": _anchor,
}


def _marks(el: etree._Element, name: str, out: Text) -> None:
    """Facts any element may carry in attributes: a Jira key, a checkbox class."""
    key = el.get("data-jira-key")
    if key and name != "a":
        out.refs.append(str(key))
    if "checkbox" in _classes(el):
        out.checked = "checkbox-on" in _classes(el)


def _item_box(li: etree._Element) -> tuple[bool | None, list[etree._Element]]:
    """A list item's checkbox state from its own markup, and the elements that hold its text."""
    checked: bool | None = None
    if "checked" in _classes(li).split():
        checked = True
    elif li.get("data-inline-task-id") is not None:
        checked = False
    if _local(li) != "ac:task":
        return checked, [li]
    status = li.find(_AC + "task-status")
    checked = bool(status is not None and (status.text or "").strip().lower() in _DONE_STATUS)
    body = li.find(_AC + "task-body")
    return checked, [body] if body is not None else []


def _itertext(el: etree._Element) -> str:
    return "".join(str(part) for part in el.itertext())


def _rows(table: etree._Element) -> Iterator[etree._Element]:
    for child in table:
        name = _local(child)
        if name == "tr":
            yield child
        elif name in {"thead", "tbody", "tfoot"}:
            yield from (tr for tr in child if _local(tr) == "tr")


def _wholly_emphasised(el: etree._Element) -> bool:
    """A paragraph that is all italics: template instructions in most postmortem templates."""
    if (el.text or "").strip():
        return False
    children = list(el)
    return len(children) == 1 and _local(children[0]) in {"em", "i"} and not (children[0].tail or "").strip()


_SPACES = lazy(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def _squash(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)
