"""Item fields: table column roles, and owner/due/priority/kind/ref/done written inline in an item's text."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from worker.parse import budget, vocabulary
from worker.parse.dates import DATE_PHRASE, is_vague_date, parse_date
from worker.parse.empty import is_empty_value
from worker.parse.patterns import lazy
from worker.parse.refs import find_ref, ref_span
from worker.parse.screens import has_any, loose
from worker.parse.sections import fold
from worker.parse.status import is_done_status

__all__ = ["Fields", "Role", "column_role", "inline_fields", "is_done_status"]

#: Item text longer than this is read for fields and title from its start only (regex input bound).
MAX_FIELD_TEXT = 4000


class Role(enum.Enum):
    ACTION = "action"
    WEAK_ACTION = "weak-action"  # "Item", "Description", "Fix": the action only where the section says so
    OWNER = "owner"
    DUE = "due"
    PRIORITY = "priority"
    KIND = "kind"
    STATUS = "status"
    REF = "ref"
    TIME = "time"  # a timeline's clock column
    CONTEXT = "context"


# Checked in this order; patterns match the folded header (see sections.fold).
_ROLE_PATTERNS: tuple[tuple[Role, re.Pattern[str]], ...] = (
    (
        Role.OWNER,
        lazy(
            r"^(?:owners?|owner team|owning team|assignees?|assigned owner|action owner|dri|person|persona"
            r"|responsavel|responsavel tecnico|pessoa|dono|dona|verantwortliche person|qui|who owns it"
            r"|assigned(?: to)?|responsibles?"
            r"|responsible (?:person|team)"
            r"|who|dri|point of contact|poc|responsables?|responsavel|responsaveis|dueno|encargad[oa]"
            r"|asignad[oa](?: a)?"
            r"|verantwortlich(?:e|er)?|zustandig|bearbeiter(?:in)?|proprietaire|porteur|assigne(?: a)?"
            r"|pilote)$"
        ),
    ),
    (
        Role.DUE,
        lazy(
            r"^(?:due(?: date| by| on)?|deadline|target completion|completion date|due by date"
            r"|fecha de entrega|data de entrega|zieldatum|erledigen bis|bis wann|date prevue|delai"
            r"|target(?: date)?|eta|by when|when|date"
            r"|fecha(?: limite| objetivo)?"
            r"|plazo|prazo|data(?: limite| alvo)?|fallig(?: am| bis)?|falligkeit|termin|frist|bis|echeance"
            r"|date limite|date d echeance|date cible)$"
        ),
    ),
    (
        Role.PRIORITY,
        lazy(r"^(?:priority|prio|prioridad|prioridade|prioritat|priorite|urgency|urgencia)$"),
    ),
    (
        Role.KIND,
        lazy(
            r"^(?:type|kind|category|class|action type|tipo|categoria|art|typ|kategorie|genre|nature)$"
        ),
    ),
    (
        Role.STATUS,
        lazy(
            r"^(?:status|state|done|estado|situacao|zustand|statut|etat|erledigt|progress|resolution"
            r"|status da acao|stand|avancement)$"
        ),
    ),
    (
        Role.REF,
        lazy(
            r"^(?:tickets?|ticket id|issues? (?:key|link|id)|jira(?: ticket| issue| key)?"
            r"|links?|ref|reference|tracking|issues?|tracker|jira link|ticket link|chamado|ticket jira"
            r"|bug|key|github issue|chamado|incidencia)$"
        ),
    ),
    (
        Role.TIME,
        lazy(r"^(?:time|timestamp|time utc|hora|horario|uhrzeit|zeit|heure|date time|date heure)$"),
    ),
    (
        Role.ACTION,
        lazy(
            r"^(?:actions?|action items?|action points?|follow ?up(?: actions?| items?)?|priority actions?"
            r"|corrective action|remediation items?|action description|task name|aufgabe|massnahme"
            r"|accion|acao|tache|action a mener|actions a mener|what we will do|what s next|item de acao"
            r"|tasks?|to ?dos?|remediations?"
            r"|corrective actions?|preventive actions?|next steps?|acciones?|tareas?|acoes|acao|tarefas?"
            r"|medidas?"
            r"|massnahmen?|aufgaben?|aktion(?:en)?|taches?|mesures?|actions? correctives?|work items?)$"
        ),
    ),
    (
        Role.WEAK_ACTION,
        lazy(
            r"^(?:items?|descriptions?|what|fix(?:es)?|solutions?|improvements?|recommendations?|summary|titles?|names?"
            r"|mejoras?|melhorias?|verbesserungen?|ameliorations?|descripcion|descricao|beschreibung)$"
        ),
    ),
)


def column_role(header: str) -> Role:
    """What a table column holds, judged from its header text (the team's column names first)."""
    team = vocabulary.current().columns
    if team:
        named = team.get(fold(header))
        if named is not None:
            return Role(named)
    return _default_role(header)


@lru_cache(maxsize=512)
def _default_role(header: str) -> Role:
    folded = fold(header)
    for role, pattern in _ROLE_PATTERNS:
        if pattern.match(folded):
            return role
    # Headers such as "Action item (what)" or "Owner / Team": the first word decides.
    for role, pattern in _ROLE_PATTERNS:
        first = folded.split(" ")[0] if folded else ""
        if first and pattern.match(first) and role is not Role.WEAK_ACTION:
            return role
    return Role.CONTEXT


@dataclass(slots=True)
class Fields:
    owner: str | None = None
    due: date | None = None
    due_text: str | None = None
    priority: str | None = None
    kind: str | None = None
    ref: str | None = None
    done: bool = False
    consumed: list[str] = field(default_factory=list)  # text spans to cut from the title
    owner_spans: list[str] = field(default_factory=list)  # the owner's part of `consumed`


_EMAIL = r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,4}"
_NAME = (
    r"(" + _EMAIL + r"|@?[\w.'’-]{1,40}(?:\s(?!and\b|due\b|by\b|to\b|until\b|before\b|para\b|bis\b)"
    r"[\w.'’-]{1,40}){0,3})"
)
_OWNER_LABEL = lazy(
    # A bare label word needs a separator or an @handle after it ("dri aa" in prose is not an owner);
    # "assigned to" / "owned by" read as phrases.
    r"[(\[]?(?:\b(?:owner|owners|assignee|responsible|dri|responsable|responsável|responsavel"
    r"|verantwortlich|zuständig|propriétaire|porteur|assigné|dueño|encargado|encargada)\b"
    r"(?:\s?[:=\-–]\s?|\s(?=@)|\s(?=[\w.+-]{1,64}@))"
    r"|\b(?:assigned\sto|owned\sby|asignado\sa|assigné\sà|atribuído\sa)\s?:?\s)" + _NAME + r"[)\]]?",
    re.I,
)
# Every branch of _OWNER_LABEL needs one of these (owner/owned, assignee/assigned/assigné, responsible/
# responsable/responsável, …): a title without any is not searched.
_OWNER_LABEL_STEMS = (
    "owne",
    "assign",
    "respons",
    "dri",
    "verantwortlich",
    "zuständig",
    "propriétaire",
    "porteur",
    "dueño",
    "encargad",
    "asignado",
    "atribuído",
)
_NO_OWNER_HINTS = ("volunt", "owner", "dri", "unassigned", "respons", "verantwortlich")
_OWNER_WORDS = ("owner", "dri", "assignee", "respons", "verantwortlich")
_NO_OWNER = lazy(
    r"[(\[]?\b(?:needs?\s(?:a\s|an\s)?(?:volunteer|owner|dri)|volunteer\s(?:needed|wanted)|owner\s(?:needed|wanted|tbd)"
    r"|unassigned|no\sowner(?:\syet)?|sin\sresponsable|sem\sresponsável|ohne\sverantwortliche[nr]?"
    r"|sans\sresponsable)\b[)\]]?",
    re.I,
)
# GitLab scoped labels: ~"priority::1", ~priority::high.
_SCOPED_PRIORITY = lazy(r"~\"?(?:priority|prio|severity|sev)::\s?([\w-]{1,12})\"?", re.I)
_DASH_TAIL = lazy(
    r"\s[—–]\s([A-ZÀ-Þ][\w'’-]{1,30}(?:\s[A-ZÀ-Þ][\w'’-]{1,30})?)\s[—–]\s(\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?)\.?$"
)
# "Rotate the keys — owner Ana, due …": a bare label word and a capitalised name after a separator.
_OWNER_AFTER_DASH = lazy(
    r"(?<=[—–,;(])\s?\b(?:owner|dri|assignee|responsable|responsável|verantwortlich)\s"
    r"((?-i:[A-ZÀ-Þ][\w'’-]{1,30}(?:\s[A-ZÀ-Þ][\w'’-]{1,30})?))",
    re.I,
)
_SLACK_USER = lazy(r"<@([UW][A-Z0-9]{2,20})(?:\|([^<>|]{1,60}))?>")
_HANDLE = lazy(r"(?<![\w.@/])@([A-Za-z0-9][\w.-]{0,38}[A-Za-z0-9]|[A-Za-z0-9])(?![\w@])")
_DUE_LABEL = lazy(
    r"[(\[]?\b(?:due(?:\sdate|\sby|\son)?|deadline|target(?:\sdate)?|eta|by|until|before|fecha\slímite|fecha"
    r"|plazo|para\sel|hasta(?:\sel)?|antes\sdel?|até|prazo|data\slimite|bis(?:\szum)?|fällig(?:\sam|\sbis)?|frist|termin"
    r"|avant(?:\sle)?|d'ici(?:\sle)?|échéance|pour\sle)\b\s?[:=]?\s?(" + DATE_PHRASE.pattern + r")[)\]]?",
    re.I,
)
# Every branch of _DUE_LABEL starts with one of these label words.
_DUE_LABEL_STEMS = (
    "due",
    "deadline",
    "target",
    "eta",
    "by",
    "until",
    "before",
    "fecha",
    "plazo",
    "para",
    "hasta",
    "antes",
    "até",
    "prazo",
    "data",
    "bis",
    "fällig",
    "frist",
    "termin",
    "avant",
    "d'ici",
    "échéance",
    "pour",
)
_PRIORITY_LABEL = lazy(
    # Without ":" or "=" the value must look like a priority: "priority queue" is no priority.
    r"[(\[]?\b(?:priority|prio|prioridad|prioridade|priorität|priorité)\b(?:\s?[:=]\s?([\w-]{1,12})"
    r"|\s((?:p?[0-5]|high|medium|low|critical|urgent|highest|lowest|alta|media|baja|hoch|mittel|niedrig"
    r"|haute|moyenne|basse)\b))[)\]]?",
    re.I,
)
_PRIORITY_CODE = lazy(r"[(\[]?\b(P[0-4])\b[)\]]?")
_KIND_LABEL = lazy(
    r"[(\[]?\b(?:type|kind|category|tipo|typ|catégorie)\s?[:=]\s?([\w-]{2,20})[)\]]?", re.I
)
_KIND_TAG = lazy(
    r"[(\[#]\b(prevent|preventive|mitigate|mitigation|detect|detection|process|repair|investigate|remediate"
    r"|monitor|fix|improve|corrective)\b[)\]]?",
    re.I,
)
_DONE_TEXT = lazy(
    r"[(\[]\s*(?:done|completed|complete|hecho|concluído|erledigt|terminé|fait)\s*[)\]]|✅", re.I
)


