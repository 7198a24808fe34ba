"""Hard to stall (issue 8): every parser regex is free of super-linear shapes, work grows linearly with
the input (a deterministic counter, not the clock), and hostile inputs are read or refused quickly."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import re
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import worker.parse
from config.kinds import document_kind as normalise_kind
from tests.parse.regex_audit import problems
from worker.parse import ParseError, budget, parse_document
from worker.parse.dates import parse_date
from worker.parse.detect import detect_format
from worker.parse.email import strip_email
from worker.parse.empty import is_empty_value, word_core
from worker.parse.fields import column_role, inline_fields
from worker.parse.fingerprint import normalise_action
from worker.parse.jira_wiki import inline as jira_inline
from worker.parse.nothing import says_nothing_to_do
from worker.parse.patterns import compiled
from worker.parse.refs import find_ref
from worker.parse.status import inline_status, is_done_status, is_dropped_status
from worker.parse.titles import split_sentences, tidy_title


def _parser_patterns() -> list[tuple[str, re.Pattern[str]]]:
    found: list[tuple[str, re.Pattern[str]]] = []
    seen: set[int] = set()
    for module_info in pkgutil.iter_modules(worker.parse.__path__):
        module = importlib.import_module(f"worker.parse.{module_info.name}")
        for name, value in vars(module).items():
            pattern = compiled(value)  # the parser's own patterns are compiled at first use
            if pattern is not None and id(value) not in seen:
                seen.add(id(value))
                found.append((f"{module_info.name}.{name}", pattern))
    return found


PATTERNS = _parser_patterns()


def test_the_audit_sees_the_parser_patterns_and_catches_the_old_bugs() -> None:
    assert len(PATTERNS) >= 40
    # The placeholder regex of main (cubic on "----x") and the trailing-ref regex (quadratic).
    old_placeholder = re.compile(r"^\W*(?:tbd|n/?a|\?+|-+|—|\.{2,})?\W*$", re.I)
    assert problems(old_placeholder)
    assert problems(re.compile(r"(?:\s+(?:see|in)?\s*[A-Z]{2,5}-\d{1,5})+\s*$"))
    assert not problems(re.compile(r"^\s{0,3}h([1-6])\.\s+(.*)$"))


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[name for name, _ in PATTERNS])
def test_no_parser_regex_has_nested_or_adjacent_unbounded_quantifiers(
    name: str, pattern: re.Pattern[str]
) -> None:
    assert problems(pattern) == []


# --- property tests: every regex-bearing function on adversarial strings -----------------------------
_HOSTILE_CHARS = "-—–?.·|()[]:;,@#*_~<>/ \t\nxX1aé"
_RUNS = st.builds(
    lambda unit, count, tail: unit * count + tail,
    st.text(alphabet=_HOSTILE_CHARS, min_size=1, max_size=4),
    st.integers(min_value=50, max_value=3000),
    st.text(alphabet=_HOSTILE_CHARS, max_size=3),
)
_FUNCTIONS: list[tuple[str, Callable[[str], object]]] = [
    ("is_empty_value", is_empty_value),
    ("word_core", word_core),
    ("parse_date", lambda s: parse_date(s, lang="en", base=date(2024, 1, 1))),
    ("inline_fields", lambda s: inline_fields(s, lang="en", base=None, mentions=[])),
    ("inline_status", inline_status),
    ("is_done_status", is_done_status),
    ("is_dropped_status", is_dropped_status),
    ("says_nothing_to_do", says_nothing_to_do),
    ("normalise_kind", normalise_kind),
    ("column_role", column_role),
    ("tidy_title", lambda s: tidy_title(s, removed=True)),
    ("split_sentences", split_sentences),
    ("find_ref", find_ref),
    ("normalise_action", normalise_action),
    ("detect_format", detect_format),
    ("strip_email", strip_email),
    ("jira_inline", jira_inline),
]
FAST = settings(
    max_examples=25, deadline=1500, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@pytest.mark.parametrize(("name", "function"), _FUNCTIONS, ids=[name for name, _ in _FUNCTIONS])
def test_regex_bearing_functions_stay_fast_on_adversarial_runs(
    name: str, function: Callable[[str], object]
) -> None:
    @FAST
    @given(_RUNS)
    def run(text: str) -> None:
        function(text)

    run()


@settings(max_examples=20, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(_RUNS, st.sampled_from(["- ", "| Fix | ", "<p>", "h2. ", "We will ", "1. ", "Owner: "]))
def test_whole_parse_reads_or_refuses_adversarial_runs(run: str, prefix: str) -> None:
    doc = "# T\n\n## Action items\n\n| Action | Owner |\n|---|---|\n| Fix it | x |\n\n" + prefix + run
    try:
        parse_document(doc)
    except ParseError as exc:
        assert "\n" not in str(exc)


# --- complexity: doubling the input must not more than double the work -------------------------------
def _work(doc: str) -> int:
    with budget.budget(120) as current:
        with contextlib.suppress(ParseError):
            parse_document(doc)
        return current.scanned


_WE_WILL = "We will add check {i} to the deploy pipeline of service {i}, owner: ana, due 2024-0{m}-1{m}. "
_FAMILIES: dict[str, Callable[[int], str]] = {
    "we-will paragraph": lambda n: (
        "# P\n\n## Action items\n\n" + "".join(_WE_WILL.format(i=i, m=1 + i % 9) for i in range(n))
    ),
    "list of dashes": lambda n: "## Action items\n\n- " + "-" * (40 * n) + "x\n",
    "list of question marks": lambda n: "## Action items\n\n- " + "?" * (40 * n) + "x\n",
    "separator residue": lambda n: "## Action items\n\n- Fix it" + " — ·" * (10 * n) + " owner: ana\n",
    "table rows": lambda n: (
        "## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n"
        + "".join(f"| Fix component {i} so it retries | Kim {i} | 2024-03-0{1 + i % 9} |\n" for i in range(n))
    ),
    "checkbox items": lambda n: (
        "## Follow-ups\n\n"
        + "".join(f"- [ ] Add alert {i} for queue {i} (@ops{i}, due 2024-05-01) -- DONE\n" for i in range(n))
    ),
    "one long item": lambda n: "## Action items\n\n- " + "word " * (100 * n),
}


@pytest.mark.parametrize("family", sorted(_FAMILIES))
def test_work_grows_linearly(family: str) -> None:
    make = _FAMILIES[family]
    small, large = _work(make(100)), _work(make(200))
    assert small > 0
    assert large <= 2.2 * small + 200, (small, large)


def test_budget_refuses_a_parse_that_runs_too_long() -> None:
    doc = "# P\n\n## Action items\n\n" + "".join(
        f"- [ ] Add alert {i} (@ops, due 2024-05-01)\n" for i in range(3000)
    )
    with pytest.raises(ParseError, match="parse budget"):
        parse_document(doc, budget_seconds=0.001)
    assert len(parse_document(doc, budget_seconds=300).action_items) == 3000
