"""Blocks to action items: which entries count, their titles and fields, and merging duplicates.

What counts:
- every list item, table row and one-statement line under a heading that means action items;
- rows of tables whose header names an action/task column, wherever they are (except in excluded sections
  and timelines);
- checkbox list items anywhere outside excluded sections;
- prose commitments ("We will ...") under an action/prevention heading, titled by the commitment itself.
Paragraphs under an action heading that also has a list or table are introductions, not items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from worker.parse.blocks import Block, Heading, ListItem, Paragraph, Table, Text
from worker.parse.dates import PLACEHOLDER, parse_date
from worker.parse.fields import Fields, Role, column_role, inline_fields, is_done_status
from worker.parse.fingerprint import normalise_action
from worker.parse.refs import find_ref
from worker.parse.sections import Kind, classify_heading, effective_kind, fold

_MAX_TITLE = 200
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'“(]?[A-ZÀ-Þ0-9¿¡])")
_COMMITMENT = re.compile(
    r"\b(?:going forward,?\s|moving forward,?\s|in the future,?\s|from now on,?\s)?"
    r"(?:we\s(?:will|shall|are\sgoing\sto|plan\sto|intend\sto|commit\sto|are\scommitted\sto|'ll)"
    r"|we'll|we’ll|we're\sgoing\sto|we’re\sgoing\sto"
    r"|vamos\sa|nos\scomprometemos\sa|vamos|iremos|nous\sallons|nous\snous\sengageons\sà"
    r"|wir\swerden|werden\swir)\s",
    re.I,
)
# Spanish/Portuguese future tense ("implementaremos") and French "nous ajouterons".
_FUTURE_VERB = re.compile(
    r"\b[a-záéíóúâêôãõç]{2,20}(?:aremos|eremos|iremos)\b|\bnous\s[a-zéèêàâç]{2,20}rons\b", re.I
)
# Leads whose remainder is an imperative/infinitive action: "we will add X" -> "Add X".
_STRIP_LEAD = re.compile(
    r"^.*?\b(?:we\s(?:will|shall|are\sgoing\sto|plan\sto|intend\sto|commit\sto|are\scommitted\sto|'ll)"
    r"|we'll|we’ll|we're\sgoing\sto|we’re\sgoing\sto|vamos\sa|nos\scomprometemos\sa|vamos|nous\sallons"
    r"|nous\snous\sengageons\sà)\s+(?:also\s|additionally\s|further\s|then\s|now\s)?",
    re.I,
)
_PURPOSE = re.compile(
    r"\s(?:in\sorder\sto|so\sthat|so\swe\scan|to\smake\ssure|to\sensure|to\savoid|to\sprevent|para\sevitar"
    r"|para\sasegurar|para\sgarantizar|para\sgarantir|para\sque|afin\sde|afin\sd'|pour\séviter|pour\sgarantir"
    r"|pour\sassurer|damit|um\s(?:\S+\s){0,6}zu\s)\b",
    re.I,
)
_LEADING_LABEL = re.compile(
    r"^(?:action(?:\sitem)?|ai|todo|to\sdo|task|follow[-\s]?up|acción|ação|aufgabe|tâche)\s*[:\-–]\s+", re.I
)
_CLOSING = re.compile(
    r"\b(?:these|those|the\sabove|the\ssuggested|all\s(?:the|of\sthese))\s(?:\w+\s){0,3}"
    r"(?:measures|actions|steps|changes|improvements|items|tasks|fixes|medidas|acciones|ações|maßnahmen|mesures)\b"
    r"|^(?:in\ssummary|overall|to\ssummari[sz]e|we\sapologi[sz]e|we\sare\ssorry|sorry|thank|we\sappreciate"
    r"|by\simplementing)\b",
    re.I,
)
_NAME_LABEL = re.compile(r"^([^:.!?]{2,60}):\s+(\S.*)$", re.S)
_DIAGRAM = re.compile(r"^[\s+\-|=_/\\<>^v*.:~'`#]{3,}$")
_PLACEHOLDER_TITLE = re.compile(
    r"^\W*(?:tbd|tbc|n/?a|none|nothing|todo|to do|action|action item|item|placeholder|example|lorem ipsum.*"
    r"|add (?:action|item)s? here|ninguna|nenhuma|keine|aucune)?\W*$",
    re.I,
)


@dataclass(slots=True)
class Found:
    """An action item before fingerprinting."""

    title: str
    description: str | None = None
    owner: str | None = None
    due: date | None = None
    priority: str | None = None
    kind: str | None = None
    ref: str | None = None
    done: bool = False
    section: str | None = None
    extra_context: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Section:
    title: str | None
    kind: Kind
    level: int
    structured: bool = False  # has list items or tables: its paragraphs are introductions
    committed: bool = False  # has "we will" prose: its other paragraphs are background


def extract_items(blocks: list[Block], *, lang: str, incident_date: date | None) -> list[Found]:
    """All action items in the document, duplicates merged, in document order."""
    placed = _place(blocks)
    items: list[Found] = []
    parent_item: tuple[Found, int] | None = None  # last list item and its depth, for nested sub-points
    for block, section in placed:
        if isinstance(block, Heading):
            parent_item = None
            continue
        if isinstance(block, Table):
            items.extend(_table_items(block, section, lang=lang, base=incident_date))
            parent_item = None
            continue
        if isinstance(block, ListItem):
            parent_item = _list_item(block, section, items, parent_item, lang=lang, base=incident_date)
            continue
        if isinstance(block, Paragraph):
            parent_item = None
            items.extend(_paragraph_items(block, section, lang=lang, base=incident_date))
    return merge_duplicates(items)


def _place(blocks: list[Block]) -> list[tuple[Block, _Section]]:
    """Pair every block with the section it sits in, and note which sections have lists or tables."""
    stack: list[_Section] = []
    top = _Section(title=None, kind=Kind.NEUTRAL, level=0)
    placed: list[tuple[Block, _Section]] = []
    for block in blocks:
        if isinstance(block, Heading):
            while stack and stack[-1].level >= block.level:
                stack.pop()
            parent = stack[-1].kind if stack else Kind.NEUTRAL
            title = _clean(block.content.text)
            section = _Section(
                title=title, kind=effective_kind(classify_heading(title), parent), level=block.level
            )
            stack.append(section)
            placed.append((block, section))
            continue
        current = stack[-1] if stack else top
        if isinstance(block, ListItem | Table):
            current.structured = True
        elif isinstance(block, Paragraph) and _commitments(block.content.text):
            current.committed = True
        placed.append((block, current))
    return placed


# --- tables ---------------------------------------------------------------------------------------------
def _table_items(table: Table, section: _Section, *, lang: str, base: date | None) -> list[Found]:
    if section.kind is Kind.EXCLUDED or not table.header:
        return []
    roles = [column_role(cell.text) for cell in table.header]
    if Role.ACTION in roles:
        action_col = roles.index(Role.ACTION)
    elif section.kind is Kind.ACTION:
        if Role.WEAK_ACTION in roles:
            action_col = roles.index(Role.WEAK_ACTION)
        elif Role.CONTEXT in roles:
            action_col = roles.index(Role.CONTEXT)
        else:
            return []
    else:
        return []
    if Role.TIME in roles and section.kind is not Kind.ACTION:
        return []  # "Time | Action": a timeline, not a plan
    found: list[Found] = []
    for row in table.rows:
        if action_col >= len(row):
            continue
        cell = row[action_col]
        text = cell.text.strip()
        if _is_placeholder(text):
            continue
        context = []
        for index, role in enumerate(roles):
            if index != action_col and index < len(row) and role in (Role.CONTEXT, Role.WEAK_ACTION):
                value = row[index].text.strip()
                if value and not PLACEHOLDER.match(value):
                    context.append(f"{table.header[index].text.strip()}: {value}")
        item = _make_item(cell, section, lang=lang, base=base, context=context)
        if item is None:
            continue
        if item.section is None:
            item.section = _clean(table.header[action_col].text) or None  # no heading: the column names it
        for index, role in enumerate(roles):
            if index >= len(row) or index == action_col:
                continue
            _apply_column(item, role, row[index], lang=lang, base=base)
        found.append(item)
    return found


_TRAILING_STATUS = re.compile(
    r"^(.{0,200}?)\s*\b(DONE|TODO|OPEN|CLOSED|FIXED|COMPLETED?|IN PROGRESS|WONTFIX|WON'T FIX)\s*$"
)


def _apply_column(item: Found, role: Role, cell: Text, *, lang: str, base: date | None) -> None:
    value = " ".join(cell.text.split())
    if role is Role.OWNER:
        # First line only: "Cy Diaz<br>backup: Dee" names one owner and a note.
        owner = cell.mentions[0] if cell.mentions else " ".join(cell.text.split("\n")[0].split())
        if owner and not PLACEHOLDER.match(owner):
            item.owner = owner
    elif role is Role.DUE:
        when = cell.dates[0] if cell.dates else value
        item.due = parse_date(when, lang=lang, base=base) or (
            item.due if PLACEHOLDER.match(value) is None else None
        )
    elif role is Role.PRIORITY and value and not PLACEHOLDER.match(value):
        item.priority = value
    elif role is Role.KIND and value and not PLACEHOLDER.match(value):
        item.kind = value.lower()
    elif role is Role.STATUS:
        item.done = item.done or is_done_status(value) or bool(cell.checked)
    elif role is Role.REF:
        # Google's SRE template writes "Bug 5554823 **DONE**": the status rides in the reference cell.
        status = _TRAILING_STATUS.match(value)
        if status:
            value = status.group(1)
            item.done = item.done or is_done_status(status.group(2))
        ref = cell.refs[0] if cell.refs else find_ref(value)
        if not ref and value and any(ch.isdigit() for ch in value) and not PLACEHOLDER.match(value):
            ref = value  # a column named Bug/Ticket holds a reference even in a tracker's own format
        if ref:
            item.ref = ref
    elif role is Role.CONTEXT and not item.ref:
        item.ref = cell.refs[0] if cell.refs else None


# --- lists --------------------------------------------------------------------------------------------
def _list_item(
    block: ListItem,
    section: _Section,
    items: list[Found],
    parent: tuple[Found, int] | None,
    *,
    lang: str,
    base: date | None,
) -> tuple[Found, int] | None:
    counts = section.kind is Kind.ACTION or (block.checked is not None and section.kind is not Kind.EXCLUDED)
    if not counts:
        return None
    text = block.content.text
    if parent is not None and block.depth > parent[1] and not parent[0].title.rstrip().endswith(":"):
        # A nested point under an action: detail of that action ("Owner: Ana", "due Friday"), not a new one.
        host = parent[0]
        host.description = f"{host.description or host.title}\n{text}"
        extra = inline_fields(text, lang=lang, base=base, mentions=block.content.mentions)
        host.owner = host.owner or extra.owner
        host.due = host.due or extra.due
        host.priority = host.priority or extra.priority
        host.ref = host.ref or extra.ref or (block.content.refs[0] if block.content.refs else None)
        return parent
    commitments = _commitments(text) if section.kind is Kind.ACTION else []
    item = _make_item(
        block.content, section, lang=lang, base=base, title_text=commitments[0] if commitments else None
    )
    if item is None:
        return parent
    if block.checked:
        item.done = True
    if text.rstrip().endswith(":"):
        return (item, block.depth)  # a group label ("Database:"), its children are the actions
    items.append(item)
    return (item, block.depth)


# --- paragraphs ---------------------------------------------------------------------------------------
def _paragraph_items(block: Paragraph, section: _Section, *, lang: str, base: date | None) -> list[Found]:
    if section.kind is not Kind.ACTION or block.note:
        return []
    text = block.content.text
    commitments = _commitments(text)
    if commitments:
        found = []
        for sentence in commitments:
            item = _make_item(block.content, section, lang=lang, base=base, title_text=sentence)
            if item is not None:
                found.append(item)
        return found
    if section.structured or section.committed:
        return []
    if _CLOSING.search(text) or text.rstrip().endswith((":", "?")) or _DIAGRAM.match(text):
        return []
    item = _make_item(block.content, section, lang=lang, base=base)
    return [item] if item is not None else []


def _commitments(text: str) -> list[str]:
    """Sentences that commit to a future action ("Going forward we will ...")."""
    sentences = _SENTENCE.split(" ".join(text.split()))
    return [s for s in sentences if _COMMITMENT.search(s) or _FUTURE_VERB.search(s)]


# --- one item -----------------------------------------------------------------------------------------
def _make_item(
    content: Text,
    section: _Section,
    *,
    lang: str,
    base: date | None,
    title_text: str | None = None,
    context: list[str] | None = None,
) -> Found | None:
    full = " ".join(content.text.split())
    if _is_placeholder(full) or _DIAGRAM.match(full):
        return None
    fields = inline_fields(full, lang=lang, base=base, mentions=content.mentions)
    source = title_text if title_text is not None else full
    title, label_kind = _title(source, fields, commitment=title_text is not None)
    if not title or _is_placeholder(title):
        return None
    description_parts = [full, *(context or [])]
    description = "\n".join(part for part in description_parts if part)
    item = Found(
        title=title,
        description=description if description != title else None,
        owner=fields.owner,
        due=fields.due
        if fields.due
        else (parse_date(content.dates[0], lang=lang, base=base) if content.dates else None),
        priority=fields.priority,
        kind=fields.kind or label_kind,
        ref=(content.refs[0] if content.refs else None) or fields.ref,
        done=fields.done or bool(content.checked),
        section=section.title,
    )
    return item


_KIND_WORDS = frozenset(
    {
        "prevent",
        "mitigate",
        "detect",
        "process",
        "repair",
        "investigate",
        "remediate",
        "monitor",
        "fix",
        "improve",
        "corrective",
        "preventive",
        "preventative",
        "detection",
        "mitigation",
        "prevention",
    }
)


def _title(text: str, fields: Fields, *, commitment: bool) -> tuple[str, str | None]:
    """A concise, markup-free title for the action, and a kind if the text was labelled with one."""
    title = " ".join(text.split())
    for span in fields.consumed:
        if span:
            title = title.replace(span, " ", 1)
    title = _tidy(title)
    title = _strip_refs(title)
    label_kind = None
    if commitment:
        stripped = _STRIP_LEAD.sub("", title, count=1)
        if stripped != title and stripped:
            title = stripped[0].upper() + stripped[1:]
    else:
        title = _LEADING_LABEL.sub("", title)
        label = _NAME_LABEL.match(title)
        if label and len(label.group(1).split()) <= 6 and len(label.group(2).split()) >= 3:
            # "Name: description" lines: the description is the action; a kind word as label is the kind.
            if fold(label.group(1)) in _KIND_WORDS:
                label_kind = fold(label.group(1))
            title = label.group(2)
    first = _SENTENCE.split(title, maxsplit=1)[0]
    if len(first.split()) >= 3:
        title = first
    purpose = _PURPOSE.search(title)
    if purpose and len(title[: purpose.start()].split()) >= 3:
        title = title[: purpose.start()].rstrip(" ,;:")
    title = title.strip(" -–—,;|")
    if len(title) > _MAX_TITLE:
        cut = title[:_MAX_TITLE].rsplit(" ", 1)[0]
        title = cut + "…"
    return title, label_kind


_REF_TOKEN = r"(?:https?://\S{1,300}|[A-Z][A-Z0-9_]{1,14}-[0-9]{1,8})"  # noqa: S105 (a regex, not a secret)
_BRACKETED_REF = re.compile(
    r"\s*[(\[]\s*(?:(?:done|fixed|tracked|see|in|ticket|jira)\s+){0,3}" + _REF_TOKEN + r"\s*[)\]]"
)
_TRAILING_REF = re.compile(r"(?:\s+(?:see|in|ticket|jira|tracked\s+in)?\s*" + _REF_TOKEN + r")+\s*$")
_DANGLING = re.compile(r"\s+(?:by|due|until|before|on|in|for|with|and|para|bis|avant|até|hasta)\s*$", re.I)


_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")
# Separators left side by side once inline fields are taken out: "SLO — owner: @x — due: 2024" -> "SLO — — ".
_SEPARATOR_RUN = re.compile(r"(?:\s+[-–—|]|\s*[;,])(?:\s*(?:[-–—|;,]))+(?=\s|$)")
_LABEL_LEFT = re.compile(r"\s+(?:jira|ticket|issue|bug|ref|link|tracking)\s*:?\s*$", re.I)


def _tidy(title: str) -> str:
    """Collapse what taking inline fields out of a line leaves behind: empty brackets, separator runs."""
    title = _EMPTY_BRACKETS.sub(" ", " ".join(title.split()))
    title = _SEPARATOR_RUN.sub(" —", title)
    return " ".join(title.split()).strip(" -–—,;|")


def _strip_refs(title: str) -> str:
    """Drop ticket keys/URLs that only label the action ("... (PAY-101)", "... NET-88")."""
    stripped = _TRAILING_REF.sub("", _BRACKETED_REF.sub("", title))
    stripped = _LABEL_LEFT.sub("", _DANGLING.sub("", stripped).strip(" -–—,;:|"))
    stripped = stripped.strip(" -–—,;:|")
    return stripped if len(stripped.split()) >= 2 else title


def _is_placeholder(text: str) -> bool:
    stripped = " ".join(text.split())
    return not stripped or bool(PLACEHOLDER.match(stripped)) or bool(_PLACEHOLDER_TITLE.match(stripped))


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(" :")


# --- duplicates ---------------------------------------------------------------------------------------
def merge_duplicates(items: list[Found]) -> list[Found]:
    """One item per action: the same normalised title (or one a prefix of the other) merges fields."""
    merged: list[Found] = []
    # Candidates are bucketed by their first four words: a prefix duplicate needs at least four.
    buckets: dict[str, list[tuple[str, int]]] = {}
    for item in items:
        key = normalise_action(item.title)
        bucket = buckets.setdefault(" ".join(key.split()[:4]), [])
        match = next(
            (index for existing, index in bucket if key == existing or _prefix_duplicate(key, existing)), None
        )
        if match is None:
            bucket.append((key, len(merged)))
            merged.append(item)
        else:
            _merge_into(merged[match], item)
    return merged


def _prefix_duplicate(a: str, b: str) -> bool:
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short.split()) >= 4 and long.startswith(short + " ")


def _merge_into(target: Found, other: Found) -> None:
    if other.description and (not target.description or len(other.description) > len(target.description)):
        target.description = other.description
    target.owner = target.owner or other.owner
    target.due = target.due or other.due
    target.priority = target.priority or other.priority
    target.kind = target.kind or other.kind
    target.ref = target.ref or other.ref
    target.done = target.done or other.done
