"""Response headers of every dashboard answer: a strict Content-Security-Policy and friends."""

from __future__ import annotations

from starlette.responses import Response

#: No script at all (chart tooltips are SVG <title>s), styles only from our own stylesheet, no inline
#: styles, no frames, forms only to ourselves.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Ticket links must not carry the dashboard's URL (which may hold filters) to the tracker.
    "Referrer-Policy": "no-referrer",
    # Private data: no shared caches, no back-button copies after the token is gone.
    "Cache-Control": "no-store",
}


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
