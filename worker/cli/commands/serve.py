"""`followthrough serve`: the webhook receiver under uvicorn."""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

import click

from worker.cli.options import log_level_options

if TYPE_CHECKING:
    from config.settings import Settings

UVICORN_LEVELS = ("debug", "info", "warning", "error", "critical")
#: Where uvicorn believes X-Forwarded-For and X-Forwarded-Proto from (pinned, not read from the environment).
TRUSTED_PROXIES = ["127.0.0.1", "::1"]
#: File descriptors kept for the store, the broker and the log beside the receiver's connections.
SPARE_FILES = 64


def connection_cap(wanted: int) -> int:
    """The connection cap, within what the process may open: raises the soft open-files limit to the
    hard one if needed, and caps below it (a connection past the fd limit would fail in accept)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted + SPARE_FILES:
        target = hard if hard == resource.RLIM_INFINITY else min(hard, wanted + SPARE_FILES)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - SPARE_FILES))


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


def dashboard_link(settings: Settings, host: str, port: int) -> str:
    """The dashboard's URL with its token (configured, or generated on first start and kept in the store),
    as Jupyter prints it; a store that does not answer yet is said in one line instead."""
    from worker.store import registry
    from worker.store.access import DashboardAccess

    if settings.dashboard_token is not None and settings.dashboard_token.get_secret_value():
        token = settings.dashboard_token.get_secret_value()
    else:
        try:
            token = DashboardAccess(registry.open_store(settings.database_url)).token()
        except Exception as exc:  # the store is down: the receiver still starts (see /readyz)
            return f"Dashboard: no token yet, the store did not answer ({type(exc).__name__})"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - compared, not bound
    base = (settings.public_url or f"http://{shown}:{port}").rstrip("/")
    return f"Dashboard: {base}/?token={token}"


@click.command("serve", help="Run the webhook receiver (verifies signatures and enqueues).")
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True,
              help="Address to listen on (env HOST).")
@click.option("--port", envvar="PORT", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Port to listen on (env PORT).")
@log_level_options(UVICORN_LEVELS)
def command(host: str, port: int, log_level: str) -> int:
    """Serve the receiver until interrupted."""
    import gc

    import uvicorn

    from config.logs import configure, dict_config
    from config.settings import load_settings
    from worker.errors import Unavailable
    from worker.web.app import create_app
    from worker.web.connections import guarded_protocol

    settings = load_settings()
    app = create_app(settings)
    check_can_listen(host, port)
    # Through the log (one JSON object a line in json mode), as the first line an operator sees.
    configure(settings.log_format, log_level)
    logging.getLogger("followthrough.serve").info("%s", dashboard_link(settings, host, port))
    # What startup made (modules, the app, the settings) lives as long as the process: out of the cyclic
    # collector's reach, its full passes no longer walk those hundred thousand objects and more again and
    # again while requests come (about a sixth of the CPU of each delivery). Garbage is collected as before.
    gc.freeze()
    # Access logs carry only method, path and status: never bodies or signature headers. No uvicorn
    # `limit_concurrency`: it counts idle connections too and then answers 503 to everything, /healthz
    # included. The protocol caps connections and times out slow heads and bodies; the app caps
    # big-body hook requests (worker/web/connections.py, worker/web/concurrency.py).
    protocol = guarded_protocol(max_connections=connection_cap(settings.webhook_max_connections),
                                head_timeout=settings.webhook_header_timeout_seconds,
                                body_timeout=settings.webhook_read_timeout_seconds)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), http=protocol,
                    # X-Forwarded-For is believed from a proxy on this host only, whatever the environment
                    # says (uvicorn would read FORWARDED_ALLOW_IPS); access is never decided by address.
                    proxy_headers=True, forwarded_allow_ips=TRUSTED_PROXIES,
                    timeout_keep_alive=5, log_config=dict_config(settings.log_format, log_level))
    except SystemExit as exc:  # uvicorn exits 3 when it cannot start (e.g. the port was taken since)
        if exc.code not in (None, 0):
            raise Unavailable(f"the receiver could not start on {host}:{port} (see the log above)") from None
    return 0
