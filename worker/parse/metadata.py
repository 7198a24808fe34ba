"""Postmortem-level fields: title, owner, incident date and severity, from key/value tables and lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from worker.parse import budget
from worker.parse.blocks import Block, Heading, ListItem, Paragraph, Table, Text
from worker.parse.dates import DATE_PHRASE, parse_date
from worker.parse.empty import is_empty_value
from worker.parse.patterns import lazy
from worker.parse.sections import Kind, classify_heading, fold

# Keys in order of preference; matched against the folded key text.
_OWNER_KEYS = (
    "postmortem owner",
    "post mortem owner",
    "postmortem lead",
    "incident owner",
    "document owner",
    "dri",
    "directly responsible individual",
    "owner",
    "incident lead",
    "incident commander",
    "incident manager",
    "ic",
    "lead",
    "author",
    "authors",
    "written by",
    "prepared by",
    "responsable del postmortem",
    "responsable del informe",
    "responsable del analisis",
    "responsable de la revision",
    "responsavel pelo relatorio",
    "responsavel pelo postmortem",
    "responsavel pela analise",
    "verantwortlich fur die nachbetrachtung",
    "verantwortlich fur den bericht",
    "verantwortlich fur das postmortem",
    "responsable du post mortem",
    "responsable du postmortem",
    "responsable du rapport",
    "postmortem author",
    "report owner",
    "review owner",
    "responsable",
    "lider del incidente",
    "autor",
    "autores",
    "dueno",
    "responsavel",
    "lider do incidente",
    "verantwortlich",
    "verantwortliche",
    "verantwortlicher",
    "incident leiter",
    "leitung",
    "verfasser",
    "proprietaire",
    "responsable de l incident",
    "pilote de l incident",
    "auteur",
    "redige par",
)
_TEAM_KEYS = (
    "team",
    "owning team",
    "owner team",
    "responsible team",
    "service team",
    "teams",
    "squad",
    "equipo",
    "equipo responsable",
    "equipe",
    "equipe responsavel",
    "time responsavel",
    "verantwortliches team",
    "zustandiges team",
    "equipe responsable",
    "equipe proprietaire",
)
_SEVERITY_KEYS = (
    "severity",
    "incident severity",
    "severity level",
    "sev",
    "sev level",
    "severidad",
    "severidade",
    "gravidade",
    "schweregrad",
    "schwere",
    "severite",
    "gravite",
    "niveau de gravite",
    "priority",
    "incident priority",
    "prioridad",
    "prioridade",
    "prioritat",
    "priorite",
)
_DATE_KEYS = (
    "incident date",
    "date of incident",
    "date of the incident",
    "incident start",
    "date",
    "impact start",
    "started",
    "start",
    "start time",
    "occurred",
    "occurred on",
    "reported",
    "detected",
    "opened",
    "fecha",
    "fecha del incidente",
    "data",
    "data do incidente",
    "datum",
    "vorfallsdatum",
    "datum des vorfalls",
    "date de l incident",
    "date de l incident",
    "duration",
    "duracion",
    "duracao",
    "dauer",
    "duree",
)
_FIELD_SEPARATOR = lazy(r"\s[·•|]\s")
_KEY_VALUE = lazy(r"^\s*([^:\n]{1,60}?)\s*[:：]\s*(\S[^\n]*)?$")
_GENERIC_OWNER = lazy(r"^(?:tbd|n/?a|none|-+|…|\?+|unknown|unassigned)$", re.I)


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str | None
    owner: str | None
    incident_date: date | None
    severity: str | None
    first_text: str | None
    team: str | None = None


def read_metadata(blocks: list[Block], *, lang: str) -> Metadata:
    """Title, owner, incident date and severity of the postmortem."""
    pairs = list(_pairs(blocks))
    owner = _pick(pairs, _OWNER_KEYS)
    severity = _pick(pairs, _SEVERITY_KEYS)
    team = _pick(pairs, _TEAM_KEYS)
    incident_date = None
    for key in _DATE_KEYS:
        for found_key, value in pairs:
            if found_key == key:
                incident_date = _date_in(value.dates[0] if value.dates else value.text, lang=lang)
                if incident_date:
                    break
        if incident_date:
            break
    if incident_date is None:
        incident_date = _date_in_prose(blocks, lang=lang)
    return Metadata(
        title=_title(blocks),
        owner=_value(owner),
        incident_date=incident_date,
        severity=_value(severity),
        first_text=_first_text(blocks),
        team=_team(team),
    )


def _team(value: Text | None) -> str | None:
    """The team's name as written, without markup residue ("@payments-team" -> "payments-team")."""
    text = _value(value)
    if text is None:
        return None
    text = text.strip(" .,;*_`").lstrip("@#")
    return text[:100] or None


def _pairs(blocks: list[Block]) -> list[tuple[str, Text]]:
    """Every key/value pair outside action sections: 2-column tables, "Key: value" lines and headings."""
    out: list[tuple[str, Text]] = []
    kinds: list[tuple[int, Kind]] = []
    for block in blocks:
        budget.tick()
        if isinstance(block, Heading):
            while kinds and kinds[-1][0] >= block.level:
                kinds.pop()
            kinds.append((block.level, classify_heading(block.content.text)))
            pair = _split(block.content)
            if pair:
                out.append(pair)
        elif any(kind is Kind.ACTION for _, kind in kinds):
            continue
        elif isinstance(block, Table):
            out.extend(_table_pairs(block))
        elif isinstance(block, ListItem | Paragraph):
            out.extend(_line_pairs(block.content))
    return out


