"""How a line starts: an explicit action marker ("AI:", "**AI** (Ana):", "Action:", "TODO:", a team's own
markers) and person-led wording ("Ana: rotate the keys", "Bob to add an alert", "Carol will …").

Both name the owner and leave the action as the rest of the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from worker.parse import vocabulary
from worker.parse.patterns import lazy
from worker.parse.sections import fold

_MARKER = lazy(
    r"^(?:ai|a\.i\.|action(?:\sitem)?|action\spoint|todo|to-?do|follow[-\s]?up|acción|accion|ação|acao"
    r"|aufgabe|maßnahme|massnahme|tâche|tache)"
    r"(?:\s?\(([^()]{1,60})\))?\s?[:：]\s?(?=\S)",
    re.I,
)
# "Also: …", "Plus: …", "And: …": a connective before a person-led line.
_CONNECTIVE = lazy(
    r"^(?:also|plus|and|additionally|además|tambien|também|außerdem|aussi)\s?[:,]\s", re.I
)
_SLACK_ID = r"<@[UW][A-Z0-9]{2,20}(?:\|[^<>]{1,60})?>"
# One capitalised word, a handle or a Slack id: "Carol Smith to …" is read as "Smith to …" never, and a
# change of case in the words after the name never changes what the line says (fingerprints rely on it).
_PERSON = r"(@[\w.-]{1,40}|" + _SLACK_ID + r"|[A-ZÀ-Þ][a-zà-ÿ'’-]{1,30})"
_PERSON_TO = lazy(
    _PERSON + r"\s(?i:to|will|shall|is\sto|is\sgoing\sto|va\sa|vai|wird)\s"
    # "Move to the new gateway", "Add to our runbook": "to" as a preposition after a verb, not "Bob to add".
    r"(?!(?i:the|a|an|our|all|every|each|this|that|these|those|its|their|new|prod|production|staging)\b)"
    r"(?=\w)(.+)$",
    re.S,
)
_PERSON_COLON = lazy(_PERSON + r"\s?:\s(?=[a-zà-ÿ])(.+)$", re.S)
# Capitalised words that start "X to …" / "X: …" lines without naming a person.
_NOT_PEOPLE = frozenset(
    [
        "we",
        "i",
        "you",
        "they",
        "he",
        "she",
        "it",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "also",
        "plus",
        "and",
        "then",
        "next",
        "note",
        "notes",
        "owner",
        "owners",
        "status",
        "due",
        "date",
        "context",
        "why",
        "reason",
        "background",
        "impact",
        "summary",
        "team",
        "teams",
        "service",
        "services",
        "database",
        "db",
        "api",
        "ui",
        "frontend",
        "backend",
        "infra",
        "infrastructure",
        "ops",
        "sre",
        "security",
        "monitoring",
        "alerting",
        "detect",
        "prevent",
        "mitigate",
        "process",
        "repair",
        "investigate",
        "goal",
        "goals",
        "problem",
        "issue",
        "issues",
        "question",
        "decision",
        "decisions",
        "result",
        "results",
        "update",
        "updates",
        "step",
        "steps",
        "phase",
        "item",
        "items",
        "task",
        "tasks",
        "action",
        "actions",
        "todo",
        "fix",
        "fixes",
        "follow",
        "followup",
        "need",
        "needs",
        "plan",
        "priority",
        "kind",
        "type",
        "ticket",
        "jira",
        "bug",
        "link",
        "warning",
        "info",
        "tip",
        "important",
        "nb",
        "ps",
        "re",
        "fw",
        "subject",
        "from",
        "to",
        "cc",
        "date",
        "time",
        "where",
        "what",
        "when",
        "who",
        "how",
        "nosotros",
        "need",
        "plan",
        "try",
        "remember",
        "want",
        "have",
        "going",
        "make",
        "decide",
        "agree",
        "continue",
        "start",
        "ask",
        "aim",
        "review",
        "nothing",
        "everyone",
        "someone",
        "nobody",
        "wir",
        "nous",
        "nós",
    ]
)


@dataclass(frozen=True, slots=True)
class Lead:
    owner: str | None  # the person named, as written
    rest: str  # the action, without the marker or the person
    marker: bool  # an explicit action marker, not only a person


def read_lead(text: str) -> Lead | None:
    """The marker and/or person a line starts with, or None when it starts with neither."""
    head = text[:2000]
    return _read_lead(head, vocabulary.current().markers)


@lru_cache(maxsize=2048)  # a candidate is read once to score it and once to make its item
def _read_lead(head: str, markers: tuple[str, ...]) -> Lead | None:
    marked = _marker(head, markers)
    if marked is not None:
        owner, rest = marked
        person = _person(rest)
        if person is not None and owner is None:
            return Lead(person[0], _capital(person[1]), marker=True)
        return Lead(owner, _capital(rest), marker=True)
    bare = _CONNECTIVE.sub("", head, count=1)
    person = _person(bare)
    if person is not None:
        return Lead(person[0], _capital(person[1]), marker=False)
    return None


def _marker(text: str, markers: tuple[str, ...]) -> tuple[str | None, str] | None:
    match = _MARKER.match(text)
    if match:
        owner = match.group(1).strip() if match.group(1) else None
        return owner, text[match.end() :]
    for marker in markers:
        if text[: len(marker)].casefold() == marker.casefold() and len(text) > len(marker):
            return None, text[len(marker) :].lstrip(" :-–")
    return None


def _person(text: str) -> tuple[str, str] | None:
    for pattern in (_PERSON_TO, _PERSON_COLON):
        match = pattern.match(text)
        if match and _is_person(match.group(1)) and len(match.group(2).split()) >= 2:
            return _owner(match.group(1)), match.group(2)
    return None


def _is_person(name: str) -> bool:
    if name.startswith(("@", "<@")):
        return True
    words = fold(name).split()
    return bool(words) and not any(word in _NOT_PEOPLE for word in words)


def _owner(name: str) -> str:
    slack = re.fullmatch(r"<@([UW][A-Z0-9]{2,20})(?:\|([^<>]{1,60}))?>", name)
    if slack:
        return slack.group(2) or slack.group(1)
    return name.strip()


def _capital(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text
