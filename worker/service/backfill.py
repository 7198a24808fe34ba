"""History imported on purpose: `followthrough backfill --since DATE`, over a folder or the sources.

The sweep never ingests a postmortem approved before its cutoff; backfill does, for the documents dated on
or after `since`. Each imported postmortem is stamped approved on the import day, so its items keep their
real due dates while escalations (and the default due dates) count from the import day, not the past.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from config.settings import Settings
from connectors.errors import TrackerError
from connectors.sources import GitHubFile, JiraIssue, stable_id
from connectors.sources.github import GitHubReader
from connectors.sources.jira import JiraReader
from worker.errors import UserError
from worker.service.fetch import fetch_document
from worker.service.sweep import history_name
from worker.store import outcomes
from worker.sync import pipeline
from worker.sync.results import SyncResult

#: The document formats a folder backfill reads; other files are left alone.
SUFFIXES = frozenset({".md", ".markdown", ".txt", ".html", ".htm", ".wiki", ".jira", ".xml"})


@dataclass(frozen=True, slots=True)
class Imported:
    """One document of a backfill: what became of it."""

    source: str
    dated: date | None
    outcome: str  # imported | planned | skipped | failed
    reason: str = ""
    result: SyncResult | None = None


def backfill_folder(settings: Settings, folder: Path, *, since: date, team: str | None,
                    dry_run: bool) -> list[Imported]:
    """Every postmortem file under `folder` dated on or after `since` (its incident date, else its mtime)."""
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder")
    done: list[Imported] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES):
        content = path.read_bytes()
        source = f"file:{path.resolve()}"
        try:
            parsed = pipeline.parse_with_limits(settings, content, filename=path.name, identity=None)
        except UserError as exc:
            done.append(Imported(source, None, "failed", str(exc)))
            continue
        dated = parsed.incident_date or datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
        if dated < since:
            done.append(Imported(source, dated, "skipped", f"dated {dated}, before --since"))
            continue
        done.append(_import(settings, content, source=source, filename=path.name, identity=None,
                            team=team, dry_run=dry_run, dated=dated))
    return done


def backfill_sources(settings: Settings, *, since: date, team: str | None, dry_run: bool) -> list[Imported]:
    """Every approved postmortem in the configured sources, approved on or after `since`, not yet held."""
    if settings.sources.github is None and settings.sources.jira is None:
        raise UserError("no sources configured: give a folder, or configure 'sources'")
    held = {record.source for record in pipeline.list_postmortems(settings)}
    done: list[Imported] = []
    for ref, approved in _listed(settings):
        if str(ref) in held or (approved is not None and approved.date() < since):
            continue
        try:
            document = fetch_document(settings, ref)
        except (TrackerError, UserError) as exc:
            done.append(Imported(str(ref), None, "failed", str(exc)))
            continue
        done.append(_import(settings, document.content, source=str(document.source),
                            filename=document.filename, identity=stable_id(ref),
                            team=team or _source_team(settings, ref), dry_run=dry_run,
                            dated=approved.date() if approved else None))
        if not dry_run and done[-1].outcome == "imported":
            outcomes.forget_history(pipeline.open_store(settings), history_name(ref))
    return done


def _listed(settings: Settings) -> Iterator[tuple[GitHubFile | JiraIssue, datetime | None]]:
    if settings.sources.github is not None:
        reader = GitHubReader(settings)
        for ref in reader.list_postmortems(settings.sources.github):
            yield ref, reader.commit_time(ref)
    if settings.sources.jira is not None:
        yield from JiraReader(settings).approved_times(settings.sources.jira)


def _source_team(settings: Settings, ref: GitHubFile | JiraIssue) -> str | None:
    source = settings.sources.github if isinstance(ref, GitHubFile) else settings.sources.jira
    return source.team if source is not None else None


def _import(settings: Settings, content: bytes, *, source: str, filename: str | None,
            identity: str | None, team: str | None, dry_run: bool, dated: date | None) -> Imported:
    """Ingest (approved today) and sync one document, or plan it."""
    try:
        if dry_run:
            plan = pipeline.preview(settings, content=content, source=source, team=team, filename=filename,
                                    postmortem_id=identity)
            return Imported(source, dated, "planned", result=plan)
        ingested = pipeline.ingest(settings, content=content, source=source, postmortem_id=identity,
                                   team=team, approved_at=datetime.now(UTC), filename=filename)
        result = pipeline.sync(settings, ingested.postmortem_key)
    except (TrackerError, UserError) as exc:
        return Imported(source, dated, "failed", str(exc))
    return Imported(source, dated, "planned" if result.dry_run else "imported", result=result)
