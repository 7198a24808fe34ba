"""Action items from paragraphs: commitment sentences ("We will ...") and one-statement lines."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from worker.parse import budget
from worker.parse.blocks import Paragraph, Text
from worker.parse.decide import (
    ACTION_SECTION,
    BESIDE_STRUCTURE,
    COMMITMENT,
    FRAMING,
    MARKER,
    NOTE,
    Decision,
    candidate,
    framing,
    legend,
)
from worker.parse.field_lines import field_line
from worker.parse.fields import MAX_FIELD_TEXT
from worker.parse.item import (
    DIAGRAM,
    Commitment,
    Items,
    Section,
    make_item,
)
from worker.parse.leads import read_lead
from worker.parse.nothing import says_nothing_to_do
from worker.parse.patterns import lazy
from worker.parse.phrases import (
    DONE,
    FUTURE_VERB,
    FUTURE_VERB_STEMS,
    ONGOING,
    PLANNED,
    PLANNED_ANYWHERE,
    PLANNED_ANYWHERE_STEMS,
)
from worker.parse.screens import has_any, loose
from worker.parse.sections import Kind
from worker.parse.titles import split_sentences

_MAX_CONTEXT_PARAGRAPH = 2_000  # a commitment's description is its whole paragraph up to this size
_CLOSING = lazy(
    r"\b(?:these|those|the\sabove|the\ssuggested|all\s(?:the|of\sthese))\s(?:\w{1,30}\s){0,3}"
    r"(?:measures|actions|steps|changes|improvements|items|tasks|fixes|medidas|acciones|ações|maßnahmen|mesures)\b"
    r"|^(?:in\ssummary|overall|to\ssummari[sz]e|we\sapologi[sz]e|we\sare\ssorry|sorry|thank|we\sappreciate"
    r"|by\simplementing)\b",
    re.I,
)
_NARRATIVE_DONE = lazy(
    r"^(?:identified|decided|learned|learnt|realized|realised|found|seen|noticed|concluded|been|had|listed"
    r"|outlined|summarized|summarised|agreed|prioriti[sz]ed|discussed|identificado|decidido|aprendido"
    r"|identifié|décidé|appris|festgestellt|entschieden|gelernt|identificamos)\b",
    re.I,
)


def paragraph_items(
    block: Paragraph,
    section: Section,
    found: Items,
    *,
    lang: str,
    base: date | None,
    read: dict[str, list[Commitment]],
) -> int | None:
    """The items of one paragraph line: its commitment sentences, or the line itself when it scores."""
    text = block.content.text
    head = text[:MAX_FIELD_TEXT]
    lead = read_lead(head)
    marked = lead is not None and lead.marker
    if section.kind is not Kind.ACTION and not marked:
        return None  # prose outside action sections is no candidate unless a marker says so
    if not marked and not block.note:
        commitments = read_commitments(text, read)
        if commitments:
            return _commitment_items(block, section, found, commitments, lang=lang, base=base)
    decision = candidate("line", head, section.title)
    decision.add(ACTION_SECTION, section.kind is Kind.ACTION)
    decision.add(MARKER, marked)
    person = lead is not None and lead.owner is not None
    decision.add(COMMITMENT, person)
    decision.add(NOTE, block.note)
    decision.add(BESIDE_STRUCTURE, (section.structured or section.committed) and not marked and not person)
    decision.add(FRAMING, bool(_CLOSING.search(head)) or head.rstrip().endswith("?") or framing(head))
    _line_vetoes(decision, head, section, marked=marked)
    if not decision.taken:
        return None
    item = make_item(block.content, section, lang=lang, base=base, decision=decision)
    return found.add(item) if item is not None else None


def _line_vetoes(decision: Decision, head: str, section: Section, *, marked: bool) -> None:
    if says_nothing_to_do(head):
        decision.refuse("says there is nothing to do")
    if legend(head):
        decision.refuse("a legend of the checkboxes")
    if DIAGRAM.match(head):
        decision.refuse("a diagram")
    if field_line(head) is not None and "\n" not in head.strip():
        decision.refuse("a field line with no item above it")  # "Owner: Ana"
    if section.kind is Kind.EXCLUDED and not marked:
        decision.refuse(f"an excluded section ({section.title})")


def _commitment_items(
    block: Paragraph,
    section: Section,
    found: Items,
    commitments: list[Commitment],
    *,
    lang: str,
    base: date | None,
) -> int | None:
    """One item per commitment sentence ("We will …"), described by its whole paragraph."""
    text = block.content.text
    last = None
    for commitment in commitments:
        budget.check()
        decision = candidate("sentence", commitment.sentence, section.title)
        decision.add(ACTION_SECTION, section.kind is Kind.ACTION)
        decision.add(COMMITMENT)
        # Fields come from the sentence itself: each is read once, whatever the paragraph's length.
        sentence = Text(
            commitment.sentence,
            mentions=[m for m in block.content.mentions if m in commitment.sentence],
            refs=[r for r in block.content.refs if r in commitment.sentence],
        )
        item = make_item(sentence, section, lang=lang, base=base, commitment=commitment, decision=decision)
        if item is not None and decision.taken:
            if len(text) <= _MAX_CONTEXT_PARAGRAPH:
                item = replace(item, description=" ".join(text.split()))  # the reasons around it
            last = found.add(item)
    return last


def read_commitments(text: str, read: dict[str, list[Commitment]]) -> list[Commitment]:
    """`find_commitments(text)`, remembered in `read` (the caller does not change the list)."""
    found = read.get(text)
    if found is None:
        found = read[text] = find_commitments(text)
    return found


def find_commitments(text: str) -> list[Commitment]:
    """Sentences that commit to an action: planned ("We will", "We are adding") or done ("We have added")."""
    out: list[Commitment] = []
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
                out.append(Commitment(sentence, rest[0].upper() + rest[1:], done))
            continue
        head = sentence[:MAX_FIELD_TEXT]
        lowered = loose(head)
        anywhere = PLANNED_ANYWHERE.search(head) if has_any(lowered, PLANNED_ANYWHERE_STEMS) else None
        if anywhere is not None:
            rest = sentence[anywhere.end() :].strip()
            title = rest[0].upper() + rest[1:] if len(rest.split()) >= 2 else sentence
            out.append(Commitment(sentence, title, False))
        elif has_any(lowered, FUTURE_VERB_STEMS) and FUTURE_VERB.search(head):
            out.append(Commitment(sentence, sentence, False))
    return out
