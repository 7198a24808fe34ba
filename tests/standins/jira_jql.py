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
    parser = _Parser(_tokens(jql))
    clauses: list[Clause] = []
    while not parser.done() and not parser.at_word("order"):
        if clauses:
            parser.expect_and()
        clauses.append(parser.clause())
    order_by, descending = parser.order_by()
    return Query(tuple(clauses), order_by, descending)


class _Parser:
    """A cursor over the tokens of one query."""

    def __init__(self, toks: list[tuple[str, str]]) -> None:
        self.toks = toks
        self.i = 0

    def done(self) -> bool:
        return self.i >= len(self.toks)

    def at_word(self, word: str) -> bool:
        kind, text = self.toks[self.i]
        return kind == "word" and text.lower() == word

    def at(self, token: tuple[str, str]) -> bool:
        return self.i < len(self.toks) and self.toks[self.i] == token

    def expect_and(self) -> None:
        if not self.at_word("and"):
            raise JqlError(f"Error in the JQL Query: Expecting 'AND' but got '{self.toks[self.i][1]}'.")
        self.i += 1

    def value(self) -> str:
        if self.done() or self.toks[self.i][0] == "op":
            raise JqlError("Error in the JQL Query: Expecting a value.")
        self.i += 1
        return self.toks[self.i - 1][1]

    def clause(self) -> Clause:
        text = "" if self.done() else self.toks[self.i][1]
        name = text.lower()
        if name not in FIELDS:
            raise JqlError(f"Field '{text}' does not exist or you do not have permission to view it.")
        self.i += 1
        if self.done():
            raise JqlError("Error in the JQL Query: Expecting an operator.")
        op = self.toks[self.i][1].lower()
        if op == "not" and self.i + 1 < len(self.toks) and self.toks[self.i + 1][1].lower() == "in":
            op, self.i = "not in", self.i + 1
        self.i += 1
        operand = _OPERANDS.get(op)
        if operand is None:
            raise JqlError(f"Error in the JQL Query: unsupported operator '{op}'.")
        return Clause(name, op, operand(self))

    def single(self) -> tuple[str, ...]:
        return (self.value(),)

    def listed(self) -> tuple[str, ...]:
        if not self.at(("op", "(")):
            raise JqlError("Error in the JQL Query: Expecting '(' after IN.")
        self.i += 1
        values: list[str] = []
        while True:
            values.append(self.value())
            if self.at(("op", ",")):
                self.i += 1
                continue
            if self.at(("op", ")")):
                self.i += 1
                return tuple(values)
            raise JqlError("Error in the JQL Query: Expecting ',' or ')'.")

    def order_by(self) -> tuple[str | None, bool]:
        if self.done():
            return None, False
        rest = [t[1].lower() for t in self.toks[self.i :]]
        if len(rest) < 3 or rest[1] != "by":
            raise JqlError("Error in the JQL Query: Expecting 'BY' after 'ORDER'.")
        return rest[2], len(rest) > 3 and rest[3] == "desc"


#: How each operator reads its operand: one value, or a parenthesised list.
_OPERANDS: dict[str, Callable[[_Parser], tuple[str, ...]]] = {
    "=": _Parser.single,
    "!=": _Parser.single,
    "in": _Parser.listed,
    "not in": _Parser.listed,
}


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
