"""Values that mean "nothing here": TBD, Unassigned, —, "pendiente de asignar", "à définir"...

Checked without a backtracking regex: the text is trimmed to its first and last word characters (one
linear scan each) and the rest is looked up in a set, so a cell of 50,000 dashes costs 50,000 steps.
"""

from __future__ import annotations

from functools import lru_cache

from worker.parse import budget
from worker.parse.patterns import lazy
from worker.parse.sections import fold

# Folded forms (see sections.fold): casefolded, accents and punctuation gone, spaces collapsed.
EMPTY_WORDS = frozenset(
    {
        # English
        "tbd",
        "tbc",
        "tba",
        "n a",
        "na",
        "none",
        "nobody",
        "no one",
        "unknown",
        "unassigned",
        "not assigned",
        "pending",
        "later",
        "to be decided",
        "to be determined",
        "to be assigned",
        "to be confirmed",
        "nil",
        "null",
        "open",
        "not set",
        "no owner",
        "no date",
        "no due date",
        # Spanish
        "sin fecha",
        "por definir",
        "a definir",
        "pendiente",
        "pendiente de asignar",
        "sin asignar",
        "sin responsable",
        "por asignar",
        "nadie",
        "ninguno",
        "ninguna",
        "desconocido",
        # Portuguese
        "pendente",
        "a determinar",
        "sem data",
        "sem responsavel",
        "nao atribuido",
        "por atribuir",
        "ninguem",
        "nenhum",
        "nenhuma",
        "desconhecido",
        # German
        "offen",
        "unbekannt",
        "nicht festgelegt",
        "nicht zugewiesen",
        "niemand",
        "keiner",
        "keine",
        "noch offen",
        "tbd offen",
        "ohne",
        # French
        "non assigne",
        "non attribue",
        "personne",
        "aucun",
        "aucune",
        "inconnu",
        "a determiner",
        "en attente",
        "a confirmer",
    }
)
_WORD_CHAR = lazy(r"\w")
_MAX_EMPTY_CHARS = 40  # longer text is never a placeholder, however it ends


def word_core(text: str) -> str:
    """The text from its first to its last word character ("" when it has none); linear time."""
    budget.charge(len(text))
    first = _WORD_CHAR.search(text)
    if first is None:
        return ""
    end = len(text)
    while end > first.start() and not _WORD_CHAR.match(text, end - 1):
        end -= 1
    return text[first.start() : end]


_CACHE_CHARS = 200


def is_empty_value(text: str) -> bool:
    """Whether a cell or field value means "no value" (blank, dashes, question marks, TBD, Unassigned...)."""
    # Table cells repeat ("TBD", "@ana", "Done"): short values are remembered, not re-read row by row.
    return _is_empty_cached(text) if len(text) <= _CACHE_CHARS else _is_empty(text)


@lru_cache(maxsize=8192)
def _is_empty_cached(text: str) -> bool:
    return _is_empty(text)


def _is_empty(text: str) -> bool:
    core = word_core(text)
    if not core:
        return True
    if len(core) > _MAX_EMPTY_CHARS:
        return False
    return fold(core) in EMPTY_WORDS
