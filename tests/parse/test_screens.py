"""The substring screens in front of case-insensitive regexes never turn away text the regex matches."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.parse.fields import _DUE_LABEL, _DUE_LABEL_STEMS, _OWNER_LABEL, _OWNER_LABEL_STEMS
from worker.parse.phrases import (
    FUTURE_VERB,
    FUTURE_VERB_STEMS,
    PLANNED_ANYWHERE,
    PLANNED_ANYWHERE_STEMS,
)
from worker.parse.screens import has_any, loose
from worker.parse.status import _DONE_MARKER, _DROPPED_ANYWHERE, _DROPPED_ANYWHERE_STEMS, _may_mark_done
from worker.parse.titles import _SEPARATOR_CHARS, _collapse_separators

_PHRASES = [
    # what the patterns match
    "(done)",
    "[Completed]",
    "-- DONE",
    "— erledigt",
    "DONE: ",
    "FAIT - ",
    ", closed)",
    "✅",
    "✔️",
    "☑",
    "(/)",
    "(résolue)",
    "(concluído)",
    "· terminée",
    "(implementada)",
    "(behoben)",
    "(feito)",
    "(fechado)",
    "won't do",
    "WONTFIX",
    "will not be done",
    "not pursued",
    "duplicate of",
    "no se hará",
    "no se realizará",
    "descartado",
    "duplicada de",
    "não será feito",
    "wird nicht umgesetzt",
    "nicht weiterverfolgt",
    "verworfen",
    "Duplikat von",
    "ne sera pas faite",
    "non retenue",
    "doublon de",
    "abandonnée",
    "owner: Ana",
    "Owners = bob",
    "assignee @ana",
    "DRI: x",
    "responsable: Ana",
    "responsável: Rui",
    "verantwortlich: Jo",
    "zuständig: Jo",
    "propriétaire: Li",
    "porteur - Li",
    "assigné: Li",
    "dueño: Ana",
    "encargada: Ana",
    "assigned to Bob",
    "owned by Cy",
    "asignado a Eva",
    "assigné à Li",
    "atribuído a Rui",
    "due 2024-03-01",
    "Due date: 3/7",
    "deadline Q3",
    "target date: next sprint",
    "ETA 12.03.2025",
    "by March 3",
    "until tbd",
    "before end of May",
    "fecha límite: 1/2/2025",
    "plazo 2025-01-01",
    "para el 3 de mayo",
    "hasta el 1/2/2025",
    "antes del 5/5/2025",
    "até 2025-01-01",
    "prazo: T3",
    "data limite 01/02/2025",
    "bis zum 3. März",
    "fällig am 1.2.2025",
    "Frist: KW 36",
    "Termin 2025-01-01",
    "avant le 3 mai",
    "d'ici le 1/2/2025",
    "échéance : 2025-01-01",
    "pour le 3 mai",
    "(due 2024-01-01)",
    "To avoid this, we will add",
    "we'll",
    "We’re going to",
    "so we need to",
    "luego vamos a migrar",
    "nos comprometemos a",
    "después iremos",
    "ensuite nous allons",
    "nous devons",
    "dann wir werden",
    "dann werden wir",
    "e nós vamos",
    "implementaremos",
    "Revisaremos",
    "faremos",
    "nous ajouterons",
    "NOUS MIGRERONS",
    # around them
    "Fix",
    "the",
    "cache",
    "(",
    ")",
    "[",
    "]",
    "-",
    "—",
    ":",
    ",",
    ".",
    " ",
    "İ",
    "ı",
    "ſ",
    "K",
]


def _variants(phrase: str) -> list[str]:
    # Python's re.I also equates "ı"/"İ" with "i" and "ſ" with "s": the screens must too.
    return [
        phrase,
        phrase.upper(),
        phrase.title(),
        phrase.replace("i", "ı"),
        phrase.replace("s", "ſ"),
        phrase.replace("i", "İ"),
    ]


_PIECES = sorted({variant for phrase in _PHRASES for variant in _variants(phrase)})


def _check(text: str) -> None:
    lowered = loose(text)
    if _DONE_MARKER.search(text):
        assert _may_mark_done(text, lowered), text
    if _DROPPED_ANYWHERE.search(text):
        assert has_any(lowered, _DROPPED_ANYWHERE_STEMS), text
    if _OWNER_LABEL.search(text):
        assert has_any(lowered, _OWNER_LABEL_STEMS), text
    if PLANNED_ANYWHERE.search(text):
        assert has_any(lowered, PLANNED_ANYWHERE_STEMS), text
    if FUTURE_VERB.search(text):
        assert has_any(lowered, FUTURE_VERB_STEMS), text
    if _DUE_LABEL.search(text):
        assert has_any(lowered, _DUE_LABEL_STEMS), text


def test_every_phrase_and_its_case_variants_passes_the_screens() -> None:
    matched = 0
    for piece in _PIECES:
        for text in (piece, f"Fix the cache {piece}", f"{piece} now"):
            _check(text)
            matched += bool(
                _DONE_MARKER.search(text)
                or _DROPPED_ANYWHERE.search(text)
                or _DUE_LABEL.search(text)
                or FUTURE_VERB.search(text)
            )
    assert matched > 100  # the phrases do exercise the patterns


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8))
def test_screens_never_refuse_text_the_patterns_match(pieces: list[str]) -> None:
    _check(" ".join(pieces))
    _check("".join(pieces))


def test_loose_reads_dotted_and_dotless_i_and_long_s_as_re_does() -> None:
    for text, stem in (("İMPLEMENTED", "implement"), ("ıMPLEMENTED", "implement"), ("cloſed", "clos")):
        assert re.search(stem, text, re.I)
        assert stem in loose(text)


def _collapse_by_token(title: str) -> list[str]:
    """The token-by-token collapse the separator screen skips when no token is separators only."""
    tokens: list[str] = []
    last = False
    for token in title.split(" "):
        if not token:
            continue
        separator = _SEPARATOR_CHARS.issuperset(token)
        if separator and last:
            continue  # one separator kept of each run
        tokens.append(token)
        last = separator
    start = 0
    while start < len(tokens) and _SEPARATOR_CHARS.issuperset(tokens[start]):
        start += 1
    return tokens[start:]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Fix", "a-b", "-", "—", "·", "->", "→", "x.", ".", "  ", "|", "::", "ok,"]),
        max_size=10,
    )
)
def test_separator_screen_gives_the_token_by_token_result(tokens: list[str]) -> None:
    title = " ".join(tokens)
    assert _collapse_separators(title) == _collapse_by_token(title)
