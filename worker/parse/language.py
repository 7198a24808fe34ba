"""Guess a document's main language (en/es/pt/de/fr) from function words; it decides day-first dates."""

from __future__ import annotations

from collections import Counter

from worker.parse.patterns import lazy

_WORD = lazy(r"[^\W\d_]{1,20}")
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "to",
            "of",
            "we",
            "was",
            "is",
            "for",
            "with",
            "were",
            "our",
            "this",
            "that",
            "be",
            "will",
            "on",
            "it",
            "by",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "que",
            "y",
            "del",
            "se",
            "por",
            "para",
            "con",
            "una",
            "fue",
            "un",
            "al",
            "es",
            "nuestro",
            "pero",
            "como",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "os",
            "que",
            "e",
            "do",
            "da",
            "dos",
            "das",
            "em",
            "não",
            "para",
            "com",
            "uma",
            "foi",
            "um",
            "ao",
            "é",
            "nosso",
            "mas",
            "como",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "wir",
            "nicht",
            "mit",
            "zu",
            "ein",
            "eine",
            "den",
            "dem",
            "des",
            "wurde",
            "auf",
            "für",
            "von",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "des",
            "est",
            "nous",
            "pour",
            "une",
            "du",
            "en",
            "que",
            "dans",
            "pas",
            "sur",
            "au",
            "avec",
            "été",
        ]
    ),
}
SUPPORTED = tuple(_STOPWORDS)


def detect_language(text: str) -> str:
    """The most likely of en/es/pt/de/fr for the text; English when nothing stands out."""
    counts: Counter[str] = Counter()
    for word in _WORD.findall(text[:50_000].casefold()):
        for lang, words in _STOPWORDS.items():
            if word in words:
                counts[lang] += 1
    if not counts:
        return "en"
    best, score = counts.most_common(1)[0]
    # One stopword ("a", "e" in an e-mail address) is no evidence: another language needs two.
    return best if score > counts["en"] and score >= 2 else "en"


def day_first(lang: str) -> bool:
    """Whether numeric dates like 03/04/2024 are day-first in this language's usual convention."""
    return lang != "en"
