"""Write ticket links into a postmortem without ever overwriting a person's edit.

Each source implements `DocumentWriter` (read with a guard token, write with it, comment); this module
runs the loop: read, re-parse the text as it is now, find each tracked item's line, edit only those lines,
write with the guard. On `Conflict` (a stale sha, a moved version) it starts again from a fresh read, so a
person's edit is kept and the links are applied to their text, up to `max_attempts`; then it leaves one
comment with the links instead and says why. Links already present mean nothing is written at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from config.contract import DoneMarker
from connectors.errors import Conflict
from connectors.revision import Revision
from worker.contract.lines import Dialect
from worker.contract.links import Edit, Link, apply_links
from worker.contract.locate import locate
from worker.models import ActionItem

log = logging.getLogger(__name__)

COMMIT_MESSAGE = "Followthrough: link the action items to their tickets"


#: A source whose text is not lines (Confluence storage) edits it itself: (text, items, tickets by
#: fingerprint as (key, url)) -> (the edit, titles of items not found).
Editor = Callable[[str, Sequence[ActionItem], Mapping[str, tuple[str, str]]], tuple[Edit, list[str]]]


class DocumentWriter(Protocol):
    """What a source offers write-back: a guarded read and write of the raw text, and a comment."""

    def read(self) -> Revision: ...

    def write(self, text: str, base: Revision, message: str) -> None: ...  # raises Conflict

    def comment(self, text: str, base: Revision) -> None: ...


@dataclass(frozen=True, slots=True)
class Tracked:
    """An item's ticket: what to write next to it."""

    key: str
    url: str
    closed: bool = False


@dataclass(frozen=True, slots=True)
class WriteBack:
    status: str  # "written", "unchanged", "commented", "failed" (gone or not allowed; `reason` says)
    written: tuple[str, ...]  # ticket keys written this time
    attempts: int  # guarded writes tried
    reason: str = ""
    unplaced: tuple[str, ...] = ()  # items whose line could not be found (their links are not written)


def _links(text: str, items: Sequence[ActionItem], tickets: Mapping[str, Tracked],
           dialect: Dialect) -> tuple[list[Link], list[str]]:
    located = locate(text, items, dialect)
    links: list[Link] = []
    unplaced: list[str] = []
    for item in items:
        ticket = tickets.get(item.fingerprint)
        if ticket is None:
            continue
        line = located.line_of(item.fingerprint)
        if line is None:
            unplaced.append(item.title)
        else:
            links.append(Link(line, ticket.key, ticket.url, ticket.closed))
    return links, unplaced


def fallback_comment(tickets: Mapping[str, Tracked], titles: Mapping[str, str]) -> str:
    lines = ["Followthrough could not add these ticket links to the postmortem, because it kept changing "
             "while the links were written; they are listed here instead:", ""]
    lines += [f"- {titles.get(fp, fp)}: {t.key} {t.url}" for fp, t in tickets.items()]
    return "\n".join(lines)


def write_back(writer: DocumentWriter, parse: Callable[[str], Sequence[ActionItem]],
               tickets: Mapping[str, Tracked], dialect: Dialect, *, max_attempts: int = 3,
               add_column: bool = False, done_marker: DoneMarker | None = None,
               render_comment: Callable[[str], str] = lambda text: text,
               editor: Editor | None = None) -> WriteBack:
    """Put each item's link on its line; `tickets` maps fingerprints (as `parse` derives them) to tickets."""
    attempts = 0
    base = writer.read()
    titles: dict[str, str] = {}
    while True:
        items = parse(base.text)
        titles.update({item.fingerprint: item.title for item in items})
        if editor is not None:
            edit, unplaced = editor(base.text, items, {fp: (t.key, t.url) for fp, t in tickets.items()})
        else:
            links, unplaced = _links(base.text, items, tickets, dialect)
            edit = apply_links(base.text, links, dialect, add_column=add_column, done_marker=done_marker)
        if edit.text == base.text:
            return WriteBack("unchanged", (), attempts, unplaced=tuple(unplaced))
        if attempts >= max_attempts:
            break
        attempts += 1
        try:
            writer.write(edit.text, base, COMMIT_MESSAGE)
            return WriteBack("written", edit.written, attempts, unplaced=tuple(unplaced))
        except Conflict as exc:
            log.info("write-back: %s; re-reading (attempt %d of %d)", exc, attempts, max_attempts)
            base = writer.read()
    reason = f"the document changed during each of {attempts} guarded writes"
    log.warning("write-back: %s; leaving a comment with the links instead", reason)
    writer.comment(render_comment(fallback_comment(tickets, titles)), base)
    return WriteBack("commented", (), attempts, reason=reason)
