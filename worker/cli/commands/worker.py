"""`followthrough worker` and `followthrough beat`: Celery with the project's settings.

Equivalent to `celery -A config.celery_app worker -Q ingest,tracker --pool threads --concurrency 8` and
`celery -A config.celery_app beat`: a worker of the tracker queue runs a pool of threads unless told
otherwise (`config.celery_app.worker_pool`).
"""

from __future__ import annotations

import click

from worker.cli.options import log_level_options

CELERY_LEVELS = ("debug", "info", "warning", "error", "critical")


@click.command("worker", help="Run a Celery worker (ingest and tracker queues).")
@click.option("--queues", "-Q", default="ingest,tracker", show_default=True,
              help="Comma-separated queues to consume (with ingest, Celery's default queue 'celery' is "
                   "consumed too).")
@click.option("--concurrency", "-c", type=click.IntRange(min=1), default=None,
              help="Pool size (default: 8 threads with the tracker queue, else one process per CPU).")
@click.option("--pool", type=click.Choice(["prefork", "solo", "threads"]), default=None,
              help="Pool kind (default: threads when the tracker queue is consumed, else prefork).")
@log_level_options(CELERY_LEVELS)
def worker(queues: str, concurrency: int | None, pool: str | None, log_level: str) -> int:
    """Start a worker until it is stopped."""
    from config.celery_app import make_celery, worker_pool, worker_queues
    from config.settings import load_settings

    app = make_celery(load_settings())
    argv = ["worker", "-Q", worker_queues(queues), "--loglevel", log_level.upper()]
    pool, concurrency = worker_pool(queues, pool=pool, concurrency=concurrency)
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    if pool:
        argv += ["--pool", pool]
    app.worker_main(argv)
    return 0


@click.command("beat", help="Run the periodic scheduler (run exactly one).")
@log_level_options(CELERY_LEVELS)
def beat(log_level: str) -> int:
    """Start the beat scheduler until it is stopped."""
    from config.celery_app import make_celery
    from config.settings import load_settings

    app = make_celery(load_settings())
    app.start(["beat", "--loglevel", log_level.upper()])
    return 0
