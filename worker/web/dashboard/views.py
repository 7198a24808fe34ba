"""The dashboard's pages: each reads the store in a worker thread, then renders one template."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from config.settings import Settings
from config.teams import Team
from worker.followup.overdue import overdue_page
from worker.store import outcomes, reads
from worker.store.tracked import FollowupStore, display_names
from worker.web.dashboard import aggregate, queries
from worker.web.dashboard.chart import trend_chart
from worker.web.dashboard.figures import TeamView, team_view
from worker.web.dashboard.params import BadParam, OverdueFilter, href, moment, page, text
from worker.web.dashboard.render import render

PAGE_SIZE = 100
#: Documents that failed to parse: shown when the store has this table (added by the parse-failure work).
PARSE_FAILURES_TABLE = "parse_failures"

OpenStore = Callable[[], AbstractContextManager[FollowupStore]]
T = TypeVar("T")


class NotFound(Exception):
    """The page names a team or postmortem the dashboard does not know."""


@dataclass(frozen=True, slots=True)
class Page:
    """Everything a template needs besides its own data."""

    request: Request
    now: datetime
    user: str | None

    def link(self, path: str, params: dict[str, str] | None = None) -> str:
        """A URL on the dashboard that keeps the page's `at` moment, so a shared view stays the same."""
        at = self.request.query_params.get("at")
        if not params and not at:
            return path  # what `href` makes of no parameters; a page links hundreds of times
        merged = dict(params or {})
        if at:
            merged.setdefault("at", at)
        return href(path, merged)


# Memoised: a page of 100 lines quotes the same few team names and postmortem keys over and over.
@lru_cache(maxsize=4096)
def team_path(name: str) -> str:
    return "/teams/" + quote(name, safe="")


@lru_cache(maxsize=4096)
def postmortem_path(key: str) -> str:
    return "/postmortems/" + quote(key, safe="")


