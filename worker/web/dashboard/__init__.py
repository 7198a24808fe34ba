"""The read-only follow-up dashboard at `/` (see docs/dashboard.md): routes, access gate and headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from config.settings import Settings
from worker.store import registry
from worker.store.access import DashboardAccess
from worker.web.dashboard import access
from worker.web.dashboard.security import secure
from worker.web.dashboard.views import Dashboard, OpenStore

STATIC = Path(__file__).resolve().parent / "static"

Handler = Callable[[Request], Awaitable[Response]]


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on pages that name no icon (the plain-text 403)."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


def dashboard_routes(settings: Settings, open_store: OpenStore) -> list[BaseRoute]:
    """The dashboard's routes, every one behind the access gate; GET and HEAD only (nothing is writable)."""
    board = Dashboard(settings, open_store)
    access.redact_access_logs()  # the one-time ?token= link must not end up in the logs
    gate = access.Gate(settings, lambda: DashboardAccess(registry.open_store(settings.database_url)))

    def gated(template: str, build: Callable[..., dict[str, object]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            verdict = await gate.decide(request)
            if not verdict.allowed:
                assert verdict.response is not None
                return secure(verdict.response)
            return secure(await board.respond(request, template, build, user=verdict.user))

        return endpoint

    static = StaticFiles(directory=STATIC)
    return [
        Route("/", gated("overview.html", board.overview), methods=["GET"], name="overview"),
        Route("/teams/{name:path}", gated("team.html", board.team), methods=["GET"], name="team"),
        Route("/overdue", gated("overdue.html", board.overdue), methods=["GET"], name="overdue"),
        Route("/postmortems", gated("postmortems.html", board.postmortems), methods=["GET"]),
        Route("/postmortems/{key:path}", gated("postmortem.html", board.postmortem), methods=["GET"]),
        Route("/attention", gated("attention.html", board.attention), methods=["GET"], name="attention"),
        # The stylesheet and icon are public: they hold no data, and a refused page may still want them.
        Mount("/static", app=static, name="static"),
        Route("/favicon.ico", favicon, methods=["GET"]),
    ]
