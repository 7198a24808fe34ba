"""Merge duplicate items: the same action said twice (a summary line and its table row) is one item."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from worker.models import ActionItem
from worker.parse import budget
from worker.parse.fingerprint import normalise_action
from worker.parse.item import (
    Items,
)

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "in",
        "on",
        "and",
        "or",
        "with",
        "by",
        "at",
        "from",
        "our",
        "we",
        "is",
        "be",
        "de",
        "la",
        "el",
        "los",
        "las",
        "del",
        "en",
        "y",
        "o",
        "para",
        "con",
        "un",
        "una",
        "do",
        "da",
        "dos",
        "das",
        "e",
        "o",
        "os",
        "em",
        "um",
        "uma",
        "der",
        "die",
        "das",
        "und",
        "zu",
        "mit",
        "von",
        "im",
        "für",
        "ein",
        "eine",
        "le",
        "les",
        "des",
        "du",
        "et",
        "pour",
        "dans",
    ]
)
_MIN_SHARED_WORDS = 3
_MAX_CANDIDATES = 50


def merge_duplicates(found: Items | list[ActionItem]) -> list[ActionItem]:
    """One item per action: the same normalised title, or one whose words all reappear in a longer one
    (a short line in a summary and the full table row), is one item with the richer one's fields."""
    items = found.items if isinstance(found, Items) else list(found)
    weights = found.weights if isinstance(found, Items) else [0] * len(items)
    keys = [normalise_action(item.title) for item in items]
    words, numbers = _words(keys)
    groups = _groups(keys, words, numbers)
    merged: list[tuple[int, ActionItem]] = []
    for members in groups:
        best = max(members, key=lambda i: (weights[i], _filled(items[i]), len(keys[i]), -i))
        item = items[best]
        for other in members:
            if other != best:
                item = _merge_into(item, items[other])
        merged.append((min(members), item))
    merged.sort(key=lambda pair: pair[0])
    return [item for _, item in merged]


def _words(keys: list[str]) -> tuple[list[Counter[str]], list[frozenset[str]]]:
    """Each title's stemmed content words (counted) and the numbers among them."""
    stems: dict[str, str] = {}  # each distinct word is stemmed once
    words = [
        Counter([stems.get(w) or stems.setdefault(w, _stem(w)) for w in key.split() if w not in _STOPWORDS])
        for key in keys
    ]
    numeric = {stem: any(ch.isdigit() for ch in stem) for stem in stems.values()}  # each distinct stem once
    return words, [frozenset(w for w in counts if numeric[w]) for counts in words]


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def root(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.root(a)] = self.root(b)


def _groups(keys: list[str], words: list[Counter[str]], numbers: list[frozenset[str]]) -> list[list[int]]:
    """The indexes of the items that say the same action, group by group, each group in document order."""
    postings: dict[str, list[int]] = {}
    for index, counts in enumerate(words):
        for word in counts:
            postings.setdefault(word, []).append(index)
    # Computed once: each word's rarity (posting size, then the word: ties alphabetical) and each title's
    # word count, instead of per comparison.
    rarity = {word: (len(posting), word) for word, posting in postings.items()}
    totals = [sum(counts.values()) for counts in words]
    union = _UnionFind(len(keys))
    exact: dict[str, int] = {}
    for index, key in enumerate(keys):
        budget.check()
        if key in exact:
            union.join(index, exact[key])
            continue
        exact[key] = index
        short = words[index]
        if len(short) < _MIN_SHARED_WORDS:
            continue
        rarest = min(short, key=rarity.__getitem__)  # the rarest word, ties alphabetical
        short_numbers, least = numbers[index], (totals[index] * 2)
        for other in postings[rarest][:_MAX_CANDIDATES]:
            # The cheap tests of _restates first: the same numbers, and not a fragment of the other.
            if other == index or numbers[other] != short_numbers or least < totals[other]:
                continue
            if _restates(short, short_numbers, words[other], numbers[other]):
                union.join(index, other)
                break
    groups: dict[int, list[int]] = {}
    for index in range(len(keys)):
        groups.setdefault(union.root(index), []).append(index)
    return list(groups.values())


def _restates(
    short: Counter[str], short_numbers: frozenset[str], long: Counter[str], long_numbers: frozenset[str]
) -> bool:
    """Whether `short` says the same action as `long` in fewer words: every word of it (counted) is in the
    longer one, the same numbers appear in both ("action 1" is not "action 2"), and it is not a fragment."""
    if short_numbers != long_numbers or sum(short.values()) * 2 < sum(long.values()):
        return False
    if not short.keys() <= long.keys():
        return False  # a word missing altogether (the usual case), found by one set comparison
    return all(count <= long[word] for word, count in short.items())


def _stem(word: str) -> str:
    """A crude English stem for duplicate matching: "added"/"adding"/"adds" -> "add", "moving" -> "mov"."""
    if len(word) > 4:
        for suffix in ("ing", "ed", "es", "s"):
            if word.endswith(suffix):
                word = word[: -len(suffix)]
                break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def _filled(item: ActionItem) -> int:
    return sum(value is not None for value in (item.owner, item.due, item.priority, item.ref, item.kind))


def _merge_into(target: ActionItem, other: ActionItem) -> ActionItem:
    description = target.description
    if other.description and (not description or len(other.description) > len(description)):
        description = other.description
    return replace(
        target,
        description=description,
        owner=target.owner or other.owner,
        due=target.due or other.due,
        priority=target.priority or other.priority,
        kind=target.kind or other.kind,
        kind_raw=target.kind_raw or other.kind_raw,
        ref=target.ref or other.ref,
        done=target.done or other.done,
    )
