"""The substring screens in front of case-insensitive regexes never turn away text the regex matches."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.parse.fields import _OWNER_LABEL, _OWNER_LABEL_STEMS
from worker.parse.screens import has_any, loose
from worker.parse.status import _DONE_MARKER, _DROPPED_ANYWHERE, _DROPPED_ANYWHERE_STEMS, _may_mark_done

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


def test_every_phrase_and_its_case_variants_passes_the_screens() -> None:
    matched = 0
    for piece in _PIECES:
        for text in (piece, f"Fix the cache {piece}", f"{piece} now"):
            _check(text)
            matched += bool(_DONE_MARKER.search(text) or _DROPPED_ANYWHERE.search(text))
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
