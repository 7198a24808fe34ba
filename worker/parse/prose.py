"""Action items from paragraphs: commitment sentences ("We will ...") and one-statement lines."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from worker.parse import budget
from worker.parse.blocks import Paragraph, Text
from worker.parse.field_lines import field_line
from worker.parse.fields import MAX_FIELD_TEXT
from worker.parse.item import (
    DIAGRAM,
    Commitment,
    Items,
    Section,
    make_item,
)
from worker.parse.nothing import says_nothing_to_do
from worker.parse.phrases import DONE, FUTURE_VERB, ONGOING, PLANNED, PLANNED_ANYWHERE
from worker.parse.sections import Kind
from worker.parse.titles import split_sentences

_MAX_CONTEXT_PARAGRAPH = 2_000  # a commitment's description is its whole paragraph up to this size
_CLOSING = re.compile(
    r"\b(?:these|those|the\sabove|the\ssuggested|all\s(?:the|of\sthese))\s(?:\w{1,30}\s){0,3}"
    r"(?:measures|actions|steps|changes|improvements|items|tasks|fixes|medidas|acciones|ações|maßnahmen|mesures)\b"
    r"|^(?:in\ssummary|overall|to\ssummari[sz]e|we\sapologi[sz]e|we\sare\ssorry|sorry|thank|we\sappreciate"
    r"|by\simplementing)\b",
    re.I,
)
_NARRATIVE_DONE = re.compile(
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
    if section.kind is not Kind.ACTION or block.note:
        return None
    text = block.content.text
    if says_nothing_to_do(text[:MAX_FIELD_TEXT]):
        return None
    commitments = read_commitments(text, read)
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
            item = make_item(sentence, section, lang=lang, base=base, commitment=commitment)
            if item is not None:
                if len(text) <= _MAX_CONTEXT_PARAGRAPH:
                    item = replace(item, description=" ".join(text.split()))  # the reasons around it
                last = found.add(item)
        return last
    if section.structured or section.committed:
        return None
    head = text[:MAX_FIELD_TEXT]
    if _CLOSING.search(head) or head.rstrip().endswith((":", "?")) or DIAGRAM.match(head):
        return None
    if field_line(head) is not None and "\n" not in head.strip():
        return None  # "Owner: Ana" with no action above it
    item = make_item(block.content, section, lang=lang, base=base)
    return found.add(item) if item is not None else None


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
        anywhere = PLANNED_ANYWHERE.search(sentence[:MAX_FIELD_TEXT])
        if anywhere is not None:
            rest = sentence[anywhere.end() :].strip()
            title = rest[0].upper() + rest[1:] if len(rest.split()) >= 2 else sentence
            out.append(Commitment(sentence, title, False))
        elif FUTURE_VERB.search(sentence[:MAX_FIELD_TEXT]):
            out.append(Commitment(sentence, sentence, False))
    return out
