"""The real app under a real uvicorn server in a thread (tests and the screenshot script)."""

from __future__ import annotations

import threading
import time

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from config.settings import Settings
from tests.servers import free_port
from worker.web.app import create_app


class SignedIn:
    """What a signed-in browser sends: `Authorization: Bearer <token>` on every request that has none.

    The dashboard always wants its token (worker/web/dashboard/access.py); the page tests are about
    pages, so their client is signed in the way a script would be.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.header = (b"authorization", f"Bearer {token}".encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"authorization" for name, _ in scope["headers"]):
            scope = dict(scope, headers=[*scope["headers"], self.header])
        await self.app(scope, receive, send)


class Served:
    """The app under a real uvicorn server in a thread, on a free loopback port (signed in with
    `signed_in`, the dashboard token, when given)."""

    def __init__(self, settings: Settings, *, signed_in: str | None = None) -> None:
        self.port = free_port()
        app: ASGIApp = create_app(settings)
        if signed_in is not None:
            app = SignedIn(app, signed_in)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
