"""Compose the Jira issue description (v2 wiki markup) from a `TicketBody`.

Every piece of text that came from a document goes through `escape_wiki`/`escape_inline`; only the
fixed headings and separators below are our own markup.
"""

from __future__ import annotations

from connectors.jira_markup import escape_inline, escape_wiki, safe_link, truncate_body
from connectors.tracker import TicketBody


def describe(body: TicketBody, *, unmapped_priority: str | None = None) -> str:
    """The description for a new ticket: the item's own text, then where it came from."""
    parts: list[str] = []
    if body.description and body.description.strip():
        parts.append(escape_wiki(body.description.strip()))
    facts: list[str] = []
    if body.postmortem_title or body.postmortem_url:
        source = safe_link(body.postmortem_url, body.postmortem_title or "the postmortem")
        facts.append(f"*Postmortem:* {source}")
    if body.section:
        facts.append(f"*Section:* {escape_inline(body.section)}")
    if body.owner_as_written:
        facts.append(f"*Owner as written:* {escape_inline(body.owner_as_written)}")
    if body.kind:
        facts.append(f"*Kind:* {escape_inline(body.kind)}")
    if unmapped_priority:
        facts.append(
            f"*Priority as written:* {escape_inline(unmapped_priority)} (no matching Jira priority, not set)"
        )
    elif body.priority_as_written:
        facts.append(f"*Priority as written:* {escape_inline(body.priority_as_written)}")
    if body.ref:
        facts.append(f"*Reference:* {escape_inline(body.ref)}")
    if facts:
        parts.append("----\n" + "\n".join(facts))
    parts.append(
        "_Opened by Followthrough from the postmortem's action items. Edits to the summary, due date, "
        "assignee or priority made here are kept._"
    )
    return truncate_body("\n\n".join(parts))


def comment_text(text: str) -> str:
    """A comment body whose whole text is neutralised."""
    return truncate_body(escape_wiki(text.strip()))