def _owner(text: str, mentions: list[str], found: Fields) -> None:
    """The owner an item's text names: a label, a mention, a Slack id, an @handle (the first that applies)."""
    folded = text.casefold()
    # Cheap substring screens first: most item text has none of these words, and `in` costs far less.
    nobody = _NO_OWNER.search(text) if any(hint in folded for hint in _NO_OWNER_HINTS) else None
    if nobody is not None:
        found.consumed.append(nobody.group(0))  # "(needs a volunteer)": no owner, and nothing to guess
        return
    label = _OWNER_LABEL.search(text) if has_any(loose(text), _OWNER_LABEL_STEMS) else None
    owner = label or (
        _OWNER_AFTER_DASH.search(text) if any(word in folded for word in _OWNER_WORDS) else None
    )
    if owner:
        value = owner.group(1).strip(" .,;")
        found.owner = None if is_empty_value(value) else value
        spans = [owner.group(0)]
    elif mentions:
        found.owner = mentions[0]
        spans = list(mentions)
    elif "<@" in text and (slack := _SLACK_USER.search(text)) is not None:
        found.owner = slack.group(2) or slack.group(1)  # "<@U024BE7LH|ana>": the name when Slack gives one
        spans = [slack.group(0)]
    elif "@" in text and (handle := _HANDLE.search(text)) is not None:
        found.owner = "@" + handle.group(1)
        spans = [handle.group(0)]
    else:
        return
    found.consumed.extend(spans)
    found.owner_spans.extend(spans)


