"""The FastAPI application: ``create_app(workspace_path)``; ``qunkpi serve`` runs it with uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from qunkpi.errors import QunkpiError
from qunkpi.reports.data import ReportData
from qunkpi.web.auth import Sessions, UserStore, session_secret
from qunkpi.web.deps import AppState
from qunkpi.web.ratelimit import parse_trusted_proxies
from qunkpi.web.security import SecurityHeaders

STATIC = Path(__file__).parent / "static"


def create_app(
    workspace_path: str | Path,
    *,
    secure_cookies: bool = False,
    warm: bool = False,
    warm_before_serving: bool = False,
    trusted_proxies: Sequence[str] = (),
) -> FastAPI:
    """Open the workspace read-only and build the app (pages under /, JSON API under /api/v1).

    ``warm``: build the default period's overview and every community's page (and their JSON) at start-up, and
    again after a switch to a newer snapshot, so the first requests are quick. In the background, unless
    ``warm_before_serving``: then the server accepts connections only once they are built (a load test, or a
    deployment behind a health check, measures a warm server).
    ``trusted_proxies``: addresses/networks of reverse proxies whose ``X-Forwarded-For`` names the client for the
    login rate limit (web/ratelimit.py); none by default, so the header is ignored.
    """
    from qunkpi.web.routes import api, pages
    from qunkpi.workspace import Workspace
    from qunkpi.workspace.snapshot import Snapshots

    proxies = parse_trusted_proxies(trusted_proxies)  # a bad value fails before anything is opened
    wp = Path(workspace_path)
    Workspace.open(wp, read_only=True)  # a clear error for a folder that is not a workspace
    # The dashboard reads a snapshot copy, never the live file, so imports run while it serves (snapshot.py).
    snaps = Snapshots(wp)
    ws = snaps.open()
    _ = ws.con  # connect now: a damaged database fails here, with its message, not on a page
    data = ReportData(ws)
    stop = threading.Event()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm and warm_before_serving:
            await asyncio.to_thread(_warm, data)
        elif warm:
            threading.Thread(target=_warm, args=(data,), daemon=True, name="qunkpi-warm").start()
        threading.Thread(
            target=_follow, args=(snaps, data, stop, warm), daemon=True, name="qunkpi-snapshots"
        ).start()
        yield
        stop.set()
        with data.lock:
            data.ws.close()

    app = FastAPI(
        lifespan=lifespan,
        title="qunkpi 群KPI API",
        version="1",
        description="JSON API of the qunkpi dashboard. Every route needs a logged-in session (cookie from POST /login).",
        docs_url=None,  # FastAPI's Swagger UI loads from a CDN; /api/v1/docs is an offline page instead
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.qunkpi = AppState(
        data=data,
        users=UserStore(wp),
        sessions=Sessions(session_secret(wp)),
        secure_cookies=secure_cookies,
        trusted_proxies=proxies,
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.url.path.startswith("/static/"):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
            )
        if exc.status_code == 401:
            nxt = request.url.path + (("?" + request.url.query) if request.url.query else "")
            from urllib.parse import quote

            return RedirectResponse(f"/login?next={quote(nxt)}", status_code=303)
        return pages.error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(QunkpiError)
    async def _domain_error(request: Request, exc: QunkpiError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    return app


def _follow(
    snaps: object, data: ReportData, stop: threading.Event, warm: bool = False, every_s: float = 3.0
) -> None:
    """Switch to a new snapshot when the live database changed and no writer holds it (after an import); with
    ``warm``, build the default pages of the new snapshot right after the switch."""
    import logging

    from qunkpi.workspace.snapshot import Snapshots

    assert isinstance(snaps, Snapshots)
    while not stop.wait(every_s):
        try:
            if not snaps.changed():
                continue
            snap = snaps.take()
            if snap is None:
                continue  # a writer is busy: keep serving the previous snapshot
            new = snaps.workspace(snap)
            _ = new.con
            data.swap(new)
            snaps.prune(keep=snap)
            if warm:
                _warm(data)
        except Exception:  # keep serving the old snapshot; the next round tries again
            logging.getLogger("qunkpi.web").exception("refreshing the snapshot failed")


def _warm(data: ReportData) -> None:
    """Fill the cache for the default period: the overview of every community and each community's page, as
    serialised JSON (access is filtered per request; an operator's narrower overview is cut from the same frames)."""
    import logging

    from qunkpi.reports.data import parse_period_arg
    from qunkpi.web.routes.api import warm_pages

    try:
        p = parse_period_arg(data.period_choices("zh-CN")["default"])
        warm_pages(data, p, "zh-CN")
    except Exception:  # warming is an optimisation; a failure shows up again, with its message, on the page
        logging.getLogger("qunkpi.web").exception("warming the cache failed")
