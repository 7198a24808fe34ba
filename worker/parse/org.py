"""Org mode front end: the outline rewritten as Markdown, which the Markdown front end reads.

Headlines are headings, except those with a TODO keyword: they are action items wherever they sit (a
checkbox list item: TODO/NEXT/WAITING open, DONE done, CANCELLED/CANCELED dropped), with DEADLINE or
SCHEDULED as the due date, the :OWNER:/:ASSIGNEE: property as the owner and tags kept out of the title.
`#+TITLE:` is the title, `#+KEY: value` lines are metadata, tables are tables.
"""

from __future__ import annotations

import re

from worker.parse import budget
from worker.parse.blocks import Block
from worker.parse.markdown import parse_markdown
from worker.parse.patterns import lazy

_HEADLINE = lazy(
    r"^(\*{1,8})\s+(?:(TODO|NEXT|WAITING|DONE|CANCELL?ED)\s+)?(?:\[#([A-C])\]\s+)?(.*?)(\s+:[\w@:]{1,200}:)?\s*$"
)
_KEYWORD = lazy(r"^#\+(\w{1,40}):\s*(.*)$")
_PLANNING = lazy(r"(DEADLINE|SCHEDULED):\s*<(\d{4}-\d{2}-\d{2})[^>]{0,40}>")
_PROPERTY = lazy(r"^:([\w-]{1,40}):\s*(.*)$")
_TABLE_RULE = lazy(r"^\|[-+]{2,}\|?$")
_OWNER_PROPERTIES = frozenset({"owner", "assignee", "responsible", "dri"})


def parse_org(text: str) -> list[Block]:
    """Parse Org mode into blocks."""
    out: list[str] = []
    task: dict[str, str] | None = None
    for raw in text.split("\n"):
        budget.tick()
        line = raw.rstrip()
        headline = _HEADLINE.match(line)
        if headline:
            _flush(task, out)
            task = _headline(headline, out)
            continue
        if task is not None and _task_detail(line, task):
            continue
        _flush(task, out)
        task = None
        out.append(_line(line))
    _flush(task, out)
    return parse_markdown("\n".join(out))


def _headline(match: re.Match[str], out: list[str]) -> dict[str, str] | None:
    stars, keyword, priority, title = match.group(1), match.group(2), match.group(3), match.group(4)
    if keyword is None:
        out.append("#" * min(len(stars), 6) + " " + title)
        return None
    return {"keyword": keyword, "title": title, "priority": priority or ""}


def _task_detail(line: str, task: dict[str, str]) -> bool:
    """Planning lines and the property drawer under a TODO headline; False at the first other line."""
    stripped = line.strip()
    planning = _PLANNING.search(stripped)
    if planning:
        task.setdefault("due", planning.group(2))
        return True
    if stripped in (":PROPERTIES:", ":END:", ":LOGBOOK:"):
        return True
    prop = _PROPERTY.match(stripped)
    if prop:
        if prop.group(1).lower() in _OWNER_PROPERTIES:
            task["owner"] = prop.group(2).strip()
        return True
    return False


def _flush(task: dict[str, str] | None, out: list[str]) -> None:
    if task is None:
        return
    keyword = task["keyword"]
    box = "[x]" if keyword == "DONE" else "[ ]"
    fields = [f"owner: {task['owner']}" for _ in [0] if task.get("owner")]
    fields += [f"due: {task['due']}" for _ in [0] if task.get("due")]
    fields += [f"priority: {task['priority']}" for _ in [0] if task.get("priority")]
    tail = f" ({', '.join(fields)})" if fields else ""
    if keyword.startswith("CANCEL"):
        tail += " (dropped)"
    out.extend(["", f"- {box} {task['title']}{tail}", ""])


def _line(line: str) -> str:
    keyword = _KEYWORD.match(line)
    if keyword:
        name, value = keyword.group(1).lower(), keyword.group(2)
        if name == "title":
            return f"# {value}"
        return f"{name}: {value}\n" if name not in ("options", "startup", "setupfile") else ""
    if _TABLE_RULE.match(line.strip()):
        return "|" + "---|" * max(line.count("+") + 1, 1)
    return line
