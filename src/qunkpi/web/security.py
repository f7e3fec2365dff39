"""Security headers on every response, and the CSRF check for state-changing requests.

CSP allows scripts only from this origin (page code lives in static/*.js, never inline); styles may be inline
because ECharts positions its tooltips with style attributes. Frames are refused (X-Frame-Options DENY and
frame-ancestors 'none').
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


class SecurityHeaders:
    """Adds the headers above to every HTTP response (a header the route set itself is kept), and
    ``Cache-Control: no-store`` to the API and the login page.

    A plain ASGI middleware that edits the response's start message: Starlette's ``BaseHTTPMiddleware`` runs
    every request through an extra task and a memory stream, a measurable share of a cached page's cost."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        no_store = path.startswith("/api/") or path == "/login"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                h = MutableHeaders(scope=message)
                for k, v in HEADERS:
                    h.setdefault(k, v)
                if no_store:
                    h.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie_value: str | None, submitted: str | None) -> bool:
    """Double-submit check: the form field (or X-CSRF-Token header) must equal the HttpOnly CSRF cookie."""
    if not cookie_value or not submitted:
        return False
    return secrets.compare_digest(cookie_value, submitted)
