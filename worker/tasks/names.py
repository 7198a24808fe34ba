"""Task and queue names: the stable strings other systems, the receiver and the CLI send work by.

Kept apart from the task code so a sender (the receiver, the CLI, `tasks/enqueue.py`) names a task
without importing Celery tasks, and so the Celery app's routes and the tasks' own names agree.
"""

from __future__ import annotations

#: Pipeline tasks (worker/tasks/pipeline.py); other systems may call these by name.
INGEST_TASK = "followthrough.ingest_postmortem"
INGEST_PULL_TASK = "followthrough.ingest_pull_request"
SYNC_TASK = "followthrough.sync_postmortem"
RECONCILE_TASK = "followthrough.reconcile"
RESYNC_TASK = "followthrough.resync"
#: A GitLab push or merge request on the postmortem branch (worker/tasks/sources.py).
INGEST_GITLAB_TASK = "followthrough.ingest_gitlab_change"

#: The postmortem-as-contract tasks (worker/tasks/contract.py): review previews and link write-back.
PREVIEW_PULL_TASK = "followthrough.preview_pull_request"
PREVIEW_JIRA_TASK = "followthrough.preview_jira_review"
WRITE_BACK_TASK = "followthrough.sync_write_back"
PREVIEW_GITLAB_TASK = "followthrough.preview_gitlab_merge_request"
PREVIEW_NOTION_TASK = "followthrough.preview_notion_page"
#: Keeps the previews of Confluence pages and Google Docs under review current (no review events there).
PREVIEW_SWEEP_TASK = "followthrough.preview_reviews"
#: One document source's poll (a Drive push notification wakes it); the argument names the source.
POLL_SOURCE_TASK = "followthrough.poll_source"

#: Follow-up tasks (worker/tasks/followup.py).
SEND_TASK = "followthrough.send_reports"
REFRESH_TASK = "followthrough.refresh_statuses"
REMIND_TASK = "followthrough.send_reminders"

#: Parsing and fetching documents; cheap and bounded by CPU.
INGEST_QUEUE = "ingest"
#: Tracker writes; bounded by the trackers' rate limits, so kept apart from parsing.
TRACKER_QUEUE = "tracker"
#: Celery's own default queue: where `send_task(name)` lands when the sender's app has no routes.
#: Workers consume it too, so a task sent by name alone from any Celery client still runs.
DEFAULT_QUEUE = "celery"

#: Tasks routed to the tracker queue: every sync, refresh and send (matched as glob patterns).
TRACKER_TASK_PATTERNS = ("followthrough.sync_*", "followthrough.refresh_*", "followthrough.send_*")
#: Tasks routed to the ingest queue.
INGEST_TASKS = (INGEST_TASK, INGEST_PULL_TASK, RECONCILE_TASK, RESYNC_TASK, INGEST_GITLAB_TASK,
                PREVIEW_PULL_TASK, PREVIEW_JIRA_TASK, POLL_SOURCE_TASK, PREVIEW_GITLAB_TASK,
                PREVIEW_NOTION_TASK, PREVIEW_SWEEP_TASK)
