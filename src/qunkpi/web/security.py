"""Security headers on every response, and the CSRF check for state-changing requests.

CSP allows scripts only from this origin (page code lives in static/*.js, never inline); styles may be inline
because ECharts positions its tooltips with style attributes. Frames are refused (X-Frame-Options DENY and
frame-ancestors 'none').
"""

from __future__ import annotations

import secrets

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.url.path.startswith("/api/") or request.url.path in ("/login",):
            h.setdefault("Cache-Control", "no-store")
        return response


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie_value: str | None, submitted: str | None) -> bool:
    """Double-submit check: the form field (or X-CSRF-Token header) must equal the HttpOnly CSRF cookie."""
    if not cookie_value or not submitted:
        return False
    return secrets.compare_digest(cookie_value, submitted)
