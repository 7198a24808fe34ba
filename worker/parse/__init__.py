"""Read a postmortem in any supported format and return its action items.

Pipeline: bytes -> text (`decode`) -> format (`detect`) -> blocks (one front-end per format) -> postmortem
fields (`metadata`) and action items (`extract`, `fields`, `dates`) -> fingerprints (`fingerprint`).
See docs/parsing.md for what counts as an action item and how ids are derived.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import replace

from worker.models import ActionItem, Postmortem
from worker.parse import budget, vocabulary
from worker.parse.blocks import Block, Heading, ListItem, Paragraph, Table, Text
from worker.parse.dates import _parse_cached
from worker.parse.decide import Decision, tracing
from worker.parse.decode import clean_text, decode_bytes
from worker.parse.detect import Format, detect_format
from worker.parse.email import strip_email
from worker.parse.empty import _is_empty_cached
from worker.parse.errors import ParseError
from worker.parse.extract import extract_items
from worker.parse.fingerprint import _normalise_cached, derive_identity, fingerprint, normalise_action
from worker.parse.gc_pause import collector_paused
from worker.parse.language import detect_language
from worker.parse.metadata import read_metadata
from worker.parse.vocabulary import Rules, Vocabulary

__all__ = [
    "Decision",
    "Format",
    "ParseError",
    "explain_document",
    "fingerprint",
    "normalise_action",
    "parse_document",
]

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_BUDGET_SECONDS = budget.DEFAULT_BUDGET_SECONDS

# format -> (module, function): each front end (and its library: markdown-it, lxml, docutils) is imported
# when a document of its format first comes, so a command that never parses that format never loads it.
_FRONT_ENDS: dict[Format, tuple[str, str]] = {
    Format.MARKDOWN: ("worker.parse.markdown", "parse_markdown"),
    Format.HTML: ("worker.parse.html", "parse_html"),
    Format.STORAGE: ("worker.parse.html", "parse_storage"),
    Format.JIRA: ("worker.parse.jira_wiki", "parse_jira"),
    Format.PLAIN: ("worker.parse.plaintext", "parse_plain"),
    Format.RST: ("worker.parse.rst", "parse_rst"),
    Format.ASCIIDOC: ("worker.parse.asciidoc", "parse_asciidoc"),
    Format.ORG: ("worker.parse.org", "parse_org"),
}


def _front_end(fmt: Format) -> Callable[[str], list[Block]]:
    module, function = _FRONT_ENDS[fmt]
    parse: Callable[[str], list[Block]] = getattr(importlib.import_module(module), function)
    return parse


def parse_document(
    data: bytes | str,
    *,
    filename: str | None = None,
    identity: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    rules: Rules | None = None,
) -> Postmortem:
    """Parse one postmortem document; raise ParseError (one-line message) when it cannot be read.

    A parse that runs past `budget_seconds` is refused (ParseError) rather than left to hold a worker.
    `rules` are a team's own words (config.teams.ParseRules): action-section words, columns, markers.
    """
    with vocabulary.using(Vocabulary.from_rules(rules)):
        return _parse(
            data, filename=filename, identity=identity, max_bytes=max_bytes, budget_seconds=budget_seconds
        )


def explain_document(
    data: bytes | str,
    *,
    filename: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    rules: Rules | None = None,
) -> tuple[Postmortem, list[Decision]]:
    """`parse_document`, and every candidate it considered with the decision and its reasons."""
    with tracing() as decisions:
        postmortem = parse_document(
            data, filename=filename, max_bytes=max_bytes, budget_seconds=budget_seconds, rules=rules
        )
    return postmortem, decisions


def _parse(
    data: bytes | str,
    *,
    filename: str | None,
    identity: str | None,
    max_bytes: int,
    budget_seconds: float,
) -> Postmortem:
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", errors="replace"))
    if size > max_bytes:
        raise ParseError(
            f"the document is {size} bytes, over the {max_bytes}-byte limit"
            " (FOLLOWTHROUGH_MAX_DOCUMENT_BYTES)"
        )
    _forget_texts()
    with collector_paused(), budget.budget(budget_seconds):
        text = clean_text(decode_bytes(data) if isinstance(data, bytes) else data)
        subject, text = strip_email(text)
        fmt = detect_format(text, filename=filename)
        try:
            blocks = _front_end(fmt)(text)
            if subject:
                blocks.insert(0, Heading(level=1, content=Text(subject)))
            budget.check()
            lang = detect_language(_plain(blocks))
            meta = read_metadata(blocks, lang=lang)
            budget.check()
            found = extract_items(blocks, lang=lang, incident_date=meta.incident_date)
        except RecursionError:
            raise ParseError("the document is nested too deeply to read") from None
        ident = identity or derive_identity(meta.title, meta.incident_date, meta.first_text)
        items: tuple[ActionItem, ...] = tuple(
            replace(item, fingerprint=fingerprint(ident, item.title)) for item in found
        )
    return Postmortem(
        identity=ident,
        title=meta.title,
        owner=meta.owner,
        incident_date=meta.incident_date,
        severity=meta.severity,
        team=meta.team,
        action_items=items,
    )


def _forget_texts() -> None:
    """Empty the per-text caches, so each parse's time is its own (a benchmark parsing one document again
    and again measures the work, not the caches) and no document's text outlives the next parse."""
    for cache in (_is_empty_cached, _parse_cached, _normalise_cached):
        cache.cache_clear()
    # Its cell cache exists once it is loaded. Not `import`: that would load markdown-it for every format.
    # The cache is looked up, not assumed: in a threads worker, another thread may be importing the module
    # right now, and a module still being imported is already in sys.modules without its functions.
    render_marked = getattr(sys.modules.get("worker.parse.markdown"), "_render_marked", None)
    if render_marked is not None:
        render_marked.cache_clear()


def _plain(blocks: list[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            parts.extend(cell.text for row in [block.header, *block.rows] for cell in row)
        elif isinstance(block, Heading | Paragraph | ListItem):
            parts.append(block.content.text)
        if len(parts) > 400:
            break
    return "\n".join(parts)
