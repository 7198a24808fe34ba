"""`followthrough serve`: the webhook receiver under uvicorn."""

from __future__ import annotations

import argparse

from config.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the webhook receiver (verifies and enqueues)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve the receiver until interrupted."""
    import uvicorn

    from worker.web.app import create_app

    settings = load_settings()
    app = create_app(settings)
    # Access logs carry only method, path and status: never bodies or signature headers. Uvicorn answers
    # 503 past `limit_concurrency` connections; the app caps webhook requests in flight below that.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, proxy_headers=True,
                limit_concurrency=2 * settings.webhook_max_concurrency, timeout_keep_alive=5)
    return 0
