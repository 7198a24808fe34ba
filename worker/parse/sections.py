"""Classify section headings, in English, Spanish, Portuguese, German and French: action items or not.

Matching works on a folded form of the heading (casefolded, accents removed, emoji and punctuation
dropped), so "🔧 Próximos pasos", "PROXIMOS PASOS:" and "Próximos Pasos" all read the same.
"""

from __future__ import annotations

import enum
from functools import lru_cache

from config.kinds import fold as _fold
from worker.parse import vocabulary
from worker.parse.patterns import lazy


class Kind(enum.Enum):
    ACTION = "action"  # entries here are action items
    EXCLUDED = "excluded"  # timeline, impact, root cause, learnings...: never action items
    NEUTRAL = "neutral"  # anything else: inherits from the enclosing section


_FOLD_CACHE_CHARS = 200


def fold(text: str) -> str:
    """Casefold, strip accents and everything that is not a letter, digit or space."""
    if len(text) <= _FOLD_CACHE_CHARS:
        return _fold_cached(text)
    return _fold(text)


@lru_cache(maxsize=16384)
def _fold_cached(text: str) -> str:
    return _fold(text)  # the one fold (config/kinds.py), remembered for the short texts headings are


# Done-in-the-past lists ("Actions taken") are narrative, however much they look like action items.
_PAST = lazy(
    r"\b(?:actions? taken|steps taken|what we did|measures taken|acciones (?:tomadas|realizadas)"
    r"|medidas (?:tomadas|adoptadas)|acoes (?:tomadas|realizadas)|ergriffene massnahmen"
    r"|durchgefuhrte massnahmen"
    r"|actions (?:menees|realisees|prises)|mesures prises|immediate (?:actions|response))\b"
)
_TIMELINE = lazy(
    r"\b(?:timeline|chronology|sequence of events|time ?line|cronologia|linea de tiempo|linha do tempo"
    r"|zeitleiste|zeitlicher ablauf|ablauf|chronologie|deroulement|historique)\b"
)
_ACTION = lazy(
    r"\b(?:action items?|actions?|action points?|follow ?ups?|followups?|corrective|preventa?tive|prevention"
    r"|to ?do|to dos|^todos$|todo list|todo items?|tasks?|remediations?|next steps|improvements?|fixes"
    r"|countermeasures?|recommendations?"
    r"|what we are doing|what we re doing|what we will do|what we ll do|going forward|moving forward"
    r"|what we will change|what we ll change|what we are changing|what we re changing"
    r"|what s next|what is next"
    r"|future work|work items?|mitigation plan|repair items?|lessons applied|prevent|preventing|to prevent"
    r"|prevenir|evitar|evitarlo|verhindern|vermeiden|eviter|empecher"
    # Spanish
    r"|acciones|acciones correctivas|seguimiento|medidas|tareas|proximos pasos|siguientes pasos|mejoras"
    r"|correctiv[ao]s|preventiv[ao]s|prevencion|remediacion|pendientes|plan de accion"
    # Portuguese
    r"|acoes|acompanhamento|medidas|tarefas|proximos passos|melhorias|corretiv[ao]s|prevencao|remediacao"
    r"|plano de acao|itens de acao"
    # German
    r"|massnahmen|aufgaben|nachverfolgung|folgemassnahmen|nachste schritte|naechste schritte|verbesserungen"
    r"|korrekturmassnahmen|vorbeugung|pravention|aktionspunkte"
    # French
    r"|actions correctives|suivi|mesures|taches|prochaines etapes|ameliorations|correctifs|preventives?"
    r"|plan d action|remediation)\b"
)
_EXCLUDED = lazy(
    r"\b(?:impact|root causes?|causes?|contributing factors?|contributors?|mitigators?|lessons? learn(?:ed|t)"
    r"|learnings?|what went well|what went wrong|went well|summary|background|resolution|detection|leadup"
    r"|lead up|conclusion|glossary|appendix|references|participants|attendees|timestamps|durations"
    r"|key information|links|risks?|questions|faq|trigger|recovery|response|debugging|investigation"
    r"|resumen|impacto|causa raiz|causas|factores contribuyentes|lecciones aprendidas|aprendizajes|resolucion"
    r"|resumo|causa raiz|causas|fatores contribuintes|licoes aprendidas|aprendizados|resolucao"
    r"|zusammenfassung|auswirkungen?|ursachen?|grundursache|beitragende faktoren|erkenntnisse"
    r"|gelernte lektionen|lessons|losung|resume|cause racine|causes?|facteurs contributifs"
    r"|lecons apprises|enseignements|retour d experience)\b"
)
# "Lessons learned and future prevention": the prevention part decides. Excluded words that appear
# together with an action word do not veto it, except the past-tense and timeline cases above.


def classify_heading(heading: str) -> Kind:
    """Whether entries under this heading are action items, never action items, or undecided."""
    folded = fold(heading)
    if not folded:
        return Kind.NEUTRAL
    if _PAST.search(folded) or _TIMELINE.search(folded):
        return Kind.EXCLUDED
    if _ACTION.search(folded) or vocabulary.current().names_action_section(folded):
        return Kind.ACTION
    if _EXCLUDED.search(folded):
        return Kind.EXCLUDED
    return Kind.NEUTRAL


def effective_kind(own: Kind, parent: Kind) -> Kind:
    """A heading's kind once its enclosing section is taken into account."""
    return parent if own is Kind.NEUTRAL else own


class SectionTracker:
    """Follows the heading structure as blocks stream by, to know the kind of the current section."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, Kind]] = []

    def push(self, level: int, heading: str) -> None:
        """Enter a section opened by a heading of this level."""
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        parent = self._stack[-1][1] if self._stack else Kind.NEUTRAL
        self._stack.append((level, effective_kind(classify_heading(heading), parent)))

    @property
    def kind(self) -> Kind:
        return self._stack[-1][1] if self._stack else Kind.NEUTRAL

    def accepts_bare_heading(self, text: str) -> bool:
        """Whether a bare line may open a section here: inside an action list a plain line is an item."""
        return self.kind is not Kind.ACTION or classify_heading(text) is not Kind.NEUTRAL
