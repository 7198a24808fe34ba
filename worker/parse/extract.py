"""Blocks to action items: which entries count, their titles and fields, and merging duplicates.

What counts:
- every list item, table row and one-statement line under a heading that means action items;
- rows of tables whose header names an action/task column, wherever they are (except in excluded sections
  and timelines);
- checkbox list items anywhere outside excluded sections;
- prose commitments under an action/prevention heading, one item per sentence: "We will ..." and
  "We are ..." (planned) and "We have ..." (done), titled by the action itself;
- numbered sub-headings under an action heading that are followed by field lines ("Owner: ...").
What does not: category lines ("Detect", "Prevent:") that group nested items (their word becomes the
items' kind), field lines ("Owner: ...", "Context: ...", which belong to the item above), items marked
won't do / duplicate, and "nothing to do" statements.
Paragraphs under an action heading that also has a list or table are introductions, not items.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

from config.kinds import document_kind as normalise_kind
from config.kinds import is_kind_label
from worker.models import ActionItem
from worker.parse import budget
from worker.parse.blocks import Block, Heading, ListItem, Paragraph, Table, Text
from worker.parse.dates import parse_date
from worker.parse.empty import EMPTY_WORDS, is_empty_value, word_core
from worker.parse.fields import MAX_FIELD_TEXT, Fields, Role, column_role, inline_fields
from worker.parse.fingerprint import normalise_action
from worker.parse.nothing import says_nothing_to_do
from worker.parse.phrases import DONE, FUTURE_VERB, ONGOING, PLANNED, PLANNED_ANYWHERE
from worker.parse.refs import find_ref
from worker.parse.sections import Kind, classify_heading, effective_kind, fold
from worker.parse.status import inline_status, is_done_status, is_dropped_status
from worker.parse.titles import first_sentence, split_sentences, tidy_title

_MAX_TITLE = 200
_MAX_DESCRIPTION = 20_000
_MAX_CONTEXT_PARAGRAPH = 2_000  # a commitment's description is its whole paragraph up to this size
_PURPOSE = re.compile(
    r"\s(?:in\sorder\sto|so\sthat|so\swe\scan|to\smake\ssure|to\sensure|to\savoid|to\sprevent|para\sevitar"
    r"|para\sasegurar|para\sgarantizar|para\sgarantir|para\sque|afin\sde|afin\sd'|pour\séviter|pour\sgarantir"
    r"|pour\sassurer|damit|um\s(?:\S{1,40}\s){0,6}zu\s)\b",
    re.I,
)
_LEADING_LABEL = re.compile(
    r"^(?:action(?:\sitem)?|ai|todo|to\sdo|task|follow[-\s]?up|acción|ação|aufgabe|tâche|maßnahme|mesure)"
    r"(?:\s?#?\d{1,3})?\s?[:\-–]\s",
    re.I,
)
_NUMBERING = re.compile(
    r"^(?:#?\d{1,3}(?:\.\d{1,3}){0,3}[.)]?|[A-Za-z][.)]|[IVX]{1,5}\.|(?:action(?:\sitem)?|ai|item|task|acción"
    r"|accion|ação|acao|maßnahme|massnahme|aufgabe|tâche|tache|mesure)\s?#?\d{1,3}\s?[:.)–-])\s",
    re.I,
)
_CLOSING = re.compile(
    r"\b(?:these|those|the\sabove|the\ssuggested|all\s(?:the|of\sthese))\s(?:\w{1,30}\s){0,3}"
    r"(?:measures|actions|steps|changes|improvements|items|tasks|fixes|medidas|acciones|ações|maßnahmen|mesures)\b"
    r"|^(?:in\ssummary|overall|to\ssummari[sz]e|we\sapologi[sz]e|we\sare\ssorry|sorry|thank|we\sappreciate"
    r"|by\simplementing)\b",
    re.I,
)
_NAME_LABEL = re.compile(r"^([^:.!?]{2,60}):\s(\S.{0,4000})$", re.S)
_FIELD_LINE = re.compile(r"^([^:：\n]{1,40}?)\s?[:：]\s?(.{0,2000})$", re.S)
_DIAGRAM = re.compile(r"^[\s+\-|=_/\\<>^v*.:~'`#]{3,4000}$")
_PLACEHOLDER_TITLES = frozenset(
    {
        "tbd",
        "tbc",
        "n a",
        "none",
        "nothing",
        "todo",
        "to do",
        "action",
        "action item",
        "item",
        "placeholder",
        "example",
        "add action here",
        "add actions here",
        "add item here",
        "add items here",
        "ninguna",
        "nenhuma",
        "keine",
        "aucune",
        "description",
        "owner",
        "title",
    }
)
# Past-tense leads that report findings, not actions ("We have identified ...").
_NARRATIVE_DONE = re.compile(
    r"^(?:identified|decided|learned|learnt|realized|realised|found|seen|noticed|concluded|been|had|listed"
    r"|outlined|summarized|summarised|agreed|prioriti[sz]ed|discussed|identificado|decidido|aprendido"
    r"|identifié|décidé|appris|festgestellt|entschieden|gelernt|identificamos)\b",
    re.I,
)
_DESCRIPTION_KEYS = frozenset(
    {
        "context",
        "contexto",
        "kontext",
        "contexte",
        "details",
        "detail",
        "detalles",
        "detalhes",
        "notes",
        "note",
        "notas",
        "notizen",
        "why",
        "reason",
        "rationale",
        "background",
        "porque",
        "por que",
        "motivo",
        "warum",
        "begrundung",
        "pourquoi",
        "description",
        "descripcion",
        "descricao",
        "beschreibung",
        "problem",
        "problema",
        "probleme",
        "impact",
        "scope",
        "alcance",
        "umfang",
        "portee",
    }
)
_FIELD_ROLES = frozenset({Role.OWNER, Role.DUE, Role.PRIORITY, Role.KIND, Role.STATUS, Role.REF})
_URL = re.compile(r"https?://[^\s<>\"'()\[\]]{1,500}")


@dataclass(slots=True)
class _Section:
    title: str | None
    kind: Kind
    level: int
    category: str | None = None  # a kind word heading ("### Prevent"): the kind of the items below
    structured: bool = False  # has list items or tables: its paragraphs are introductions
    committed: bool = False  # has "we will" prose: its other paragraphs are background
    heading_item: bool = False  # the heading itself is an action, the blocks below its fields


@dataclass(slots=True)
class _Commitment:
    sentence: str
    title: str
    done: bool


class _Items:
    """The items found so far; frozen ActionItems are replaced in place as fields are added."""

    def __init__(self) -> None:
        self.items: list[ActionItem] = []
        self.weights: list[int] = []  # how many fields came from a structured source (a table row)

    def add(self, item: ActionItem, *, weight: int = 0) -> int:
        self.items.append(item)
        self.weights.append(weight)
        return len(self.items) - 1

    def update(self, index: int, **changes: object) -> None:
        self.items[index] = replace(self.items[index], **changes)  # type: ignore[arg-type]


def extract_items(blocks: list[Block], *, lang: str, incident_date: date | None) -> list[ActionItem]:
    """All action items in the document, duplicates merged, in document order (without fingerprints)."""
    read: dict[str, list[_Commitment]] = {}  # a paragraph's commitments, read once for _place and its items
    placed = _place(blocks, read)
    found = _Items()
    host: int | None = None  # the item that field lines and detail bullets attach to
    host_depth = -1
    groups: list[tuple[int, str | None]] = []  # open category list items: depth, kind word as written
    for position, (block, section) in enumerate(placed):
        budget.check()
        if isinstance(block, Heading):
            host, host_depth, groups = None, -1, []
            if section.heading_item:
                host = _heading_item(block, section, found, lang=lang, base=incident_date)
            continue
        if isinstance(block, Table):
            _table_items(block, section, found, lang=lang, base=incident_date)
            host, host_depth = None, -1
            continue
        if isinstance(block, ListItem):
            while groups and groups[-1][0] >= block.depth:
                groups.pop()
            if (
                host is not None
                and (block.depth > host_depth or section.heading_item)
                and _attach(found, host, block.content, lang=lang, base=incident_date)
            ):
                continue
            if _is_group(block, placed, position):
                groups.append((block.depth, _kind_word(block.content.text)))
                host, host_depth = None, -1
                continue
            category = next((raw for _, raw in reversed(groups) if raw), None)
            if category:
                section = replace(section, category=category)
            index = _list_item(block, section, found, lang=lang, base=incident_date)
            if index is not None:
                host, host_depth = index, block.depth
            continue
        if isinstance(block, Paragraph):
            if host is not None and _attach(found, host, block.content, lang=lang, base=incident_date):
                continue
            if section.heading_item and host is not None and section.kind is Kind.ACTION:
                _describe(found, host, block.content.text)
                continue
            added = _paragraph_items(block, section, found, lang=lang, base=incident_date, read=read)
            host = added if added is not None else None
            host_depth = 99 if added is not None else -1
    return merge_duplicates(found)


def _kind_word(text: str) -> str | None:
    """The kind word of a category line ("Detect", "Prévention:"), as written, or None."""
    stripped = word_core(text[:100])
    return stripped if is_kind_label(stripped) else None


def _place(blocks: list[Block], read: dict[str, list[_Commitment]]) -> list[tuple[Block, _Section]]:
    """Pair every block with the section it sits in, and note which sections have lists or tables."""
    stack: list[_Section] = []
    top = _Section(title=None, kind=Kind.NEUTRAL, level=0)
    placed: list[tuple[Block, _Section]] = []
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            while stack and stack[-1].level >= block.level:
                stack.pop()
            parent = stack[-1] if stack else None
            title = _clean(block.content.text[:1000])
            own = classify_heading(title)
            raw_kind = _kind_word(title)
            section = _Section(
                title=title,
                kind=effective_kind(own, parent.kind if parent else Kind.NEUTRAL),
                level=block.level,
                category=parent.category if parent else None,
            )
            if raw_kind and parent is not None and parent.kind is Kind.ACTION:
                section.category = raw_kind
                section.kind = Kind.ACTION  # "### Detect" under "## Action items" is a category, not a title
                section.title = parent.title
            elif (
                parent is not None
                and parent.kind is Kind.ACTION
                and own is not Kind.EXCLUDED
                and _heads_an_item(title, blocks, index)
            ):
                section.kind = Kind.ACTION
                section.heading_item = True
                section.title = parent.title
            stack.append(section)
            placed.append((block, section))
            continue
        current = stack[-1] if stack else top
        if isinstance(block, ListItem | Table):
            current.structured = True
        elif isinstance(block, Paragraph) and _read_commitments(block.content.text[:MAX_FIELD_TEXT], read):
            current.committed = True
        placed.append((block, current))
    return placed


def _heads_an_item(title: str, blocks: list[Block], index: int) -> bool:
    """A sub-heading under an action heading is an action when field lines follow it (or it is numbered)."""
    if classify_heading(title) is Kind.ACTION and not _NUMBERING.match(title):
        return False
    for block in blocks[index + 1 : index + 12]:
        if isinstance(block, Heading):
            break
        if isinstance(block, Paragraph | ListItem):
            for line in block.content.text.split("\n")[:6]:
                if _field_line(line) is not None:
                    return True
    return False


def _field_line(text: str) -> tuple[Role | None, str] | None:
    """("Responsable : Ana" -> (OWNER, "Ana")); description keys give (None, value); else None."""
    match = _FIELD_LINE.match(text.strip()[:2100])
    if not match:
        return None
    key = fold(match.group(1))
    if not key or len(key.split()) > 4:
        return None
    value = match.group(2).strip()
    if key in _DESCRIPTION_KEYS:
        return None, value
    role = column_role(match.group(1))
    if role in _FIELD_ROLES and fold(match.group(1)) == key:
        return role, value
    return None


# --- heading items and attached detail --------------------------------------------------------------------
def _heading_item(
    block: Heading, section: _Section, found: _Items, *, lang: str, base: date | None
) -> int | None:
    text = _NUMBERING.sub("", block.content.text.strip(), count=1)
    item = _make_item(Text(text, refs=list(block.content.refs)), section, lang=lang, base=base)
    if item is None:
        return None
    return found.add(item)


def _attach(found: _Items, host: int, content: Text, *, lang: str, base: date | None) -> bool:
    """Apply field lines ("Owner: Ana", "Context: ...") to the item above; False when they are not fields."""
    lines = [line for line in content.text.split("\n") if line.strip()]
    parsed = [_field_line(line) for line in lines[:20]]
    if not lines or any(p is None for p in parsed):
        return False
    for (role, value), line in zip(parsed, lines, strict=False):  # type: ignore[misc]
        if role is None:
            _describe(found, host, line)
            continue
        _apply_value(
            found,
            host,
            role,
            Text(value, mentions=content.mentions, refs=content.refs, dates=content.dates),
            lang=lang,
            base=base,
            override=False,
        )
        _describe(found, host, line)
    return True


def _describe(found: _Items, host: int, text: str) -> None:
    item = found.items[host]
    description = f"{item.description or item.title}\n{text}"
    found.update(host, description=description[:_MAX_DESCRIPTION])


def _is_group(block: ListItem, placed: list[tuple[Block, _Section]], position: int) -> bool:
    """A list item that only labels its nested items ("Detect", "Database:"): not an action itself."""
    children = []
    for next_block, _ in placed[position + 1 : position + 200]:
        if not isinstance(next_block, ListItem) or next_block.depth <= block.depth:
            break
        children.append(next_block)
    if not children:
        return False
    text = block.content.text.strip()
    if text.endswith(":") or _kind_word(text) is not None:
        return True
    boxed_children = any(child.checked is not None for child in children)
    return block.checked is None and boxed_children and len(text.split()) <= 4


# --- tables ---------------------------------------------------------------------------------------------
def _table_items(table: Table, section: _Section, found: _Items, *, lang: str, base: date | None) -> None:
    if section.kind is Kind.EXCLUDED or not table.header:
        return
    roles = [column_role(cell.text[:200]) for cell in table.header]
    if Role.ACTION in roles:
        action_col = roles.index(Role.ACTION)
    elif section.kind is Kind.ACTION:
        if Role.WEAK_ACTION in roles:
            action_col = roles.index(Role.WEAK_ACTION)
        elif Role.CONTEXT in roles:
            action_col = roles.index(Role.CONTEXT)
        else:
            return
    else:
        return
    if Role.TIME in roles and section.kind is not Kind.ACTION:
        return  # "Time | Action": a timeline, not a plan
    for row in table.rows:
        budget.check()
        if action_col >= len(row):
            continue
        cell = row[action_col]
        text = cell.text.strip()
        if _is_placeholder(text):
            continue
        if any(
            role is Role.STATUS and index < len(row) and is_dropped_status(row[index].text)
            for index, role in enumerate(roles)
        ):
            continue  # won't do / duplicate: not an action
        context = []
        for index, role in enumerate(roles):
            if index != action_col and index < len(row) and role in (Role.CONTEXT, Role.WEAK_ACTION):
                value = row[index].text.strip()
                if value and not is_empty_value(value):
                    context.append(f"{table.header[index].text.strip()}: {value}")
        item = _make_item(
            cell, section, lang=lang, base=base, context=context, owner_from_text=Role.OWNER not in roles
        )
        if item is None:
            continue
        changes: dict[str, object] = {}  # one replace() for the section and the row's fields
        if item.section is None:
            changes["section"] = _clean(table.header[action_col].text) or None
        for column, role in enumerate(roles):
            if column < len(row) and column != action_col:
                _value_changes(item, changes, role, row[column], lang=lang, base=base, override=True)
        found.add(replace(item, **changes) if changes else item, weight=2)  # type: ignore[arg-type]


_TRAILING_STATUS = re.compile(
    r"^(.{0,200}?)\s?\b(DONE|TODO|OPEN|CLOSED|FIXED|COMPLETED?|IN PROGRESS|WONTFIX|WON'T FIX)\s?$"
)


def _apply_value(
    found: _Items, index: int, role: Role, cell: Text, *, lang: str, base: date | None, override: bool
) -> None:
    """Set one field of an item from a table cell or a field line."""
    changes = _value_changes(found.items[index], {}, role, cell, lang=lang, base=base, override=override)
    if changes:
        found.update(index, **changes)


def _value_changes(
    item: ActionItem,
    changes: dict[str, object],
    role: Role,
    cell: Text,
    *,
    lang: str,
    base: date | None,
    override: bool,
) -> dict[str, object]:
    """`changes` updated with the field a cell sets (reading earlier changes before the item's own values)."""

    def current(name: str) -> object:
        return changes[name] if name in changes else getattr(item, name)

    value = " ".join(cell.text[:MAX_FIELD_TEXT].split())
    if role is Role.OWNER:
        # First line only: "Cy Diaz<br>backup: Dee" names one owner and a note.
        owner = cell.mentions[0] if cell.mentions else " ".join(cell.text.split("\n")[0].split())[:200]
        if owner and not is_empty_value(owner):
            changes["owner"] = owner
    elif role is Role.DUE:
        when = cell.dates[0] if cell.dates else value
        due = parse_date(when[:200], lang=lang, base=base)
        if due is not None or override:
            changes["due"] = due or (current("due") if not is_empty_value(value) else None)
    elif role is Role.PRIORITY and value and not is_empty_value(value):
        changes["priority"] = value[:60]
    elif role is Role.KIND and value and not is_empty_value(value):
        changes["kind"], changes["kind_raw"] = normalise_kind(value), value[:60]
    elif role is Role.STATUS:
        changes["done"] = bool(current("done")) or is_done_status(value) or bool(cell.checked)
    elif role is Role.REF:
        # Google's SRE template writes "Bug 5554823 **DONE**": the status rides in the reference cell.
        status = _TRAILING_STATUS.match(value[:300])
        done = bool(current("done"))
        if status:
            value = status.group(1)
            done = done or is_done_status(status.group(2))
        ref = cell.refs[0] if cell.refs else find_ref(value)
        if not ref and value and any(ch.isdigit() for ch in value) and not is_empty_value(value):
            ref = value[:300]  # a column named Bug/Ticket holds a reference even in a tracker's own format
        changes["ref"] = ref or current("ref")
        changes["done"] = done
    elif role is Role.CONTEXT and not current("ref") and cell.refs:
        changes["ref"] = cell.refs[0]
    return changes


# --- lists --------------------------------------------------------------------------------------------
def _list_item(
    block: ListItem, section: _Section, found: _Items, *, lang: str, base: date | None
) -> int | None:
    counts = section.kind is Kind.ACTION or (block.checked is not None and section.kind is not Kind.EXCLUDED)
    if not counts:
        return None
    text = block.content.text[:MAX_FIELD_TEXT]
    if says_nothing_to_do(text):
        return None
    commitments = _commitments(text) if section.kind is Kind.ACTION else []
    if len(commitments) > 1 and section.kind is Kind.ACTION and "\n" not in text.strip():
        commitments = commitments[:1]
    commitment = commitments[0] if commitments else None
    item = _make_item(block.content, section, lang=lang, base=base, commitment=commitment)
    if item is None:
        return None
    if block.checked:
        item = replace(item, done=True)
    return found.add(item)


# --- paragraphs ---------------------------------------------------------------------------------------
def _paragraph_items(
    block: Paragraph,
    section: _Section,
    found: _Items,
    *,
    lang: str,
    base: date | None,
    read: dict[str, list[_Commitment]],
) -> int | None:
    if section.kind is not Kind.ACTION or block.note:
        return None
    text = block.content.text
    if says_nothing_to_do(text[:MAX_FIELD_TEXT]):
        return None
    commitments = _read_commitments(text, read)
    if commitments:
        last = None
        for commitment in commitments:
            budget.check()
            # Fields come from the sentence itself: each is read once, whatever the paragraph's length.
            sentence = Text(
                commitment.sentence,
                mentions=[m for m in block.content.mentions if m in commitment.sentence],
                refs=[r for r in block.content.refs if r in commitment.sentence],
            )
            item = _make_item(sentence, section, lang=lang, base=base, commitment=commitment)
            if item is not None:
                if len(text) <= _MAX_CONTEXT_PARAGRAPH:
                    item = replace(item, description=" ".join(text.split()))  # the reasons around it
                last = found.add(item)
        return last
    if section.structured or section.committed:
        return None
    head = text[:MAX_FIELD_TEXT]
    if _CLOSING.search(head) or head.rstrip().endswith((":", "?")) or _DIAGRAM.match(head):
        return None
    if _field_line(head) is not None and "\n" not in head.strip():
        return None  # "Owner: Ana" with no action above it
    item = _make_item(block.content, section, lang=lang, base=base)
    return found.add(item) if item is not None else None


def _read_commitments(text: str, read: dict[str, list[_Commitment]]) -> list[_Commitment]:
    """`_commitments(text)`, remembered in `read` (the caller does not change the list)."""
    found = read.get(text)
    if found is None:
        found = read[text] = _commitments(text)
    return found


def _commitments(text: str) -> list[_Commitment]:
    """Sentences that commit to an action: planned ("We will", "We are adding") or done ("We have added")."""
    out: list[_Commitment] = []
    for sentence in split_sentences(" ".join(text.split())):
        lead = PLANNED.match(sentence) or ONGOING.match(sentence)
        done = False
        if lead is None:
            lead = DONE.match(sentence)
            done = lead is not None
            if lead is not None and _NARRATIVE_DONE.match(sentence[lead.end() :]):
                continue
        if lead is not None:
            rest = sentence[lead.end() :].strip()
            if len(rest.split()) >= 2 and not rest.rstrip().endswith(":"):
                out.append(_Commitment(sentence, rest[0].upper() + rest[1:], done))
            continue
        anywhere = PLANNED_ANYWHERE.search(sentence[:MAX_FIELD_TEXT])
        if anywhere is not None:
            rest = sentence[anywhere.end() :].strip()
            title = rest[0].upper() + rest[1:] if len(rest.split()) >= 2 else sentence
            out.append(_Commitment(sentence, title, False))
        elif FUTURE_VERB.search(sentence[:MAX_FIELD_TEXT]):
            out.append(_Commitment(sentence, sentence, False))
    return out


# --- one item -----------------------------------------------------------------------------------------
def _make_item(
    content: Text,
    section: _Section,
    *,
    lang: str,
    base: date | None,
    commitment: _Commitment | None = None,
    context: list[str] | None = None,
    owner_from_text: bool = True,
) -> ActionItem | None:
    full = " ".join(content.text[:MAX_FIELD_TEXT].split())
    if _is_placeholder(full) or _DIAGRAM.match(full):
        return None
    status = inline_status(full)
    if status.dropped:
        return None
    fields = inline_fields(full, lang=lang, base=base, mentions=content.mentions)
    if not owner_from_text:
        # An owner column decides the owner, even when empty: a handle in the text stays in the title.
        fields.consumed = [span for span in fields.consumed if span not in fields.owner_spans]
        fields.owner = None
    source = commitment.title if commitment is not None else full
    title, label_kind, url = _title(source, fields, status.spans, commitment=commitment is not None)
    if not title or _is_placeholder(title):
        return None
    description_parts = [" ".join(content.text[:_MAX_DESCRIPTION].split()), *(context or [])]
    description = "\n".join(part for part in description_parts if part)
    due = fields.due
    if due is None and content.dates:
        due = parse_date(content.dates[0][:60], lang=lang, base=base)
    kind_raw = fields.kind or label_kind or section.category
    return ActionItem(
        title=title,
        description=description if description != title else None,
        owner=fields.owner,
        due=due,
        priority=fields.priority,
        kind=normalise_kind(kind_raw),
        kind_raw=kind_raw,
        ref=(content.refs[0] if content.refs else None) or fields.ref or url,
        done=fields.done or status.done or bool(content.checked) or bool(commitment and commitment.done),
        section=section.title,
    )


def _title(
    text: str, fields: Fields, status_spans: tuple[str, ...], *, commitment: bool
) -> tuple[str, str | None, str | None]:
    """A concise, markup-free title for the action, a kind if the text was labelled with one, and a URL."""
    title = " ".join(text[:MAX_FIELD_TEXT].split())
    budget.charge(len(title))
    removed = False
    for span in [*fields.consumed, *status_spans]:
        if span and span in title:
            title = title.replace(span, " ", 1)
            removed = True
    url = None
    for match in list(_URL.finditer(title))[:20]:
        url = url or match.group(0).rstrip(".,;")
        title = title.replace(match.group(0), " ", 1)
        removed = True
    title = tidy_title(title, removed=removed)
    label_kind = None
    if not commitment:
        title = _LEADING_LABEL.sub("", title)
        title = _NUMBERING.sub("", title, count=1) if _NUMBERING.match(title) else title
        label = _NAME_LABEL.match(title)
        if label and len(label.group(1).split()) <= 6 and len(label.group(2).split()) >= 3:
            # "Name: description" lines: the description is the action; a kind word as label is the kind.
            if is_kind_label(label.group(1)):
                label_kind = label.group(1).strip()
            title = label.group(2)
    first = first_sentence(title)
    if len(first.split()) >= 3:
        title = first
    purpose = _PURPOSE.search(title)
    if purpose and len(title[: purpose.start()].split()) >= 3:
        title = title[: purpose.start()].rstrip(" ,;:")
    title = tidy_title(title, removed=False)
    if len(title) > _MAX_TITLE:
        cut = title[:_MAX_TITLE].rsplit(" ", 1)[0]
        title = cut + "…"
    return title, label_kind, url


def _is_placeholder(text: str) -> bool:
    core = word_core(text[:400])
    if not core:
        return True
    if len(core) > 60:
        return core[:11].casefold() == "lorem ipsum"  # longer text is never a placeholder word
    folded = fold(core)
    return folded in EMPTY_WORDS or folded in _PLACEHOLDER_TITLES or folded.startswith("lorem ipsum")


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(" :")


# --- duplicates ---------------------------------------------------------------------------------------
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "in",
        "on",
        "and",
        "or",
        "with",
        "by",
        "at",
        "from",
        "our",
        "we",
        "is",
        "be",
        "de",
        "la",
        "el",
        "los",
        "las",
        "del",
        "en",
        "y",
        "o",
        "para",
        "con",
        "un",
        "una",
        "do",
        "da",
        "dos",
        "das",
        "e",
        "o",
        "os",
        "em",
        "um",
        "uma",
        "der",
        "die",
        "das",
        "und",
        "zu",
        "mit",
        "von",
        "im",
        "für",
        "ein",
        "eine",
        "le",
        "les",
        "des",
        "du",
        "et",
        "pour",
        "dans",
    ]
)
_MIN_SHARED_WORDS = 3
_MAX_CANDIDATES = 50


