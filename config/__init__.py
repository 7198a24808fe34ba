"""Configuration and process wiring, in two layers.

Bottom (imports nothing of the project above it; every layer may import it): the typed settings
(`settings`), teams and people (`teams`), document sources (`sources`), the action-item kinds vocabulary
(`kinds`), the metric counters (`metrics`) and the JSON log formatter (`logs`).

Top (assembles the running processes and may import the domain below it): the Celery app with its queues,
routes and beat schedule (`celery_app`), the locked beat scheduler (`beat`), the task signal handlers
(`task_signals`), Sentry (`sentry`) and the Redis broker transport (`redis_transport`). Only the process
layer and the CLI import these.
"""
