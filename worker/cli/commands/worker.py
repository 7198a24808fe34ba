"""`followthrough worker` and `followthrough beat`: Celery with the project's settings.

Equivalent to `celery -A config.celery_app worker -Q ingest,tracker` and `celery -A config.celery_app beat`.
"""

from __future__ import annotations

import argparse

from config.celery_app import INGEST_QUEUE, TRACKER_QUEUE, make_celery, worker_queues
from config.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = subparsers.add_parser("worker", help="run a Celery worker (ingest and tracker queues)")
    worker.add_argument("--queues", "-Q", default=f"{INGEST_QUEUE},{TRACKER_QUEUE}",
                        help="comma-separated queues to consume (default: both; with ingest, Celery's "
                             "default queue 'celery' is consumed too)")
    worker.add_argument("--concurrency", "-c", type=int, default=None,
                        help="worker processes (default: CPUs)")
    worker.add_argument("--pool", default=None, choices=["prefork", "solo", "threads"])
    worker.add_argument("--loglevel", "-l", default="info")
    worker.set_defaults(func=run_worker)

    beat = subparsers.add_parser("beat", help="run the periodic scheduler (run exactly one)")
    beat.add_argument("--loglevel", "-l", default="info")
    beat.set_defaults(func=run_beat)


def run_worker(args: argparse.Namespace) -> int:
    """Start a worker until it is stopped."""
    app = make_celery(load_settings())
    argv = ["worker", "-Q", worker_queues(args.queues), "--loglevel", args.loglevel]
    if args.concurrency:
        argv += ["--concurrency", str(args.concurrency)]
    if args.pool:
        argv += ["--pool", args.pool]
    app.worker_main(argv)
    return 0


def run_beat(args: argparse.Namespace) -> int:
    """Start the beat scheduler until it is stopped."""
    app = make_celery(load_settings())
    app.start(["beat", "--loglevel", args.loglevel])
    return 0
