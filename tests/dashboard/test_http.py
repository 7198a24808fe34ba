"""The dashboard over real HTTP: pages, filters, escaping, headers, access and read-only-ness."""

from __future__ import annotations

import httpx

from tests.dashboard.conftest import Served
from tests.dashboard.seeding import AT


def get(server: Served, path: str, **params: str) -> httpx.Response:
    return httpx.get(server.url + path, params={"at": AT, **params}, timeout=10)


def test_pages_answer(served: Served) -> None:
    for path in ("/", "/teams/sre", "/overdue", "/postmortems", "/postmortems/pm-db", "/attention"):
        response = get(served, path)
        assert response.status_code == 200, (path, response.text[:300])
        assert "text/html" in response.headers["content-type"]
