"""Due and incident dates: ISO and numeric shapes by hand, words through dateparser, relative to the incident.

Numeric dates are read day-first or month-first from their shape when it decides (a part above 12, a
four-digit first part, dots as separators) and otherwise from the document's language. Relative dates
("in 2 weeks") resolve against the incident date and are null when it is unknown, so the same document
always yields the same dates.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from worker.parse.empty import is_empty_value
from worker.parse.language import day_first
from worker.parse.patterns import lazy

_ISO = lazy(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_NUMERIC = lazy(r"(?<!\d)(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
_QUARTER = lazy(r"\b[QT]([1-4])\s?[/-]?\s?(\d{4})?\b|\b(\d{4})\s?[/-]?\s?[QT]([1-4])\b", re.I)
# Weeks, sprints and halves: periods that are not a day, in five languages.
_VAGUE = lazy(
    r"\b(?:kw|cw|wk|week|semana|semaine|woche|sprint)\s?\d{1,2}\b|\b[HS][12]\s?\d{4}\b"
    r"|\b(?:next|this|the\snext|following|pr[oó]xim[oa]|siguiente|n[aä]chste[rn]?|prochain(?:e)?)\s"
    r"(?:sprint|quarter|trimestre|quartal|half|release|iteration|iteraci[oó]n)\b",
    re.I,
)
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "eight": 8,
    "ten": 10,
    "un": 1,
    "una": 1,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "um": 1,
    "uma": 1,
    "duas": 2,
    "três": 3,
    "ein": 1,
    "einer": 1,
    "einem": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
}
_UNITS = {
    "day": 1,
    "days": 1,
    "día": 1,
    "días": 1,
    "dia": 1,
    "dias": 1,
    "tag": 1,
    "tagen": 1,
    "tage": 1,
    "jour": 1,
    "jours": 1,
    "business day": 1,
    "business days": 1,
    "week": 7,
    "weeks": 7,
    "semana": 7,
    "semanas": 7,
    "woche": 7,
    "wochen": 7,
    "semaine": 7,
    "semaines": 7,
    "month": 30,
    "months": 30,
    "mes": 30,
    "meses": 30,
    "mês": 30,
    "monat": 30,
    "monaten": 30,
    "monate": 30,
    "mois": 30,
}
_RELATIVE = lazy(
    r"\b(?:in|within|en|em|dentro de|innerhalb von|innerhalb|binnen|dans|d'ici|sous)\s+"
    r"(\d{1,3}|[a-zà-ÿ]{1,6})\s+(business days?|[a-zà-ÿ]{3,10})\b",
    re.I,
)
_SHORT_NUMERIC = lazy(r"(\d{1,2})([/.])(\d{1,2})\.?")
_SENTINEL = datetime(1900, 1, 1)
_MAX_WORDS_CHARS = 60


_CACHE_CHARS = 200


def parse_date(text: str, *, lang: str = "en", base: date | None = None) -> date | None:
    """The date a short piece of text names, or None (placeholders such as TBD are None)."""
    # Due cells repeat down a table ("TBD", "Q3", the same day): short texts are remembered.
    if len(text) <= _CACHE_CHARS:
        return _parse_cached(text, lang, base)
    return _parse_date(text, lang, base)


@lru_cache(maxsize=8192)
def _parse_cached(text: str, lang: str, base: date | None) -> date | None:
    return _parse_date(text, lang, base)


def _parse_date(text: str, lang: str, base: date | None) -> date | None:
    text = " ".join(text.split())
    if not text or is_empty_value(text):
        return None
    iso = _ISO.search(text)
    if iso:
        return _safe(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    numeric = _NUMERIC.search(text)
    if numeric:
        return _numeric(numeric, lang=lang)
    short = _SHORT_NUMERIC.fullmatch(text)
    if short:
        return _short(short, lang=lang, base=base)
    if _QUARTER.search(text) or _VAGUE.search(text):
        return None  # "Q3 2025", "T3", "KW 36", "next sprint": a period, not a day (issue 16)
    relative = _RELATIVE.search(text)
    if relative:
        amount_word, unit = relative.group(1).lower(), relative.group(2).lower()
        amount = int(amount_word) if amount_word.isdigit() else _NUMBER_WORDS.get(amount_word)
        days = _UNITS.get(unit)
        if amount is not None and days is not None:
            return base + timedelta(days=amount * days) if base else None
    if len(text) > _MAX_WORDS_CHARS or not any(ch.isalpha() for ch in text):
        return None
    return _words(text, lang, base)


def _short(match: re.Match[str], *, lang: str, base: date | None) -> date | None:
    """ "3/7" or "28.2.": a day and month in the incident's year (None without an incident date)."""
    if base is None:
        return None
    first, sep, second = int(match.group(1)), match.group(2), int(match.group(3))
    if first > 12 >= second or (second <= 12 and (sep == "." or day_first(lang))):
        first, second = second, first
    day = _safe(base.year, first, second)
    if day is not None and day < base:
        day = _safe(base.year + 1, first, second)  # a due date after a December incident is next year
    return day


