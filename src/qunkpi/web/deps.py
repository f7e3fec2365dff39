"""Request dependencies: the app state, the logged-in user, language, period, and access control.

Access is decided here, once, and every API route uses it (SPEC §9): :func:`allowed_communities` is the only
place that says which communities a user may see, and :func:`community_access` answers 404 — not 403 — for a
community the user must not see, so that its existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import pandas as pd
from fastapi import Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from qunkpi.engine.periods import Period
from qunkpi.errors import PeriodError
from qunkpi.i18n import tr
from qunkpi.reports.data import ReportData, parse_period_arg
from qunkpi.web.auth import Sessions, User, UserStore
from qunkpi.web.ratelimit import IPNetwork, LoginLimiter

T = TypeVar("T")

SESSION_COOKIE = "qunkpi_session"
LANG_COOKIE = "qunkpi_lang"
CSRF_COOKIE = "qunkpi_csrf"


@dataclass
class AppState:
    data: ReportData
    users: UserStore
    sessions: Sessions
    secure_cookies: bool = False
    login_limiter: LoginLimiter = field(default_factory=LoginLimiter)
    trusted_proxies: tuple[IPNetwork, ...] = ()  # peers whose X-Forwarded-For is believed (ratelimit.py)


def get_state(request: Request) -> AppState:
    return request.app.state.qunkpi  # type: ignore[no-any-return]


async def _state(request: Request) -> AppState:
    return get_state(request)


# The dependencies the JSON API runs on every request are ``async``: a plain ``def`` dependency costs a hop to
# the thread pool each, and a cached page is otherwise a dictionary look-up. Whatever may touch the database
# (a cold cache) goes to the thread pool instead (:func:`_offload`), so the event loop never waits for a query.
State = Annotated[AppState, Depends(_state)]


def lang_of(request: Request) -> str:
    """?lang= wins, then the language cookie, then zh-CN (Chinese first, SPEC)."""
    q = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh-CN"
    return "en" if q.lower().startswith("en") else "zh-CN"


async def _lang(request: Request) -> str:
    return lang_of(request)


Lang = Annotated[str, Depends(_lang)]


def user_from_request(request: Request) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    st = get_state(request)
    return st.sessions.read(token, st.users)


def current_user(request: Request) -> User:
    user = user_from_request(request)
    if user is None:
        raise HTTPException(status_code=401, detail=tr("请先登录", "log in first", lang_of(request)))
    return user


async def _current_user(request: Request) -> User:
    return current_user(request)  # a signature check and a look-up in the users file's in-memory copy


CurrentUser = Annotated[User, Depends(_current_user)]


def _data_ready(state: AppState, user: User) -> bool:
    """Whether what an access check reads is cached (the community list; the staff list for a manager), so that
    it needs no query."""
    if not state.data.is_cached(("communities",)):
        return False
    return user.role != "manager" or state.data.is_cached(("staff",))


async def _offload(state: AppState, user: User, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on the event loop when the lists it reads are cached, else in the thread pool."""
    if _data_ready(state, user):
        return fn(*args)
    return await run_in_threadpool(fn, *args)


PeriodQuery = Annotated[
    str | None,
    Query(description="2026-10, 2026-W43, 2026-W43+2 (two weeks), 2026-Q4, 2026-10-01..2026-10-15"),
]


def period_param(
    request: Request,
    state: State,
    period: PeriodQuery = None,
) -> Period:
    label = period or state.data.period_choices(lang_of(request))["default"]
    try:
        return parse_period_arg(label)
    except PeriodError as e:
        raise HTTPException(status_code=422, detail=str(e)) from e



async def _period(
    request: Request,
    state: State,
    period: PeriodQuery = None,
) -> Period:
    if period or state.data.is_cached(("data_end",)):
        return period_param(request, state, period)
    return await run_in_threadpool(period_param, request, state, period)


PeriodDep = Annotated[Period, Depends(_period)]


def _team_of_staff(data: ReportData) -> dict[str, str | None]:
    staff = data.staff()
    return {str(r.staff_id): (None if pd.isna(r.team) else str(r.team)) for r in staff.itertuples()}


def allowed_communities(user: User, state: AppState) -> list[str] | None:
    """None = every community (admin). An operator: the communities assigned to them. A manager: their own
    assignments, the assignments of every user in their team, and the communities owned by staff of their team."""
    if user.role == "admin":
        return None
    ids = set(user.communities)
    if user.role == "manager" and user.team:
        for u in state.users.all():
            if u.team == user.team:
                ids |= set(u.communities)
        teams = _team_of_staff(state.data)
        comms = state.data.communities()
        for r in comms.itertuples():
            owner = None if pd.isna(r.owner_staff_id) else str(r.owner_staff_id)
            if owner is not None and teams.get(owner) == user.team:
                ids.add(str(r.community_id))
    known = set(state.data.communities()["community_id"].astype(str))
    return sorted(ids & known)


def visible_staff(user: User, state: AppState) -> set[str] | None:
    """Staff whose appraisal rows the user may see: themselves, plus their team's staff for a manager; None = all."""
    if user.role == "admin":
        return None
    out = {user.staff_id} if user.staff_id else set()
    if user.role == "manager" and user.team:
        out |= {s for s, t in _team_of_staff(state.data).items() if t == user.team}
        out |= {u.staff_id for u in state.users.all() if u.team == user.team and u.staff_id}
    return out


async def Allowed(user: CurrentUser, state: State) -> list[str] | None:
    if user.role == "admin":
        return None
    return await _offload(state, user, allowed_communities, user, state)


AllowedDep = Annotated[list[str] | None, Depends(Allowed)]


def community_access(community_id: str, request: Request, user: CurrentUser, state: State) -> str:
    allowed = allowed_communities(user, state)
    known = set(state.data.communities()["community_id"].astype(str))
    if community_id not in known or (allowed is not None and community_id not in allowed):
        raise HTTPException(
            status_code=404,
            detail=tr(
                "没有这个社群，或你无权查看", "no such community, or you may not see it", lang_of(request)
            ),
        )
    return community_id


async def _community(community_id: str, request: Request, user: CurrentUser, state: State) -> str:
    return await _offload(state, user, community_access, community_id, request, user, state)


CommunityDep = Annotated[str, Depends(_community)]


def filter_communities(
    allowed: list[str] | None, wanted: list[str] | None, state: AppState
) -> list[str] | None:
    """The community filter of a request, cut down to what the user may see (unknown ids are dropped)."""
    if not wanted:
        return allowed
    base = allowed if allowed is not None else list(state.data.communities()["community_id"].astype(str))
    return [c for c in base if c in set(wanted)]
