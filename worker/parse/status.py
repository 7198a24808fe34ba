"""Status words and markers: done ("[x]", "(/)", "Done", "erledigt", "-- DONE") and dropped ("Won't do",
"Not pursued", "Duplicate of ...") in five languages, in status cells and written inside an item's text.

Dropped items are not actions: the extractor leaves them out. Patterns are alternations of fixed words
with optional single separators, run on whitespace-collapsed text of bounded length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.parse.patterns import lazy
from worker.parse.screens import has_any, loose
from worker.parse.sections import fold

_DONE_WORDS = frozenset(
    [
        "done",
        "complete",
        "completed",
        "closed",
        "resolved",
        "fixed",
        "finished",
        "shipped",
        "merged",
        "implemented",
        "delivered",
        "yes",
        "y",
        "x",
        "true",
        "hecho",
        "completado",
        "completada",
        "cerrado",
        "cerrada",
        "resuelto",
        "resuelta",
        "terminado",
        "terminada",
        "implementado",
        "implementada",
        "concluido",
        "concluida",
        "feito",
        "feita",
        "fechado",
        "fechada",
        "resolvido",
        "resolvida",
        "implantado",
        "erledigt",
        "abgeschlossen",
        "fertig",
        "umgesetzt",
        "behoben",
        "termine",
        "terminee",
        "fait",
        "faite",
        "resolu",
        "resolue",
        "clos",
        "close",
        "ferme",
        "realise",
        "realisee",
        "livre",
    ]
) | frozenset({"in production", "rolled out", "en produccion", "em producao", "ja feito"})
_DROPPED_PHRASES = (
    "won t do",
    "wont do",
    "won t fix",
    "wontfix",
    "wont fix",
    "will not do",
    "will not be done",
    "not doing",
    "not pursued",
    "not taken forward",
    "not going ahead",
    "not planned",
    "no longer needed",
    "descartado",
    "descartada",
    "no se hara",
    "no se realizara",
    "no procede",
    "cancelado",
    "cancelada",
    "nao sera feito",
    "nao sera feita",
    "nao sera realizado",
    "nao seguiremos",
    "wird nicht umgesetzt",
    "nicht umgesetzt",
    "wird nicht gemacht",
    "nicht weiterverfolgt",
    "verworfen",
    "ne sera pas fait",
    "ne sera pas faite",
    "abandonne",
    "abandonnee",
    "non retenu",
    "non retenue",
    "sans suite",
    "duplicate",
    "duplicate of",
    "duplicado",
    "duplicado de",
    "duplicada de",
    "duplikat",
    "duplikat von",
    "doublon",
    "doublon de",
    "duplique",
    "rejected",
    "cancelled",
    "canceled",
    "dropped",
    "obsolete",
    "rechazado",
    "rejeitado",
    "abgelehnt",
    "rejete",
    "annule",
)
_DROPPED_EXACT = frozenset(_DROPPED_PHRASES)
_DROPPED_PREFIXES = tuple(phrase + " " for phrase in _DROPPED_PHRASES)  # str.startswith takes a tuple
# Phrases that mark an item dropped wherever they appear in its text (never ordinary action wording).
_DROPPED_ANYWHERE = lazy(
    r"\b(?:won['’]?t\s(?:do|fix)|wontfix|will\snot\s(?:do|be\sdone)|not\sdoing|not\spursued"
    r"|not\staken\sforward|not\sgoing\sahead|duplicate\sof|no\sse\s(?:hará|realizará)|descartad[oa]"
    r"|duplicad[oa]\sde|não\sserá\s(?:feit[oa]|realizad[oa])|wird\snicht\s(?:umgesetzt|gemacht)"
    r"|nicht\sweiterverfolgt|verworfen|duplikat\svon|ne\ssera\spas\sfaite?|non\sretenue?|doublon\sde"
    r"|abandonnée?)(?!\w)",
    re.I,
)
# "(dropped)", "[cancelled]": a bracketed word that drops the item (bare, these words can be actions).
_DROPPED_BRACKET = lazy(
    r"[(\[]\s?(?:dropped|cancell?ed|abandoned|descartad[oa]|cancelad[oa]|gestrichen|abgebrochen"
    r"|annulée?|abandonnée?|won['’]?t\sdo)\s?[)\]]",
    re.I,
)
# "✗ Drop the cache": a crossed box, the item is not going to be done.
_CROSS_GLYPHS = frozenset("✗✘❌❎☒")
_DONE_ALTERNATION = (
    r"done|completed?|closed|resolved|fixed|finished|shipped|merged|implemented|hecho|completad[oa]"
    r"|cerrad[oa]|resuelt[oa]|terminad[oa]|implementad[oa]|concluíd[oa]|concluid[oa]|feit[oa]|fechad[oa]"
    r"|resolvid[oa]|erledigt|abgeschlossen|umgesetzt|behoben|terminée?|faite?|résolue?|clos"
)
# Status written as a marker in the text: "Status: Completed", "(done)", "[DONE]", "-- DONE", "✅", "(/)".
_STATUS_LABEL = lazy(
    r"[(\[]?\b(?:status|state|estado|situação|situacao|statut|état|etat|zustand)\s?:\s?"
    r"([^\s,;)\]·|—–]{1,20}(?:\s[^\s,;)\]·|—–]{1,20}){0,3})\s?[)\]]?",
    re.I,
)
_DONE_MARKER = lazy(
    r"[(\[]\s?(?:"
    + _DONE_ALTERNATION
    + r")\s?[)\]]|✅|✔️?|☑️?|\(/\)|(?:^|\s)(?:--|—|–|-|·|\|)\s?(?:"
    + _DONE_ALTERNATION
    + r")\s?\.?$|^\[?(?:DONE|ERLEDIGT|FEITO|HECHO|FAIT)\]?\s?[:\-–—]\s|,\s?(?:"
    + _DONE_ALTERNATION
    + r")\s?\)",
    re.I,
)
_MAX_STATUS_CHARS = 80
# Screens (see screens.py): a word every branch of _DONE_MARKER that is not a glyph needs, and a word every
# branch of _DROPPED_ANYWHERE needs.
_DONE_STEMS = (
    "done",
    "complet",
    "clos",
    "resol",
    "résolu",
    "fixed",
    "finished",
    "shipped",
    "merged",
    "implement",
    "hecho",
    "cerrad",
    "resuelt",
    "termin",
    "conclu",
    "feit",
    "fechad",
    "erledigt",
    "abgeschlossen",
    "umgesetzt",
    "behoben",
    "fait",
)
_DONE_GLYPHS = ("✅", "✔", "☑", "(/)")
_DROPPED_ANYWHERE_STEMS = (
    "won",  # won't do, wont fix, wontfix
    "will",  # will not do
    "not",  # not doing, not pursued, …
    "duplica",  # duplicate of, duplicado de
    "hará",  # no se hará
    "realizará",
    "descartad",
    "não",  # não será feito
    "nicht",  # wird nicht umgesetzt, nicht weiterverfolgt
    "verworfen",
    "duplikat",
    "fait",  # ne sera pas fait(e)
    "retenu",  # non retenu(e)
    "doublon",
    "abandonn",
)


def _may_mark_done(text: str, lowered: str) -> bool:
    return has_any(text, _DONE_GLYPHS) or has_any(lowered, _DONE_STEMS)


@dataclass(frozen=True, slots=True)
class Status:
    done: bool = False
    dropped: bool = False
    spans: tuple[str, ...] = ()  # text to cut from the title


def is_done_status(text: str) -> bool:
    """Whether a status cell or marker says the item is finished."""
    stripped = text.strip()
    if stripped[:1] in "✓✔✅☑☒":
        return True
    folded = fold(stripped[:_MAX_STATUS_CHARS])
    return folded in _DONE_WORDS or folded.startswith(("done ", "erledigt ", "completed "))


def is_dropped_status(text: str) -> bool:
    """Whether a status cell says the item will not be done (won't do, not pursued, duplicate of ...)."""
    folded = fold(text.strip()[:_MAX_STATUS_CHARS])
    if folded in _DROPPED_EXACT:
        return True
    if folded.startswith(_DROPPED_PREFIXES):
        return True
    return has_any(loose(text), _DROPPED_ANYWHERE_STEMS) and _DROPPED_ANYWHERE.search(text) is not None


def inline_status(text: str) -> Status:
    """Done/dropped markers written in an item's own (whitespace-collapsed, bounded) text."""
    spans: list[str] = []
    done = dropped = False
    label = _STATUS_LABEL.search(text) if ":" in text else None  # the label needs its colon
    if label:
        value = label.group(1)
        if is_dropped_status(value):
            dropped = True
            spans.append(label.group(0))
        elif is_done_status(value):
            done = True
            spans.append(label.group(0))
        elif fold(value).split()[:1] and fold(value).split()[0] in {
            "open",
            "todo",
            "pending",
            "planned",
            "abierto",
            "pendiente",
            "aberto",
            "pendente",
            "offen",
            "geplant",
            "ouvert",
            "prevu",
            "en",
            "in",
            "em",
            "a",
            "not",
            "to",
            "backlog",
            "nuevo",
            "novo",
            "neu",
        }:
            spans.append(label.group(0))  # an open status: not the title's business either
    marker = _DONE_MARKER.search(text) if _may_mark_done(text, lowered := loose(text)) else None
    if marker:
        done = True
        spans.append(marker.group(0))
    bracketed = ("(" in text or "[" in text) and _DROPPED_BRACKET.search(text) is not None
    anywhere = has_any(lowered, _DROPPED_ANYWHERE_STEMS) and _DROPPED_ANYWHERE.search(text) is not None
    if anywhere or bracketed or text[:1] in _CROSS_GLYPHS:
        dropped = True
    return Status(done=done and not dropped, dropped=dropped, spans=tuple(spans))