def is_vague_date(text: str) -> bool:
    """A period rather than a day: a quarter, a week number, "next sprint"."""
    return bool(_QUARTER.search(text) or _VAGUE.search(text))


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric(match: re.Match[str], *, lang: str) -> date | None:
    first, sep, second, year_text = int(match.group(1)), match.group(2), int(match.group(3)), match.group(4)
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if first > 12 >= second:
        return _safe(year, second, first)
    if second > 12 >= first:
        return _safe(year, first, second)
    # Ambiguous: dots are a day-first convention everywhere; otherwise the language decides.
    if sep == "." or day_first(lang):
        return _safe(year, second, first)
    return _safe(year, first, second)


@lru_cache(maxsize=4096)
def _words(text: str, lang: str, base: date | None) -> date | None:
    import dateparser  # imported lazily: it is slow to load and most documents use numeric dates

    languages = [lang] if lang == "en" else [lang, "en"]
    settings = {
        "DATE_ORDER": "DMY" if day_first(lang) else "MDY",
        "PREFER_DAY_OF_MONTH": "last",  # "March 2024" as a deadline means the end of March
        "RELATIVE_BASE": datetime(base.year, base.month, base.day) if base else _SENTINEL,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PARSERS": ["relative-time", "absolute-time"],
    }
    try:
        parsed = dateparser.parse(text, languages=languages, settings=settings)  # type: ignore[arg-type]
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None
    if parsed is None or parsed.year < 1950 or parsed.year > 2200:
        # Before 1950 means it was relative to our sentinel: no incident date to resolve it against.
        return None
    day: date = parsed.date()
    return day


_MONTH = (
    r"(?:jan(?:uary|vier|eiro|uar)?|feb(?:ruary|rero|ruar)?|f[eé]v(?:rier|ereiro)?|mar(?:ch|zo|ço|co|s)?|m[aä]rz"
    r"|apr(?:il)?|abr(?:il)?|avr(?:il)?|may(?:o)?|mai(?:o)?|jun(?:e|io|ho|i)?|juin|jul(?:y|io|ho|i)?|juil(?:let)?"
    r"|aug(?:ust)?|ago(?:sto)?|ao[uû]t|sep(?:t(?:ember|iembre|embre)?)?|set(?:iembre|embro)?|oct(?:ober|ubre|obre)?"
    r"|okt(?:ober)?|out(?:ubro)?|nov(?:ember|iembre|embro|embre)?|dec(?:ember)?|dic(?:iembre)?|dez(?:embro|ember)?"
    r"|d[eé]c(?:embre)?|j[aä]n(?:ner)?|ene(?:ro)?)"
)
#: Date-like phrases inside free text, for "due 15/03/2024" or "by March 3, 2024" within an item.
DATE_PHRASE = lazy(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?!\d)"
    # Month words only: "before the 3-D Secure challenge" and "phase 2" are no dates.
    r"|\d{1,2}(?:st|nd|rd|th|º|\.)?\s(?:de\s|of\s)?" + _MONTH + r"\.?(?:,?\s(?:de\s)?\d{4})?(?![A-Za-zÀ-ÿ])"
    r"|" + _MONTH + r"\.?\s\d{1,2}(?:st|nd|rd|th)?(?:,?\s\d{4})?(?!\d)"
    r"|[QT][1-4](?:\s?\d{4})?|(?:kw|cw|wk|week|semana|semaine|woche|sprint)\s?\d{1,2}"
    r"|(?:next|this|following)\s(?:sprint|quarter|half|release|iteration)"
    r"|(?:in|within|en|em|dentro de|innerhalb von|binnen|dans|d'ici)"
    r"\s(?:\d{1,3}|[a-zà-ÿ]{1,6})\s[a-zà-ÿ]{3,10}"
    r"|(?:end of|fin de|final de|fim de|ende)\s[A-Za-zÀ-ÿ]{2,10}(?:\s\d{4})?"
    r"|next\s(?:week|month|sprint|quarter)"
    # Placeholders, so "Due: TBD" / "Frist: offen" are taken out of the title as a (null) due date.
    r"|tbd|tbc|tba|n/a|offen|pendiente|pendente|por\sdefinir|a\sdefinir|à\sdéfinir|a\sdeterminar|unknown"
    r"|sin\sfecha|sem\sdata|nicht\sfestgelegt",
    re.I,
)
