"""A small threaded HTTP server for the document-source stand-ins: a route table, auth, 429 injection.

A stand-in subclass lists `(method, path regex, handler)` routes; each handler gets the path groups, the
query (`parse_qs`), the raw body and the headers, and returns a `Reply` (or raises `Fail`). Every request
is recorded in `.calls`; `rate_limit(n, retry_after)` answers the next n requests 429 with Retry-After.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict

Query = dict[str, list[str]]


@dataclass
class Reply:
    """An answer: a status, a JSON (or raw bytes) body and headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"


class Fail(Exception):
    """An error answer with a JSON body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


Handler = Callable[..., Reply]


class RestStandIn:
    """Serve `routes()` on 127.0.0.1 from a thread; use as a context manager."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls: list[tuple[str, str]] = []
        self._limited = 0
        self._retry_after = 1
        self._server: ThreadingHTTPServer | None = None

    # -- to override --------------------------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def authorised(self, headers: Mapping[str, str]) -> bool:
        return True

    def rate_limited_reply(self, retry_after: int) -> Fail:
        return Fail(429, {"message": "Rate limit exceeded"}, {"Retry-After": str(retry_after)})

    # -- controls -----------------------------------------------------------------------------------
    def rate_limit(self, count: int, retry_after: int = 1) -> None:
        """Answer the next `count` requests with 429 and `Retry-After: retry_after`."""
        with self.lock:
            self._limited, self._retry_after = count, retry_after

    def count(self, method: str | None = None, pattern: str = "") -> int:
        with self.lock:
            return sum(1 for m, p in self.calls if (method is None or m == method) and re.search(pattern, p))

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        standin = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = standin.dispatch(self.command, self.path, body,
                                         CaseInsensitiveDict(dict(self.headers.items())))
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def dispatch(self, method: str, target: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        parts = urlsplit(target)
        with self.lock:
            self.calls.append((method, parts.path))
            limited = self._limited > 0
            if limited:
                self._limited -= 1
        try:
            if limited:
                raise self.rate_limited_reply(self._retry_after)
            if not self.authorised(headers):
                raise Fail(401, {"message": "Unauthorized"})
            for verb, pattern, handler in self.routes():
                match = re.fullmatch(pattern, parts.path)
                if verb == method and match:
                    with self.lock:
                        return handler(*match.groups(), query=parse_qs(parts.query), body=body,
                                       headers=headers)
            raise Fail(404, {"message": f"no route {method} {parts.path}"})
        except Fail as exc:
            return Reply(exc.body, exc.status, exc.headers)
