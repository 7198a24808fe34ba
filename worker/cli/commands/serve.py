"""`followthrough serve`: the webhook receiver under uvicorn."""

from __future__ import annotations

import socket

import click

from worker.cli.options import log_level_options

UVICORN_LEVELS = ("debug", "info", "warning", "error", "critical")


def check_can_listen(host: str, port: int) -> None:
    """Fail early, in one line, when the address cannot be listened on (taken, not local, unknown host)."""
    from worker.errors import Unavailable, UserError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UserError(f"--host {host!r}: cannot resolve it ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            raise Unavailable(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@click.command("serve", help="Run the webhook receiver (verifies signatures and enqueues).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Port to listen on.")
@log_level_options(UVICORN_LEVELS)
def command(host: str, port: int, log_level: str) -> int:
    """Serve the receiver until interrupted."""
    import uvicorn

    from config.settings import load_settings
    from worker.errors import Unavailable
    from worker.web.app import create_app

    settings = load_settings()
    app = create_app(settings)
    check_can_listen(host, port)
    # Access logs carry only method, path and status: never bodies or signature headers. Uvicorn answers
    # 503 past `limit_concurrency` connections; the app caps webhook requests in flight below that.
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), proxy_headers=True,
                    limit_concurrency=2 * settings.webhook_max_concurrency, timeout_keep_alive=5)
    except SystemExit as exc:  # uvicorn exits 3 when it cannot start (e.g. the port was taken since)
        if exc.code not in (None, 0):
            raise Unavailable(f"the receiver could not start on {host}:{port} (see the log above)") from None
    return 0