class Dashboard:
    """The page handlers over one store."""

    def __init__(self, settings: Settings, open_store: OpenStore) -> None:
        self.settings = settings
        self.open_store = open_store
        #: Threads for a page's second, independent read (`_aside`), each on its own pooled connection.
        self._aside_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboard-aside")

    # --- plumbing -------------------------------------------------------------------------------

    @property
    def teams(self) -> list[Team]:
        return list(self.settings.teams.values())

    def _team(self, name: str) -> Team:
        team = self.settings.teams.get(name)
        if team is None:
            raise NotFound(f"no team named {name[:100]!r} is configured")
        return team

    def _read(self, work: Callable[[Connection], T]) -> T:
        # Reads only: on PostgreSQL in autocommit, each statement on its own snapshot as under READ
        # COMMITTED in a transaction, without the BEGIN and ROLLBACK round trips of every page.
        with self.open_store() as followup, followup.store.read_connection() as conn:
            return work(conn)

    def _aside(self, conn: Connection, work: Callable[[Connection], T]) -> Callable[[], T]:
        """Start `work` on another connection while the page goes on with `conn`; call the result for its
        value. PostgreSQL only (two statements at once on the server); elsewhere it runs here and now."""
        if conn.dialect.name != "postgresql":
            value = work(conn)
            return lambda: value
        return self._aside_pool.submit(self._read, work).result

    def _views(self, conn: Connection, teams: Sequence[Team], now: datetime,
               where: reads.ItemFilter | None = None) -> list[TeamView]:
        names = display_names(self.settings.people)
        postmortem = where.postmortem if where else None
        filt = reads.ItemFilter(teams=[t.name for t in teams], postmortem=postmortem)
        items = reads.tracked_items(conn, names, filt)
        return [team_view(self.settings, team, items.get(team.name, []), now) for team in teams]

    async def respond(self, request: Request, template: str,
                      build: Callable[[Page, Connection], dict[str, Any]], *, user: str | None) -> Response:
        try:
            at = moment(request.query_params)
            current = Page(request=request, now=at, user=user)
            data = await run_in_threadpool(self._read, lambda conn: build(current, conn))
        except BadParam as exc:
            return self.error(request, 400, str(exc), user=user)
        except NotFound as exc:
            return self.error(request, 404, str(exc), user=user)
        return HTMLResponse(render(template, page=current, **data, **helpers()))

    def error(self, request: Request, status: int, message: str, *, user: str | None) -> Response:
        current = Page(request=request, now=datetime.now().astimezone(), user=user)
        html = render("error.html", page=current, status=status, message=message, **helpers())
        return HTMLResponse(html, status_code=status)

    # --- pages ----------------------------------------------------------------------------------

    def overview(self, current: Page, conn: Connection) -> dict[str, Any]:
        per_team, org = aggregate.figures_by_team(conn, self.settings, self.teams, current.now)
        end = current.now.date()
        start = end - timedelta(days=self.settings.dashboard_trend_days - 1)
        names = [t.name for t in self.teams]
        points = reads.history(conn, names, since=start) if names else []
        rows = sorted(per_team, key=lambda f: (-f.overdue, -f.open, f.name.lower()))
        return {"org": org, "teams": rows,
                "chart": trend_chart(points, start=start, end=end),
                "trend_days": self.settings.dashboard_trend_days}

    def team(self, current: Page, conn: Connection) -> dict[str, Any]:
        team = self._team(current.request.path_params["name"])
        view = self._views(conn, [team], current.now)[0]
        return {"view": view, "owners": view.report.owners}

    def overdue(self, current: Page, conn: Connection) -> dict[str, Any]:
        params = current.request.query_params
        filt = OverdueFilter.read(params)
        number = page(params)
        teams = [self._team(filt.team)] if filt.team else self.teams
        every = [t.name for t in self.teams]
        menus = self._aside(conn, lambda other: queries.distinct_values(other, every))
        result = overdue_page(conn, self.settings, teams, current.now, kind=filt.kind, priority=filt.priority,
                              owner=filt.owner or None, number=number, size=PAGE_SIZE)
        kinds, priorities = menus()
        pages = max(1, -(-result.total // PAGE_SIZE))
        return {"filter": filt, "lines": result.lines, "total": result.total, "number": min(number, pages),
                "pages": pages, "team_names": every, "owners": result.owners,
                "kinds": kinds,
                "priorities": priorities}

    def postmortems(self, current: Page, conn: Connection) -> dict[str, Any]:
        name = text(current.request.query_params, "team")
        teams = [self._team(name)] if name else self.teams
        rows = reads.postmortems(conn, [t.name for t in teams])
        return {"rows": rows, "team": name, "team_names": [t.name for t in self.teams]}

    def postmortem(self, current: Page, conn: Connection) -> dict[str, Any]:
        key = current.request.path_params["key"]
        info = reads.postmortem(conn, key)
        if info is None or info.team not in self.settings.teams:
            raise NotFound(f"no postmortem {key[:100]!r} on this dashboard")
        team = self.settings.teams[info.team]
        view = self._views(conn, [team], current.now, reads.ItemFilter(postmortem=key))[0]
        states = {line.item.fingerprint: line for owner in view.report.owners for line in owner.lines}
        names = display_names(self.settings.people)
        items = [item.named(names) for item in reads.postmortem_items(conn, key)]
        done = sum(1 for item in items if item.ticket_key and item.status == "done")
        counted = sum(1 for item in items if item.ticket_key and item.status != "dropped")
        return {"pm": info, "items": items, "lines": states, "sync": reads.last_sync(conn, key),
                "done": done, "counted": counted, "needs_owner": sum(item.needs_owner for item in items),
                "figures": view.figures}

    def attention(self, current: Page, conn: Connection) -> dict[str, Any]:
        names = [t.name for t in self.teams]
        has_failures = reads.has_table(conn, PARSE_FAILURES_TABLE)
        return {"needs_owner": reads.needs_owner(conn, names), "conflicts": reads.conflicts(conn, names),
                "removed": reads.removed_still_open(conn, names), "has_failures": has_failures,
                "failures": reads.parse_failures(conn, PARSE_FAILURES_TABLE) if has_failures else [],
                "sync_failures": outcomes.failed_items(conn, names)}


def helpers() -> dict[str, Any]:
    return {"team_path": team_path, "postmortem_path": postmortem_path}