def merge_duplicates(found: _Items | list[ActionItem]) -> list[ActionItem]:
    """One item per action: the same normalised title, or one whose words all reappear in a longer one
    (a short line in a summary and the full table row), is one item with the richer one's fields."""
    items = found.items if isinstance(found, _Items) else list(found)
    weights = found.weights if isinstance(found, _Items) else [0] * len(items)
    keys = [normalise_action(item.title) for item in items]
    stems: dict[str, str] = {}  # each distinct word is stemmed once
    words = [
        Counter([stems.get(w) or stems.setdefault(w, _stem(w)) for w in key.split() if w not in _STOPWORDS])
        for key in keys
    ]
    numeric = {stem: any(ch.isdigit() for ch in stem) for stem in stems.values()}  # each distinct stem once
    numbers = [frozenset(w for w in counts if numeric[w]) for counts in words]
    postings: dict[str, list[int]] = {}
    for index, counts in enumerate(words):
        for word in counts:
            postings.setdefault(word, []).append(index)
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    exact: dict[str, int] = {}
    for index, key in enumerate(keys):
        budget.check()
        if key in exact:
            parent[root(index)] = root(exact[key])
            continue
        exact[key] = index
        short = words[index]
        if len(short) < _MIN_SHARED_WORDS:
            continue
        rarest = min(sorted(short), key=lambda w: len(postings[w]))
        for other in postings[rarest][:_MAX_CANDIDATES]:
            if other != index and _restates(short, numbers[index], words[other], numbers[other]):
                parent[root(index)] = root(other)
                break
    groups: dict[int, list[int]] = {}
    for index in range(len(items)):
        groups.setdefault(root(index), []).append(index)
    merged: list[tuple[int, ActionItem]] = []
    for members in groups.values():
        best = max(members, key=lambda i: (weights[i], _filled(items[i]), len(keys[i]), -i))
        item = items[best]
        for other in members:
            if other != best:
                item = _merge_into(item, items[other])
        merged.append((min(members), item))
    merged.sort(key=lambda pair: pair[0])
    return [item for _, item in merged]


