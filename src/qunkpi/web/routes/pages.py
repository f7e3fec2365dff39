"""HTML pages: login/logout, language switch, and the page shells whose data the page scripts load from /api/v1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from qunkpi.i18n import tr
from qunkpi.web.auth import SESSION_MAX_AGE, User
from qunkpi.web.deps import (
    CSRF_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    Lang,
    State,
    community_access,
    get_state,
    lang_of,
    user_from_request,
)
from qunkpi.web.ratelimit import client_address
from qunkpi.web.security import csrf_ok, new_csrf_token

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).parent.parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def _safe_next(nxt: str | None) -> str:
    """Only same-site paths: no scheme, no host, no //evil.example."""
    if not nxt or not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
        return "/"
    return nxt


def render(
    request: Request,
    template: str,
    user: User | None,
    lang: str,
    ctx: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()

    def t(zh: str, en: str) -> str:
        return tr(zh, en, lang)

    html = _env.get_template(template).render(
        t=t,
        lang=lang,
        user=user,
        csrf=csrf,
        path=request.url.path,
        query=request.url.query,
        here=quote(request.url.path + (("?" + request.url.query) if request.url.query else "")),
        **(ctx or {}),
    )
    resp = HTMLResponse(html, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != csrf:
        resp.set_cookie(
            CSRF_COOKIE,
            csrf,
            httponly=True,
            samesite="lax",
            secure=get_state(request).secure_cookies,
            path="/",
        )
    return resp


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    lang = lang_of(request)
    return render(
        request,
        "error.html",
        user_from_request(request),
        lang,
        {"status": status, "detail": detail},
        status=status,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, lang: Lang, next: str | None = None, error: str | None = None
) -> HTMLResponse:
    return render(request, "login.html", None, lang, {"next": _safe_next(next), "error": error})


@router.post("/login")
def login(
    request: Request,
    state: State,
    lang: Lang,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        raise HTTPException(
            status_code=403,
            detail=tr(
                "表单已过期，请刷新页面后重试", "the form expired; reload the page and try again", lang
            ),
        )
    # failures per user name and per client address (web/ratelimit.py); checked before the password, and the
    # attempt counts as a failure until the password proves right
    address = client_address(request, state.trusted_proxies)
    wait_s = state.login_limiter.attempt(username, address)
    if wait_s > 0:
        minutes = -(-wait_s // 60)
        limited = render(
            request,
            "login.html",
            None,
            lang,
            {
                "next": _safe_next(next),
                "error": tr(
                    f"登录失败次数过多，请 {minutes} 分钟后再试",
                    f"too many failed logins; try again in {minutes} minute{'s' if minutes > 1 else ''}",
                    lang,
                ),
            },
            status=429,
        )
        limited.headers["Retry-After"] = str(wait_s)
        return limited
    user = state.users.authenticate(username, password)
    if user is None:
        return render(
            request,
            "login.html",
            None,
            lang,
            {"next": _safe_next(next), "error": tr("用户名或密码错误", "wrong user name or password", lang)},
            status=401,
        )
    state.login_limiter.succeeded(username, address)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        state.sessions.issue(user),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=state.secure_cookies,
        path="/",
    )
    resp.set_cookie(
        CSRF_COOKIE, new_csrf_token(), httponly=True, samesite="lax", secure=state.secure_cookies, path="/"
    )
    return resp


@router.post("/logout")
def logout(request: Request, lang: Lang, csrf_token: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        raise HTTPException(
            status_code=403,
            detail=tr(
                "表单已过期，请刷新页面后重试", "the form expired; reload the page and try again", lang
            ),
        )
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/lang/{code}")
def switch_lang(request: Request, code: str, next: str | None = None) -> Response:
    lang = "en" if code.lower().startswith("en") else "zh-CN"
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 86400,
        httponly=False,
        samesite="lax",
        secure=get_state(request).secure_cookies,
        path="/",
    )
    return resp


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, user: CurrentUser, lang: Lang) -> HTMLResponse:
    return render(request, "overview.html", user, lang, {"page": "overview"})


@router.get("/community/{community_id}", response_class=HTMLResponse)
def community_page(
    request: Request, community_id: str, user: CurrentUser, state: State, lang: Lang
) -> HTMLResponse:
    community_access(community_id, request, user, state)  # 404 page for a community outside the user's scope
    return render(request, "community.html", user, lang, {"page": "community", "community_id": community_id})


@router.get("/content", response_class=HTMLResponse)
def content_page(request: Request, user: CurrentUser, lang: Lang) -> HTMLResponse:
    return render(request, "content.html", user, lang, {"page": "content"})


@router.get("/appraisal", response_class=HTMLResponse)
def appraisal_page(request: Request, user: CurrentUser, lang: Lang) -> HTMLResponse:
    return render(request, "appraisal.html", user, lang, {"page": "appraisal"})


@router.get("/glossary", response_class=HTMLResponse)
def glossary_page(request: Request, user: CurrentUser, lang: Lang) -> HTMLResponse:
    return render(request, "glossary.html", user, lang, {"page": "glossary"})


FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#14213d"/>'
    '<path d="M7 23V13M13 23V9M19 23V15M25 23V6" stroke="#ffd43b" stroke-width="3" stroke-linecap="round"/></svg>'
)


@router.get("/favicon.svg")
@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
