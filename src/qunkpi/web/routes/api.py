"""The JSON API under /api/v1 (the dashboard pages call it themselves). Every route depends on the logged-in
user (401 without a session) and on :mod:`qunkpi.web.deps` for what that user may see (404 for a community
outside their scope)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from qunkpi.engine.periods import Period
from qunkpi.i18n import tr
from qunkpi.reports import charts
from qunkpi.reports.data import ReportData
from qunkpi.web.deps import (
    AllowedDep,
    AppState,
    CommunityDep,
    CurrentUser,
    Lang,
    PeriodDep,
    State,
    filter_communities,
    visible_staff,
)

router = APIRouter(prefix="/api/v1", tags=["api"])

MEMBER_LISTS = ("silent", "koc", "churn_risk")


@router.get("/me", summary="The logged-in user and what they may see")
def me(user: CurrentUser, allowed: AllowedDep, lang: Lang) -> dict[str, Any]:
    return {**user.public(), "allowed_communities": allowed, "lang": lang}


@router.get("/periods", summary="Periods for the picker (weeks, two weeks, months, quarters) and the default")
def periods(user: CurrentUser, state: State, lang: Lang) -> dict[str, Any]:
    return state.data.period_choices(lang)


@router.get("/communities", summary="Communities the user may see", response_model=None)
async def communities(
    request: Request, user: CurrentUser, state: State, allowed: AllowedDep, period: PeriodDep, lang: Lang
) -> Response:
    key = ("communities", period.label, None if allowed is None else tuple(allowed), lang)
    return await _fast(
        request,
        state.data,
        key,
        lambda: json_bytes(state.data, key, lambda: state.data.community_rows(allowed, period, lang)),
    )


GZIP_MIN_BYTES = 16_384


async def _fast(
    request: Request, data: ReportData, key: tuple[Any, ...], make: Callable[[], bytes]
) -> Response:
    """The cached JSON of ``key`` straight from the event loop; on a miss, ``make`` builds it in the thread pool
    (it queries the database and may take seconds; the loop keeps serving cached pages meanwhile). A large body
    goes gzip-compressed to a client that accepts it, compressed once and cached beside the JSON (the overview of
    90 communities shrinks about tenfold)."""
    hit = data.peek(("json", *key))
    body: bytes = hit if hit is not None else await run_in_threadpool(make)
    if len(body) < GZIP_MIN_BYTES or "gzip" not in request.headers.get("accept-encoding", ""):
        return Response(body, media_type="application/json")
    gz_key = ("json_gz", *key)
    gz = data.peek(gz_key)
    if gz is None:
        gz = await run_in_threadpool(data.cached, gz_key, lambda: gzip.compress(body, compresslevel=6))
    return Response(
        gz, media_type="application/json", headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    )


def _json(data: ReportData, key: tuple[Any, ...], build: Callable[[], Any]) -> Response:
    """A page's JSON, built and serialised once per key (dropped when the dashboard switches snapshot): a repeated
    request costs a cache look-up, not an assembly and an encoding."""
    return Response(json_bytes(data, key, build), media_type="application/json")


def json_bytes(data: ReportData, key: tuple[Any, ...], build: Callable[[], Any]) -> bytes:
    def run() -> bytes:
        return json.dumps(jsonable_encoder(build()), ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )

    return data.cached(("json", *key), run)  # type: ignore[no-any-return]


def overview_bytes(data: ReportData, period: Period, scope: list[str] | None, lang: str) -> bytes:
    """The overview's JSON for a scope (None = every community)."""

    def build() -> dict[str, Any]:
        return overview_payload(data.overview(period, scope, lang))

    return json_bytes(data, ("overview", period.label, None if scope is None else tuple(scope), lang), build)


