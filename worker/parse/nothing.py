"""Statements that a review produced no action items ("Action items: none", "No follow-up work is
needed", "Keine weiteren Maßnahmen"): they are zero items, not one."""

from __future__ import annotations

from worker.parse.patterns import lazy
from worker.parse.sections import fold

_MAX_CHARS = 300
# Matched on folded text (casefolded, no accents or punctuation, single spaces); fixed phrases only.
_NOTHING = lazy(
    r"\b(?:no|zero)\s(?:new\s|further\s|additional\s|other\s|more\s|specific\s)?"
    r"(?:action\sitems?|actions?|follow\s?ups?|follow\s?up\s(?:work|items?|actions?|tasks?)|tasks?|work\sitems?"
    r"|remediation|changes\sare)\b"
    r"|\bnothing\s(?:to\sdo|further|else\sto\sdo|to\sfollow\sup)\b"
    r"|^(?:action\sitems?|actions?|follow\s?ups?|next\ssteps|acciones|acoes|massnahmen|actions)\s(?:none|n\sa|nothing|ninguna|nenhuma|keine|aucune)$"
    r"|\bnone\s(?:identified|required|needed|planned)\b"
    # Spanish
    r"|\bno\s(?:hay|se\s(?:identificaron|requieren|necesitan|definieron)|surgieron|quedan)\s(?:nuevas\s|mas\s|otras\s)?"
    r"(?:acciones|tareas|medidas)\b|\bninguna\s(?:nueva\s)?(?:accion|tarea|medida)\b|\bsin\s(?:acciones|tareas)\b"
    # Portuguese
    r"|\bnenhuma\s(?:nova\s)?(?:acao|tarefa|medida)\b|\bnao\s(?:ha|foram\s(?:identificadas|definidas)|sao\snecessarias)"
    r"\s(?:novas\s|mais\s|outras\s)?(?:acoes|tarefas|medidas)\b|\bsem\s(?:acoes|tarefas)\b"
    # German
    r"|\bkeine\s(?:weiteren\s|neuen\s|zusatzlichen\s)?(?:massnahmen|aufgaben|folgeaufgaben|action\sitems|todos)\b"
    # French
    r"|\baucune\s(?:nouvelle\s|autre\s)?(?:action|tache|mesure)\b|\bpas\sd\s?(?:actions?|taches)\b|\brien\sa\sfaire\b"
)


# Such statements open with one of these words; "Ensure no actions are lost" is an action.
_OPENERS = frozenset(
    [
        "no",
        "zero",
        "there",
        "we",
        "this",
        "the",
        "after",
        "nothing",
        "none",
        "action",
        "actions",
        "follow",
        "followups",
        "followup",
        "next",
        "as",
        "ninguna",
        "ningun",
        "nenhuma",
        "nenhum",
        "nao",
        "sem",
        "sin",
        "hay",
        "de",
        "tras",
        "keine",
        "es",
        "wir",
        "nach",
        "aus",
        "aucune",
        "aucun",
        "il",
        "nous",
        "pas",
        "rien",
        "a",
        "apres",
        "suite",
        "de",
        "del",
        "da",
        "desta",
        "esta",
        "este",
        "diese",
        "dieser",
        "cette",
        "ce",
    ]
)


def says_nothing_to_do(text: str) -> bool:
    """Whether a short statement says there are no action items."""
    if len(text) > _MAX_CHARS:
        return False
    folded = fold(text)
    if not folded or folded.split()[0] not in _OPENERS:
        return False
    return _NOTHING.search(folded) is not None
