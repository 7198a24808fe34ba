"""The vocabulary of action-item kinds: the six kinds, the five-language words that name them, and the
two normalisers (a document's kind value, and a kind word stored by any version).

The parser emits exactly these kinds (the original word is kept in `kind_raw`). Items stored earlier carry
the raw word ("Prevention", "Detection", "mitigation"), so follow-up normalises every kind it reads, and a
team's `kinds` setting is normalised the same way. Bottom of the house: imports nothing of the project.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["DEFAULT_PREVENTATIVE", "KINDS", "document_kind", "fold", "is_kind_label", "normalise_kind"]

#: The fixed vocabulary of `ActionItem.kind`; follow-up policies and routing rely on it.
KINDS: tuple[str, ...] = ("prevent", "detect", "mitigate", "process", "repair", "investigate")

#: Kinds followed up when a team does not choose: work that stops the next incident or shortens it.
#: `repair` (fix what broke) and `investigate` (find out more) are not preventative on their own.
DEFAULT_PREVENTATIVE: tuple[str, ...] = ("prevent", "detect", "mitigate", "process")

# Folded words (see `fold`) -> kind. Matched on the whole value, then on each of its words.
_WORDS: dict[str, str] = {}
for _kind, _words in {
    "prevent": "prevent prevents prevention preventive preventative preventing prevenir prevencion preventiva"
    " preventivo preventivas preventivos prevencao vorbeugung vorbeugend vorbeugende pravention praventiv"
    " praventive vermeidung verhindern prevention preventif preventive eviter avoid avoidance hardening",
    "detect": "detect detects detection detecting monitor monitoring alert alerting alerts observability"
    " deteccion detectar monitoreo monitorizacion alertas deteccao monitoramento erkennung erkennen"
    " uberwachung monitoring alarmierung detection detecter surveillance supervision",
    "mitigate": "mitigate mitigates mitigation mitigating mitigar mitigacion mitigacao minderung mindern"
    " abschwachung eindammung attenuation attenuer mitiger containment contain resilience",
    "process": "process processes procedure procedures policy runbook documentation training communication"
    " proceso procesos procedimiento procesual processo processos procedimento prozess prozesse verfahren"
    " ablauf processus procedure organisationnel organisation",
    "repair": "repair repairs fix fixes fixing remediate remediation corrective correction bugfix"
    " reparar reparacion correccion correctiva correctivo correctivas reparo correcao corretiva corretivo"
    " reparatur behebung beheben korrektur korrigieren fehlerbehebung korrekturmassnahme reparation"
    " reparer correctif corrective corriger",
    "investigate": "investigate investigates investigation investigating research analysis analyse spike"
    " followup investigar investigacion analisis investigacao analise untersuchung untersuchen analysieren"
    " enquete investiguer analyser",
}.items():
    for _word in _words.split():
        _WORDS[_word] = _kind
_MAX_KIND_CHARS = 60

# Stems of the words people and older parser versions used, checked in order (longest meaning first).
_STEMS: tuple[tuple[str, str], ...] = (
    ("prevent", "prevent"), ("avoid", "prevent"), ("detect", "detect"), ("monitor", "detect"),
    ("alert", "detect"), ("mitigat", "mitigate"), ("process", "process"), ("repair", "repair"),
    ("fix", "repair"), ("remediat", "repair"), ("investigat", "investigate"),
)

_ASCII_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Casefold, strip accents and everything that is not a letter, digit or space (as the parser's
    section matching does), so "Prévention:" and "prevention" are one word."""
    if text.isascii():
        return " ".join(_ASCII_NON_ALNUM.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(letters.split())


def document_kind(raw: str | None) -> str | None:
    """The KINDS word for a document's kind/category value ("Prevention" -> "prevent"), or None."""
    if not raw or len(raw) > _MAX_KIND_CHARS:
        return None
    folded = fold(raw)
    if folded in KINDS:
        return folded
    if folded in _WORDS:
        return _WORDS[folded]
    for word in folded.split():
        if word in _WORDS:
            return _WORDS[word]
    return None


def is_kind_label(text: str) -> bool:
    """Whether a short line or heading is only a kind category ("Detect", "Prévention", "Mitigation:")."""
    if len(text) > _MAX_KIND_CHARS:
        return False
    folded = fold(text)
    return (
        bool(folded)
        and len(folded.split()) <= 2
        and document_kind(text) is not None
        and (folded in _WORDS or folded in KINDS or all(w in _WORDS for w in folded.split()))
    )


def normalise_kind(raw: str | None) -> str | None:
    """The vocabulary kind of a stored kind word ("Prevention" -> "prevent"); None for no kind.

    A word that matches no kind is returned lowercased, so a team can still follow it up by that name.
    """
    if raw is None:
        return None
    word = raw.strip().casefold()
    if not word:
        return None
    if word in KINDS:
        return word
    known = document_kind(raw)
    if known is not None:
        return known
    for stem, kind in _STEMS:
        if word.startswith(stem):
            return kind
    return word