def _restates(
    short: Counter[str], short_numbers: frozenset[str], long: Counter[str], long_numbers: frozenset[str]
) -> bool:
    """Whether `short` says the same action as `long` in fewer words: every word of it (counted) is in the
    longer one, the same numbers appear in both ("action 1" is not "action 2"), and it is not a fragment."""
    if short_numbers != long_numbers or sum(short.values()) * 2 < sum(long.values()):
        return False
    return all(count <= long[word] for word, count in short.items())


def _stem(word: str) -> str:
    """A crude English stem for duplicate matching: "added"/"adding"/"adds" -> "add", "moving" -> "mov"."""
    if len(word) > 4:
        for suffix in ("ing", "ed", "es", "s"):
            if word.endswith(suffix):
                word = word[: -len(suffix)]
                break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def _filled(item: ActionItem) -> int:
    return sum(value is not None for value in (item.owner, item.due, item.priority, item.ref, item.kind))


def _merge_into(target: ActionItem, other: ActionItem) -> ActionItem:
    description = target.description
    if other.description and (not description or len(other.description) > len(description)):
        description = other.description
    return replace(
        target,
        description=description,
        owner=target.owner or other.owner,
        due=target.due or other.due,
        priority=target.priority or other.priority,
        kind=target.kind or other.kind,
        kind_raw=target.kind_raw or other.kind_raw,
        ref=target.ref or other.ref,
        done=target.done or other.done,
    )
