"""Celery task of the GitLab hook: read which postmortem files a push or merge request changed, queue them.

A push names its files (the first 20 commits; past that the task compares before..after); a merge request
event names none, so its diffs are read. Each covered file is queued for ingest pinned to the commit
(the merge commit, the push's head, or an approved merge request's head), and the commit orders versions.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from connectors.sources.gitlab import GitLabReader
from worker.service.requests import IngestRequest
from worker.tasks.enqueue import enqueue_ingest
from worker.tasks.names import INGEST_GITLAB_TASK
from worker.tasks.pipeline import MAX_RETRIES, _outbox_entry, _retry, _settings
from worker.tasks.retry import RETRYABLE


def _files(reader: GitLabReader, change: dict[str, Any], branch: str) -> tuple[str | None, list[str]]:
    project = str(change["project"])
    if "mr" in change:
        merge_request = reader.merge_request(project, int(change["mr"]))
        if merge_request.target_branch != branch:
            return None, []
        return merge_request.sha, list(merge_request.paths)
    paths = change.get("paths")
    if paths is None:
        paths = list(reader.changed_paths(project, str(change["before"]), str(change["sha"])))
    return str(change["sha"]), [str(p) for p in paths]


@shared_task(  # type: ignore[untyped-decorator]
    bind=True, name=INGEST_GITLAB_TASK, max_retries=MAX_RETRIES
)
def ingest_gitlab_change(self: Task, change: dict[str, Any], outbox_id: int | None = None) -> dict[str, Any]:
    """Queue an ingest of every configured postmortem file a push or merge request added or changed."""
    settings = _settings(self)
    with _outbox_entry(settings, outbox_id):
        source = settings.sources.gitlab
        if source is None or not source.has_project(str(change.get("project", ""))):
            return {"queued": 0, "reason": "project is not a configured postmortem source"}
        reader = GitLabReader(settings)
        try:
            branch = source.branch or reader.default_branch(source.project)
            sha, paths = _files(reader, change, branch)
        except RETRYABLE as exc:
            raise _retry(self, exc) from None
        queued = 0
        for path in paths:
            if sha and source.covers(path):
                ref = f"gitlab:{source.project}@{sha}:{path}"
                enqueue_ingest(self.app, IngestRequest(source=ref, team=source.team))
                queued += 1
    return {"queued": queued}