def overview_payload(out: dict[str, Any]) -> dict[str, Any]:
    """What the overview page uses. Parts that are the same on every card are sent once: the sparkline's chart
    options (``spark``: a template; each KPI's ``spark`` is its data, the trend as the chart scales it), and under
    ``metrics`` each metric's definition and its benchmarks' source and note (a KPI's ``benchmark`` keeps op, value
    and text). 90 communities × 9 KPIs with all of it on every card made the payload 842 KB."""
    metrics: dict[str, dict[str, Any]] = {}
    for c in out["communities"]:
        for k in (c["north_star"], *c["kpis"]):
            k["spark"] = charts.sparkline(k)["series"][0]["data"]
            info = metrics.setdefault(k["metric"], {"definition": k.get("definition"), "benchmarks": {}})
            k.pop("definition", None)
            b = k.get("benchmark")
            if b is not None:
                info["benchmarks"].setdefault(b["text"], {"source": b.get("source"), "note": b.get("note")})
                k["benchmark"] = {"op": b["op"], "value": b["value"], "text": b["text"]}
    return {**out, "spark": charts.sparkline({"trend": [], "unit": "count"}), "metrics": metrics}


def community_bytes(data: ReportData, community_id: str, period: Period, lang: str) -> bytes:
    """One community's page JSON (KPI plan, metrics by family with trend charts, waterfall, sources, alerts)."""

    def build() -> dict[str, Any]:
        d = data.community(community_id, period, lang)
        tp = d["trend_periods"]
        d["north_star"]["chart"] = charts.trend_chart(d["north_star"], tp, lang)
        for fam in d["families"]:
            for k in fam["metrics"]:
                k["chart"] = charts.trend_chart(k, tp, lang)
        if d["waterfall"].get("available"):
            d["waterfall"]["chart"] = charts.waterfall_chart(d["waterfall"], lang)
        if d["sources"].get("available"):
            d["sources"]["chart"] = charts.source_pie(d["sources"], lang)
        return d

    return json_bytes(data, ("community", community_id, period.label, lang), build)


def warm_pages(data: ReportData, period: Period, lang: str = "zh-CN") -> None:
    """Build and serialise the default pages: the overview of every community and each community's page (what
    the first users open), so that no request after start-up pays for them."""
    overview_bytes(data, period, None, lang)
    for cid in data.communities()["community_id"].astype(str):
        community_bytes(data, cid, period, lang)
    data.staff()  # read by a manager's access check


@router.get(
    "/overview",
    summary="North Star and key KPIs of every visible community, with trends and alert counts",
    response_model=None,
)
async def overview(
    request: Request,
    user: CurrentUser,
    state: State,
    allowed: AllowedDep,
    period: PeriodDep,
    lang: Lang,
    community: Annotated[list[str] | None, Query(description="filter: community ids (repeatable)")] = None,
) -> Response:
    def make() -> bytes:
        return overview_bytes(state.data, period, filter_communities(allowed, community, state), lang)

    if community:  # a filter reads the community list: leave it to the thread pool
        return Response(await run_in_threadpool(make), media_type="application/json")
    key = ("overview", period.label, None if allowed is None else tuple(allowed), lang)
    return await _fast(request, state.data, key, make)


@router.get(
    "/communities/{community_id}",
    summary="One community: KPI plan, metrics by family, waterfall, sources, alerts",
)
async def community(
    request: Request, community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang
) -> Response:
    return await _fast(
        request,
        state.data,
        ("community", community_id, period.label, lang),
        lambda: community_bytes(state.data, community_id, period, lang),
    )


def _charted(
    state: AppState,
    name: str,
    community_id: str,
    period: Period,
    lang: str,
    section: Callable[[str, Period, str], dict[str, Any]],
    chart: Callable[[dict[str, Any], str], Any],
    has_data: Callable[[dict[str, Any]], bool],
) -> Response:
    """A community section with its ECharts option added when it has data, served from the page cache."""

    def build() -> dict[str, Any]:
        d = section(community_id, period, lang)
        return {**d, "chart": chart(d, lang)} if has_data(d) else d

    return _json(state.data, (name, community_id, period.label, lang), build)


