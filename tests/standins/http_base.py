"""A small threaded JSON HTTP server for the Notion and GitLab stand-ins: a route table, call log, faults.

Faults are queued per method and path pattern: `throttle` answers 429 with `Retry-After` (the request
is not performed), `lost_reply` performs the request and then drops the connection without an answer
(the client sees a dropped connection, as after a proxy timeout).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any
    headers: tuple[tuple[str, str], ...] = ()


class HttpError(Exception):
    """Answer with this status and JSON body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


@dataclass(slots=True)
class Fault:
    method: str
    pattern: str
    kind: str  # "throttle" or "lost_reply"
    retry_after: int = 1


Handler = Callable[..., Reply]


class StandInServer:
    """Routes are (regex on the path, method, handler(*groups, query=, payload=, headers=))."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def authorised(self, headers: Any) -> bool:
        return True

    def unauthorised(self) -> Reply:
        return Reply(401, {"message": "401 Unauthorized"})

    def throttled(self, retry_after: int) -> Reply:
        return Reply(429, {"message": "429 Too Many Requests"}, (("Retry-After", str(retry_after)),))

    def fault(self, method: str, pattern: str, kind: str, *, retry_after: int = 1) -> None:
        with self.lock:
            self.faults.append(Fault(method, pattern, kind, retry_after))

    def count(self, method: str, pattern: str) -> int:
        with self.lock:
            return sum(1 for m, p in self.calls if m == method and re.search(pattern, p))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and re.search(fault.pattern, path):
                    self.faults.remove(fault)
                    return fault
        return None

    def dispatch(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[Reply, bool]:
        """The reply, and whether the connection is to be dropped instead of answering."""
        split = urllib.parse.urlsplit(raw_path)
        path = split.path
        query = urllib.parse.parse_qs(split.query)
        with self.lock:
            self.calls.append((method, path))
        if not self.authorised(headers):
            return self.unauthorised(), False
        fault = self._take_fault(method, path)
        if fault is not None and fault.kind == "throttle":
            return self.throttled(fault.retry_after), False
        payload = json.loads(body) if body else None
        for pattern, verb, handler in self.routes():
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                try:
                    with self.lock:
                        reply = handler(*[urllib.parse.unquote(g) for g in match.groups()],
                                        query=query, payload=payload, headers=headers)
                except HttpError as exc:
                    reply = Reply(exc.status, exc.body)
                return reply, fault is not None and fault.kind == "lost_reply"
        return Reply(404, {"message": "404 Not Found"}), False

    def __enter__(self) -> Self:
        standin = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply, drop = standin.dispatch(self.command, self.path, self.headers, body)
                if drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def page_of(items: list[Any], query: dict[str, list[str]], *,
            default: int = 20) -> tuple[list[Any], int, int]:
    """GitLab-style offset pagination: the items of `page`, that page and the number of pages."""
    per_page = min(100, max(1, int((query.get("per_page") or [str(default)])[0])))
    page = max(1, int((query.get("page") or ["1"])[0]))
    pages = max(1, -(-len(items) // per_page))
    return items[(page - 1) * per_page: page * per_page], page, pages
