"""`followthrough serve`: the webhook receiver under uvicorn."""

from __future__ import annotations

import argparse
import os

from config.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the webhook receiver (verifies and enqueues)")
    parser.add_argument("--host", default=None,
                        help="address to listen on (default: $HOST, else 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None,
                        help="port to listen on (default: $PORT, else 8000)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve the receiver until interrupted."""
    import uvicorn

    from config.logs import dict_config
    from worker.errors import UserError
    from worker.web.app import create_app

    host = args.host or os.environ.get("HOST") or "127.0.0.1"
    port = args.port if args.port is not None else _env_port()
    if not 0 < port < 65536:
        raise UserError(f"port {port} is out of range (1-65535)")
    settings = load_settings()
    app = create_app(settings)
    # Access logs carry only method, path and status: never bodies or signature headers. Uvicorn answers
    # 503 past `limit_concurrency` connections; the app caps webhook requests in flight below that.
    uvicorn.run(app, host=host, port=port, log_level=args.log_level, proxy_headers=True,
                limit_concurrency=2 * settings.webhook_max_concurrency, timeout_keep_alive=5,
                log_config=dict_config(settings.log_format, args.log_level))
    return 0


def _env_port() -> int:
    from worker.errors import UserError

    raw = os.environ.get("PORT", "").strip()
    if not raw:
        return 8000
    if not raw.isdigit():
        raise UserError(f"PORT={raw[:20]!r} is not a port number")
    return int(raw)
