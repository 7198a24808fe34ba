"""The subset of JQL the Jira stand-in understands: `field = v`, `field != v`, `field in (...)`,
`field not in (...)`, joined by AND, with an optional `ORDER BY field [ASC|DESC]`.

Syntax follows support.atlassian.com/jira-software-cloud/docs/
use-advanced-search-with-jira-query-language-jql/.
Anything else is rejected with a 400-style error, like Jira does for JQL it cannot parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|=|\(|\)|,)|(?P<word>[^\s=!(),"\']+))'
)
FIELDS = ("project", "labels", "key", "issuekey", "status", "statuscategory", "assignee", "issuetype")


class JqlError(ValueError):
    """The query is not valid JQL (for this stand-in); the message is what Jira would say."""


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # "=", "!=", "in", "not in"
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    order_by: str | None = None
    descending: bool = False


def _tokens(jql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(jql):
        if jql[pos:].strip() == "":
            break
        m = _TOKEN.match(jql, pos)
        if not m or m.end() == pos:
            raise JqlError(f"Error in the JQL Query: unexpected character at position {pos}.")
        pos = m.end()
        if m.group("str") is not None:
            raw = m.group("str")[1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", raw)))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            out.append(("word", m.group("word")))
    return out


def parse(jql: str) -> Query:
    """Parse the supported JQL subset, or raise JqlError."""
    toks = _tokens(jql)
    i = 0
    clauses: list[Clause] = []

    def value(at: int) -> tuple[str, int]:
        if at >= len(toks) or toks[at][0] == "op":
            raise JqlError("Error in the JQL Query: Expecting a value.")
        return toks[at][1], at + 1

    while i < len(toks):
        kind, text = toks[i]
        if kind == "word" and text.lower() == "order":
            break
        if clauses:
            if kind != "word" or text.lower() != "and":
                raise JqlError(f"Error in the JQL Query: Expecting 'AND' but got '{text}'.")
            i += 1
            kind, text = toks[i] if i < len(toks) else ("", "")
        name = text.lower()
        if name not in FIELDS:
            raise JqlError(f"Field '{text}' does not exist or you do not have permission to view it.")
        i += 1
        if i >= len(toks):
            raise JqlError("Error in the JQL Query: Expecting an operator.")
        op = toks[i][1].lower()
        if op == "not" and i + 1 < len(toks) and toks[i + 1][1].lower() == "in":
            op, i = "not in", i + 1
        i += 1
        if op in ("=", "!="):
            v, i = value(i)
            clauses.append(Clause(name, op, (v,)))
        elif op in ("in", "not in"):
            if i >= len(toks) or toks[i] != ("op", "("):
                raise JqlError("Error in the JQL Query: Expecting '(' after IN.")
            i += 1
            values: list[str] = []
            while True:
                v, i = value(i)
                values.append(v)
                if i < len(toks) and toks[i] == ("op", ","):
                    i += 1
                    continue
                if i < len(toks) and toks[i] == ("op", ")"):
                    i += 1
                    break
                raise JqlError("Error in the JQL Query: Expecting ',' or ')'.")
            clauses.append(Clause(name, op, tuple(values)))
        else:
            raise JqlError(f"Error in the JQL Query: unsupported operator '{op}'.")
    order_by: str | None = None
    descending = False
    if i < len(toks):
        rest = [t[1].lower() for t in toks[i:]]
        if len(rest) < 3 or rest[1] != "by":
            raise JqlError("Error in the JQL Query: Expecting 'BY' after 'ORDER'.")
        order_by = rest[2]
        descending = len(rest) > 3 and rest[3] == "desc"
    return Query(tuple(clauses), order_by, descending)


Lookup = Callable[[Mapping[str, Any], str], list[str]]


def matcher(query: Query, lookup: Lookup) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over issues; `lookup(issue, field)` gives the issue's values for a JQL field."""

    def match(issue: Mapping[str, Any]) -> bool:
        for clause in query.clauses:
            have = {v.casefold() for v in lookup(issue, clause.field)}
            wanted = {v.casefold() for v in clause.values}
            hit = bool(have & wanted)
            if clause.op in ("=", "in") and not hit:
                return False
            if clause.op in ("!=", "not in") and hit:
                return False
        return True

    return match
