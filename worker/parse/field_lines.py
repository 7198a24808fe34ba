"""Field lines ("Owner: Ana", "Context: ...") that add to the item above instead of being items."""

from __future__ import annotations

import re

from worker.parse.fields import Role, column_role
from worker.parse.patterns import lazy
from worker.parse.sections import fold

_FIELD_LINE = lazy(r"^([^:：\n]{1,40}?)\s?[:：]\s?(.{0,2000})$", re.S)
_DESCRIPTION_KEYS = frozenset(
    {
        "context",
        "contexto",
        "kontext",
        "contexte",
        "details",
        "detail",
        "detalles",
        "detalhes",
        "notes",
        "note",
        "notas",
        "notizen",
        "why",
        "reason",
        "rationale",
        "background",
        "porque",
        "por que",
        "motivo",
        "warum",
        "begrundung",
        "pourquoi",
        "description",
        "descripcion",
        "descricao",
        "beschreibung",
        "problem",
        "problema",
        "probleme",
        "impact",
        "scope",
        "alcance",
        "umfang",
        "portee",
    }
)
_FIELD_ROLES = frozenset({Role.OWNER, Role.DUE, Role.PRIORITY, Role.KIND, Role.STATUS, Role.REF})


def field_line(text: str) -> tuple[Role | None, str] | None:
    """("Responsable : Ana" -> (OWNER, "Ana")); description keys give (None, value); else None."""
    match = _FIELD_LINE.match(text.strip()[:2100])
    if not match:
        return None
    key = fold(match.group(1))
    if not key or len(key.split()) > 4:
        return None
    value = match.group(2).strip()
    if key in _DESCRIPTION_KEYS:
        return None, value
    role = column_role(match.group(1))
    if role in _FIELD_ROLES and fold(match.group(1)) == key:
        return role, value
    return None