@router.get(
    "/communities/{community_id}/heatmap", summary="Member messages by hour × weekday", response_model=None
)
def heatmap(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> Response:
    return _charted(
        state,
        "heatmap",
        community_id,
        period,
        lang,
        state.data.chat_heatmap,
        charts.heatmap_chart,
        lambda h: bool(h.get("available")),
    )


@router.get(
    "/communities/{community_id}/activities",
    summary="Activities with participation and conversion",
    response_model=None,
)
def activities(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> Response:
    return _charted(
        state,
        "activities",
        community_id,
        period,
        lang,
        state.data.activities,
        charts.activity_chart,
        lambda a: bool(a.get("available") and a["items"]),
    )


@router.get("/communities/{community_id}/topics", summary="Topic heat", response_model=None)
def topics(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> Response:
    return _charted(
        state,
        "topics",
        community_id,
        period,
        lang,
        state.data.topics,
        charts.topic_chart,
        lambda t: bool(t.get("available") and t["items"]),
    )


@router.get("/communities/{community_id}/cohorts", summary="Cohort retention heat map", response_model=None)
def cohorts(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> Response:
    return _charted(
        state,
        "cohorts",
        community_id,
        period,
        lang,
        state.data.cohorts,
        charts.cohort_chart,
        lambda c: bool(c.get("available") and c.get("cells")),
    )


@router.get(
    "/communities/{community_id}/members",
    summary="Member lists: silent, KOC candidates, churn risks",
    response_model=None,
)
async def member_lists(
    request: Request, community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang
) -> Response:
    key = ("members", community_id, period.label, lang)
    return await _fast(
        request,
        state.data,
        key,
        lambda: json_bytes(state.data, key, lambda: state.data.member_lists(community_id, period, lang)),
    )


@router.get(
    "/communities/{community_id}/members/{kind}.csv",
    summary="One member list as CSV (UTF-8 with BOM, opens in Excel)",
)
def member_csv(
    kind: str, community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang
) -> Response:
    if kind not in MEMBER_LISTS:
        raise HTTPException(
            status_code=404,
            detail=tr(
                f"名单类型应为 {', '.join(MEMBER_LISTS)}",
                f"list must be one of {', '.join(MEMBER_LISTS)}",
                lang,
            ),
        )
    df = state.data.member_list(community_id, period, kind)
    buf = io.StringIO()
    df.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL)
    name = f"{community_id}_{period.label}_{kind}.csv".replace("..", "_to_")
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/alerts", summary="Alerts with their actions for the visible communities", response_model=None)
async def alerts(
    request: Request,
    state: State,
    allowed: AllowedDep,
    period: PeriodDep,
    lang: Lang,
    community: Annotated[list[str] | None, Query()] = None,
) -> Response:
    def make() -> bytes:
        scope = filter_communities(allowed, community, state)
        key = ("alerts", period.label, None if scope is None else tuple(scope), lang)
        return json_bytes(state.data, key, lambda: state.data.alerts(period, scope, lang))

    if community:
        return Response(await run_in_threadpool(make), media_type="application/json")
    return await _fast(
        request, state.data, ("alerts", period.label, None if allowed is None else tuple(allowed), lang), make
    )


@router.get("/content", summary="Content accounts: posts, propagation funnel, follower trend")
def content(state: State, allowed: AllowedDep, period: PeriodDep, lang: Lang) -> dict[str, Any]:
    c = state.data.content(period, allowed, lang)
    if c.get("available"):
        c["funnel_chart"] = charts.funnel_chart(c["funnel"], lang)
        if c["followers"].get("available") and c["followers"]["rows"]:
            c["followers"]["chart"] = charts.followers_chart(c["followers"]["rows"], lang)
    return c


@router.get(
    "/appraisal", summary="Staff appraisal rows: a staff member sees their own row, a manager their team's"
)
def appraisal(user: CurrentUser, state: State, period: PeriodDep, lang: Lang) -> dict[str, Any]:
    a = state.data.appraisal(period, lang)
    if not a.get("available"):
        return a
    who = visible_staff(user, state)
    rows = a["rows"] if who is None else [r for r in a["rows"] if r.get("staff_id") in who]
    return {"available": True, "rows": rows}


@router.get("/glossary", summary="Metric glossary generated from the catalog")
def glossary(user: CurrentUser, state: State, lang: Lang) -> list[dict[str, Any]]:
    return state.data.glossary(lang)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def docs(request: Request, user: CurrentUser, lang: Lang) -> HTMLResponse:
    """An offline API reference rendered from the OpenAPI schema (Swagger UI would need a CDN)."""
    from qunkpi.web.routes.pages import render

    schema = request.app.openapi()
    rows = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            params = [p["name"] for p in op.get("parameters", [])]
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "params": ", ".join(params),
                }
            )
    return render(request, "apidocs.html", user, lang, {"rows": rows})
