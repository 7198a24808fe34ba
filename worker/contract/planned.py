"""One postmortem's preview from a dry-run plan: what approval would track, with no ticket made.

Shared by every source's preview entry point (worker.contract.flows, worker.contract.source_flows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from config.settings import Settings
from config.teams import Team
from connectors.sources import Document, SourceRef, stable_id
from worker.contract.lines import Dialect
from worker.contract.locate import locate
from worker.contract.preview import Preview, build_preview
from worker.parse.detect import Format, detect_format
from worker.sync import pipeline


def dialect_of(text: str, filename: str | None) -> Dialect:
    return Dialect.WIKI if detect_format(text, filename=filename) is Format.JIRA else Dialect.MARKDOWN


def team_allows(settings: Settings, team_name: str, what: str) -> bool:
    """Whether the team turns the contract feature `what` ("preview", "write_back") on."""
    team: Team | None = settings.team(team_name)
    return team is not None and bool(getattr(team.contract, what))


def preview_one(settings: Settings, content: bytes, *, source: str, identity: str, team: str | None,
                filename: str | None) -> Preview | None:
    """The preview of one document, or None when its team has previews off."""
    parsed = pipeline.parse_with_limits(settings, content, filename=filename, identity=identity)
    plan = pipeline.preview(settings, content=content, source=source, team=team, filename=filename,
                            postmortem_id=identity)
    if not team_allows(settings, plan.team, "preview"):
        return None
    text = content.decode("utf-8", errors="replace")
    located = locate(text, parsed.action_items, dialect_of(text, filename))
    return build_preview(settings, parsed, plan, located)


R = TypeVar("R", bound=SourceRef)


def previews_of(settings: Settings, paths: Iterable[str], *, covers: Callable[[str], bool],
                ref_for: Callable[[str], R], fetch: Callable[[R], Document],
                team: str | None) -> list[tuple[str, Preview]]:
    """The previews of a review's postmortem files (a pull or merge request's paths): only the files the
    source covers, only for teams with previews on."""
    previews: list[tuple[str, Preview]] = []
    for path in paths:
        if not covers(path):
            continue
        ref = ref_for(path)
        document = fetch(ref)
        preview = preview_one(settings, document.content, source=str(ref), identity=stable_id(ref),
                              team=team, filename=document.filename)
        if preview is not None:
            previews.append((path, preview))
    return previews