def _table_pairs(table: Table) -> list[tuple[str, Text]]:
    """Key/value rows of a table: a short first cell and a second cell with something in it."""
    out = []
    for row in [table.header, *table.rows]:
        value = row[1] if len(row) >= 2 else None
        if value and len(row[0].text.split()) <= 6 and (value.text.strip() or value.dates or value.mentions):
            out.append((fold(row[0].text), value))
    return out


def _line_pairs(content: Text) -> list[tuple[str, Text]]:
    """ "Key: value" lines, several to a line when separated ("Date: 2025-03-12 · Team: Streaming")."""
    out = []
    for line in content.text.split("\n"):
        parts = _FIELD_SEPARATOR.split(line) if _FIELD_SEPARATOR.search(line) else [line]
        for part in parts:
            pair = _split(Text(part, mentions=content.mentions, dates=content.dates))
            if pair:
                out.append(pair)
    return out


def _split(content: Text) -> tuple[str, Text] | None:
    match = _KEY_VALUE.match(content.text)
    if not match or len(match.group(1).split()) > 6:
        return None
    value = (match.group(2) or "").strip()
    if not value and not content.dates and not content.mentions:
        return None  # "Incident date: <time datetime=...>": the value is a date or mention, not text
    return fold(match.group(1)), Text(value, mentions=content.mentions, dates=content.dates)


def _pick(pairs: list[tuple[str, Text]], keys: tuple[str, ...]) -> Text | None:
    for key in keys:
        for found_key, value in pairs:
            if (
                found_key == key
                and (value.text.strip() or value.mentions)
                and not _GENERIC_OWNER.match(value.text.strip())
            ):
                return value
    return None


def _value(value: Text | None) -> str | None:
    if value is None:
        return None
    if value.mentions:
        return value.mentions[0]
    text = " ".join(value.text.split())
    slack = _SLACK_ID.fullmatch(text)
    if slack:
        return slack.group(2) or slack.group(1)  # "<@U02ABC|ana>": the name when the id carries one
    return text or None


_SLACK_ID = lazy(r"<@([UW][A-Z0-9]{2,20})(?:\|([^<>|]{1,60}))?>")


def _date_in(text: str, *, lang: str) -> date | None:
    if is_empty_value(text):
        return None
    direct = parse_date(text[:40], lang=lang) if len(text) <= 40 else None
    if direct:
        return direct
    for match in DATE_PHRASE.finditer(text):
        found = parse_date(match.group(0), lang=lang)
        if found and re.search(r"\d{4}", match.group(0)):
            return found
    return None


# A date with its year, as prose writes it: "2 de junio de 2025", "March 3, 2025", "3. März 2025", ISO.
_FULL_DATE = lazy(
    r"\d{1,2}(?:st|nd|rd|th|º|er|\.)?\s(?:de\s)?[A-Za-zÀ-ÿ]{3,10}\.?,?\s(?:de\s)?\d{4}"
    r"|[A-Za-zÀ-ÿ]{3,10}\.?\s\d{1,2}(?:st|nd|rd|th)?,?\s\d{4}"
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{4}"
)


def _date_in_prose(blocks: list[Block], *, lang: str) -> date | None:
    """The first full date (with a year) in the title or opening paragraphs, when no field names it."""
    seen = 0
    first_heading = next((block for block in blocks if isinstance(block, Heading)), None)
    for block in blocks:
        if (
            isinstance(block, Heading)
            and block is not first_heading
            and classify_heading(block.content.text[:300]) is Kind.ACTION
        ):
            break  # due dates of the actions are not the incident's date
        if isinstance(block, Paragraph) or block is first_heading:
            seen += isinstance(block, Paragraph)
            for match in _FULL_DATE.finditer(block.content.text[:1000]):
                found = parse_date(match.group(0), lang=lang)
                if found:
                    return found
            if seen >= 4:
                break
    return None


def _title(blocks: list[Block]) -> str | None:
    title = _title_text(blocks)
    return title[:_MAX_TITLE] if title else None  # a 5 MB "word" is no title to show in full


_MAX_TITLE = 300


def _title_text(blocks: list[Block]) -> str | None:
    for block in blocks[:20]:
        if isinstance(block, Heading):
            text = " ".join(block.content.text.split())
            key = _KEY_VALUE.match(text)
            if key and fold(key.group(1)) in _METADATA_KEYS:
                continue  # "Author: Ana" as a heading is a field, not the title
            if block.level > 1 and classify_heading(text) is not Kind.NEUTRAL:
                continue  # "## Action items", "## Timeline": a section of the document, not its title
            return text or None
        if isinstance(block, Paragraph) and block.note:
            continue  # front matter, a callout: not the title
        if isinstance(block, Paragraph) and block is blocks[0]:
            text = block.content.text.split("\n")[0].strip()
            if text and len(text.split()) <= 12 and text[-1] not in ".!?,;":
                return text
            return None
        if isinstance(block, Table | ListItem):
            continue
        break
    return None


_METADATA_KEYS = frozenset(_OWNER_KEYS + _SEVERITY_KEYS + _DATE_KEYS + _TEAM_KEYS)


def _first_text(blocks: list[Block]) -> str | None:
    for block in blocks:
        if isinstance(block, Heading | Paragraph | ListItem):
            return block.content.text
        if isinstance(block, Table) and block.header:
            return " ".join(cell.text for cell in block.header)
    return None
