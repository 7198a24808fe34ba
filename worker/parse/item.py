"""One action item from one entry: its title, fields and description; the section and item records."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from config.kinds import document_kind as normalise_kind
from config.kinds import is_kind_label
from worker.models import ActionItem
from worker.parse import budget
from worker.parse.blocks import Text
from worker.parse.dates import parse_date
from worker.parse.decide import Decision
from worker.parse.empty import EMPTY_WORDS, word_core
from worker.parse.fields import MAX_FIELD_TEXT, Fields, inline_fields
from worker.parse.leads import read_lead
from worker.parse.patterns import lazy
from worker.parse.refs import clean_ref
from worker.parse.sections import Kind, fold
from worker.parse.status import inline_status
from worker.parse.titles import first_sentence, tidy_title

_MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
_PURPOSE = lazy(
    r"\s(?:in\sorder\sto|so\sthat|so\swe\scan|to\smake\ssure|to\sensure|to\savoid|to\sprevent|para\sevitar"
    r"|para\sasegurar|para\sgarantizar|para\sgarantir|para\sque|afin\sde|afin\sd'|pour\séviter|pour\sgarantir"
    r"|pour\sassurer|damit|um\s(?:\S{1,40}\s){0,6}zu\s)\b",
    re.I,
)
_LEADING_LABEL = lazy(
    r"^(?:action(?:\sitem)?|ai|todo|to\sdo|task|follow[-\s]?up|acción|ação|aufgabe|tâche|maßnahme|mesure)"
    r"(?:\s?#?\d{1,3})?\s?[:\-–]\s",
    re.I,
)
NUMBERING = lazy(
    r"^(?:#?\d{1,3}(?:\.\d{1,3}){0,3}[.)]?|[A-Za-z][.)]|[IVX]{1,5}\.|(?:action(?:\sitem)?|ai|item|task|acción"
    r"|accion|ação|acao|maßnahme|massnahme|aufgabe|tâche|tache|mesure)\s?#?\d{1,3}\s?[:.)–-])\s",
    re.I,
)
_NAME_LABEL = lazy(r"^([^:.!?]{2,60}):\s(\S.{0,4000})$", re.S)
DIAGRAM = lazy(r"^[\s+\-|=_/\\<>^v*.:~'`#]{3,4000}$")
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
_URL = lazy(r"https?://[^\s<>\"'()\[\]]{1,500}")


@dataclass(slots=True)
class Section:
    title: str | None
    kind: Kind
    level: int
    category: str | None = None  # a kind word heading ("### Prevent"): the kind of the items below
    structured: bool = False  # has list items or tables: its paragraphs are introductions
    committed: bool = False  # has "we will" prose: its other paragraphs are background
    heading_item: bool = False  # the heading itself is an action, the blocks below its fields


@dataclass(slots=True)
class Commitment:
    sentence: str
    title: str
    done: bool


class Items:
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


def make_item(
    content: Text,
    section: Section,
    *,
    lang: str,
    base: date | None,
    commitment: Commitment | None = None,
    context: list[str] | None = None,
    owner_from_text: bool = True,
    decision: Decision | None = None,
) -> ActionItem | None:
    """The item an entry states, or None (with the reason given to `decision`) when nothing is left."""
    veto = decision.refuse if decision is not None else _ignore
    full = " ".join(content.text[:MAX_FIELD_TEXT].split())
    if is_placeholder(full) or DIAGRAM.match(full):
        veto("a placeholder or a diagram")
        return None
    status = inline_status(full)
    # Struck through: crossed out, unless it is also marked done ("~~Investigate GC pauses~~ (done)").
    if status.dropped or (content.struck and not status.done):
        veto("marked won't do, dropped, duplicate or struck through")
        return None
    fields = inline_fields(full, lang=lang, base=base, mentions=content.mentions)
    source = commitment.title if commitment is not None else _lead_fields(full, fields, owner_from_text)
    title, label_kind, url = _title(source, fields, status.spans, commitment=commitment is not None)
    if not title or is_placeholder(title):
        veto("no title left once the fields are cut out")
        return None
    if decision is not None:
        decision.title = title
    kind_raw = fields.kind or label_kind or section.category
    return ActionItem(
        title=title,
        description=_description(content, title, context),
        owner=fields.owner,
        due=_due(fields, content, lang=lang, base=base),
        priority=fields.priority,
        kind=normalise_kind(kind_raw),
        kind_raw=kind_raw,
        ref=clean_ref((content.refs[0] if content.refs else None) or fields.ref or url or "") or None,
        done=_done(fields.done, status.done, content.checked, commitment),
        section=section.title,
    )


def _lead_fields(full: str, fields: Fields, owner_from_text: bool) -> str:
    """The text the title comes from (without a leading marker or person); the lead's owner into fields."""
    lead = read_lead(full)
    if not owner_from_text:
        # An owner column decides the owner, even when empty: a handle in the text stays in the title.
        fields.consumed = [span for span in fields.consumed if span not in fields.owner_spans]
        fields.owner = None
        lead = lead if lead is not None and lead.marker else None
    elif lead is not None and lead.owner and fields.owner is None:
        fields.owner = lead.owner
    return lead.rest if lead is not None else full


def _ignore(reason: str) -> None:
    """No decision to tell (a heading item's fields, a caller outside the candidate walk)."""


def _description(content: Text, title: str, context: list[str] | None) -> str | None:
    parts = [" ".join(content.text[:MAX_DESCRIPTION].split()), *(context or [])]
    description = "\n".join(part for part in parts if part)
    return description if description != title else None


def _due(fields: Fields, content: Text, *, lang: str, base: date | None) -> date | None:
    if fields.due is None and content.dates:
        return parse_date(content.dates[0][:60], lang=lang, base=base)
    return fields.due


def _done(*marks: object) -> bool:
    """Done when any mark says so: a status word, a status span, a ticked box, a "we have" commitment."""
    return any(
        bool(mark.done) if isinstance(mark, Commitment) else bool(mark) for mark in marks if mark is not None
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
        title = NUMBERING.sub("", title, count=1) if NUMBERING.match(title) else title
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


def is_placeholder(text: str) -> bool:
    core = word_core(text[:400])
    if not core:
        return True
    if len(core) > 60:
        return core[:11].casefold() == "lorem ipsum"  # longer text is never a placeholder word
    folded = fold(core)
    return folded in EMPTY_WORDS or folded in _PLACEHOLDER_TITLES or folded.startswith("lorem ipsum")


def clean(text: str) -> str:
    return " ".join(text.split()).strip(" :")
