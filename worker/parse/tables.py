"""Action items from table rows: which column holds the action and what the other columns set."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from worker.models import ActionItem
from worker.parse import budget
from worker.parse.blocks import Table, Text
from worker.parse.empty import is_empty_value
from worker.parse.fields import Role, column_role
from worker.parse.item import (
    Items,
    Section,
    clean,
    is_placeholder,
    make_item,
)
from worker.parse.sections import Kind
from worker.parse.status import is_dropped_status
from worker.parse.values import value_changes


def table_items(table: Table, section: Section, found: Items, *, lang: str, base: date | None) -> None:
    """Add one item per row of an action table (rows marked won't do and placeholder rows aside)."""
    if section.kind is Kind.EXCLUDED or not table.header:
        return
    roles = [column_role(cell.text[:200]) for cell in table.header]
    action_col = action_column(roles, in_action_section=section.kind is Kind.ACTION)
    if action_col is None:
        return
    if Role.TIME in roles and section.kind is not Kind.ACTION:
        return  # "Time | Action": a timeline, not a plan
    for row in table.rows:
        budget.check()
        item = _row_item(table, row, roles, action_col, section, lang=lang, base=base)
        if item is not None:
            found.add(item, weight=2)


def action_column(roles: list[Role], *, in_action_section: bool) -> int | None:
    """The column that holds the action: an action column anywhere; a weaker one under an action heading."""
    if Role.ACTION in roles:
        return roles.index(Role.ACTION)
    if not in_action_section:
        return None
    for role in (Role.WEAK_ACTION, Role.CONTEXT):
        if role in roles:
            return roles.index(role)
    return None


def _row_item(
    table: Table,
    row: list[Text],
    roles: list[Role],
    action_col: int,
    section: Section,
    *,
    lang: str,
    base: date | None,
) -> ActionItem | None:
    if action_col >= len(row) or is_placeholder(row[action_col].text.strip()):
        return None
    if any(
        role is Role.STATUS and index < len(row) and is_dropped_status(row[index].text)
        for index, role in enumerate(roles)
    ):
        return None  # won't do / duplicate: not an action
    context = _row_context(table, row, roles, action_col)
    item = make_item(
        row[action_col],
        section,
        lang=lang,
        base=base,
        context=context,
        owner_from_text=Role.OWNER not in roles,
    )
    if item is None:
        return None
    changes: dict[str, object] = {}  # one replace() for the section and the row's fields
    if item.section is None:
        changes["section"] = clean(table.header[action_col].text) or None
    for column, role in enumerate(roles):
        if column < len(row) and column != action_col:
            value_changes(item, changes, role, row[column], lang=lang, base=base, override=True)
    return replace(item, **changes) if changes else item  # type: ignore[arg-type]


def _row_context(table: Table, row: list[Text], roles: list[Role], action_col: int) -> list[str]:
    """The row's other descriptive cells, "Header: value", for the item's description."""
    context = []
    for index, role in enumerate(roles):
        if index != action_col and index < len(row) and role in (Role.CONTEXT, Role.WEAK_ACTION):
            value = row[index].text.strip()
            if value and not is_empty_value(value):
                context.append(f"{table.header[index].text.strip()}: {value}")
    return context
