"""Phrase lists shared by the extractor, in English, Spanish, Portuguese, German and French.

One list per meaning, compiled into the patterns that use it, so the languages cannot drift apart.
Every pattern here is an alternation of fixed phrases with single-space gaps: no nested or adjacent
unbounded quantifiers.
"""

from __future__ import annotations

import re

from worker.parse.patterns import lazy

#: "We will ...": a planned action; the remainder after the lead is the action itself.
PLANNED_LEADS: tuple[str, ...] = (
    r"we\swill",
    r"we\sshall",
    r"we\sare\sgoing\sto",
    r"we\splan\sto",
    r"we\sintend\sto",
    r"we\scommit\sto",
    r"we\sare\scommitted\sto",
    r"we'll",
    r"we’ll",
    r"we're\sgoing\sto",
    r"we’re\sgoing\sto",
    r"we\swant\sto",
    r"we\sneed\sto",
    r"vamos\sa",
    r"nos\scomprometemos\sa",
    r"vamos",
    r"iremos",
    r"nous\sallons",
    r"nous\snous\sengageons\sà",
    r"nous\sdevons",
    r"wir\swerden",
    r"werden\swir",
    r"wir\swollen",
    r"nós\svamos",
    r"vamos",
    r"iremos",
)
#: "We are adding ...": in progress, still planned.
ONGOING_LEADS: tuple[str, ...] = (
    r"we\sare(?=\s[a-z]{1,20}ing\b)",
    r"we're(?=\s[a-z]{1,20}ing\b)",
    r"we’re(?=\s[a-z]{1,20}ing\b)",
    r"we\sare\scurrently",
    r"we\sare\salso",
    r"we\sare\sin\sthe\sprocess\sof",
    r"we're\sin\sthe\sprocess\sof",
    r"estamos(?=\s[a-záéíóúãõç]{1,20}(?:ando|iendo|endo|indo)\b)",
    r"nous\ssommes\sen\strain\sde",
    r"wir\ssind\sdabei,?",
    r"wir\sarbeiten\sdaran,?",
)
#: "We have added ...": already done.
DONE_LEADS: tuple[str, ...] = (
    r"we\shave\salready",
    r"we\shave",
    r"we've\salready",
    r"we've",
    r"we’ve",
    r"we\salready",
    r"hemos",
    r"ya\shemos",
    r"já",
    r"nós\sjá",
    r"wir\shaben\sbereits",
    r"wir\shaben",
    r"nous\savons\sdéjà",
    r"nous\savons",
)
_LEAD_IN = (
    r"(?:(?:going|moving)\sforward,?\s|in\sthe\sfuture,?\s|from\snow\son,?\s|additionally,?\s|also,?\s)?"
)
_OPTIONAL_ADVERB = (
    r"(?:also\s|additionally\s|further\s|then\s|now\s|already\s|also\salready\s|además\s|también\s|ya\s"
    r"|também\s|ainda\s|auch\s|zudem\s|außerdem\s|bereits\s|aussi\s|également\s|déjà\s|ensuite\s)?"
)


def _alternation(leads: tuple[str, ...]) -> str:
    ordered = sorted(set(leads), key=len, reverse=True)  # the longest lead wins ("we have already")
    return "(?:" + "|".join(ordered) + ")"


#: A sentence that starts (after an optional lead-in) with a planned / ongoing / done lead.
PLANNED = lazy(r"^" + _LEAD_IN + _alternation(PLANNED_LEADS) + r"\s" + _OPTIONAL_ADVERB, re.I)
ONGOING = lazy(r"^" + _LEAD_IN + _alternation(ONGOING_LEADS) + r"\s" + _OPTIONAL_ADVERB, re.I)
DONE = lazy(r"^" + _LEAD_IN + _alternation(DONE_LEADS) + r"\s" + _OPTIONAL_ADVERB, re.I)
#: A planned lead anywhere in a sentence ("To avoid this, we will ..."): the sentence is a commitment.
PLANNED_ANYWHERE = lazy(r"\b" + _alternation(PLANNED_LEADS) + r"\s", re.I)
#: Spanish/Portuguese future tense ("implementaremos") and French "nous ajouterons".
FUTURE_VERB = lazy(
    r"\b[a-záéíóúâêôãõç]{2,20}(?:aremos|eremos|iremos)\b|\bnous\s[a-zéèêàâç]{2,20}rons\b", re.I
)

# Screens (see screens.py): every planned lead holds one of these, and every future-tense verb one of
# these endings, so a sentence without any is not searched.
PLANNED_ANYWHERE_STEMS = ("we", "vamos", "nos", "iremos", "nous", "wir", "werden")
FUTURE_VERB_STEMS = ("aremos", "eremos", "iremos", "rons")