def inline_fields(text: str, *, lang: str, base: date | None, mentions: list[str]) -> Fields:
    """Fields written inside an item's own text ("Owner: Ana", "@bob", "due 15/03/2024", "(P1)")."""
    found = Fields()
    text = " ".join(text[:MAX_FIELD_TEXT].split())
    budget.charge(len(text))
    _owner(text, mentions, found)
    _dates(text, found, lang=lang, base=base)
    _labels(text, found)
    found.ref = find_ref(text)
    span = ref_span(text) if found.ref else None
    if span:
        found.consumed.append(span)
    done = _DONE_TEXT.search(text)
    if done:
        found.done = True
        found.consumed.append(done.group(0))
    return found


def _dates(text: str, found: Fields, *, lang: str, base: date | None) -> None:
    tail = _DASH_TAIL.search(text) if "—" in text or "–" in text else None
    if tail:
        # "Add alert — Bob — 3/7": a person and a date as trailing dash-separated fields.
        when = parse_date(tail.group(2), lang=lang, base=base)
        if when is not None:
            found.owner = found.owner or tail.group(1)
            found.due = when
            found.consumed.append(tail.group(0))
    due = _DUE_LABEL.search(text) if has_any(loose(text), _DUE_LABEL_STEMS) else None
    if due:
        value = parse_date(due.group(1), lang=lang, base=base)
        found.due, found.due_text = value, due.group(1)
        if value is not None or is_empty_value(due.group(1)) or is_vague_date(due.group(1)):
            found.consumed.append(due.group(0))  # a vague "due Q3" leaves the title too, with no date


def _labels(text: str, found: Fields) -> None:
    """Priority and kind written as labels, codes or tags."""
    # Literal characters a pattern cannot match without ("P" of P0-P4, ":"/"=" of a kind label) are
    # looked for first: most item text has none, and `in` costs far less than a regex search.
    priority = _PRIORITY_LABEL.search(text) or (_PRIORITY_CODE.search(text) if "P" in text else None)
    if priority:
        found.priority = priority.group(1) or priority.group(2)
        found.consumed.append(priority.group(0))
    scoped = _SCOPED_PRIORITY.search(text) if "::" in text else None
    if scoped:
        value = scoped.group(1)
        found.priority = f"P{value}" if value.isdigit() else value
        found.consumed.append(scoped.group(0))
    kind = (_KIND_LABEL.search(text) if ":" in text or "=" in text else None) or _KIND_TAG.search(text)
    if kind:
        found.kind = kind.group(1).lower()
        found.consumed.append(kind.group(0))
