"""The JSON API under /api/v1 (the dashboard pages call it themselves). Every route depends on the logged-in
user (401 without a session) and on :mod:`qunkpi.web.deps` for what that user may see (404 for a community
outside their scope)."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, Response

from qunkpi.i18n import tr
from qunkpi.reports import charts
from qunkpi.web.deps import (
    AllowedDep,
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


@router.get("/communities", summary="Communities the user may see")
def communities(
    user: CurrentUser, state: State, allowed: AllowedDep, period: PeriodDep, lang: Lang
) -> list[dict[str, Any]]:
    return state.data.community_rows(allowed, period, lang)


def _json(state: Any, key: tuple[Any, ...], build: Any) -> Response:
    """A page's JSON, built and serialised once per key (dropped when the dashboard switches snapshot)."""

    def run() -> bytes:
        return json.dumps(jsonable_encoder(build()), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    return Response(state.data.cached(("json", *key), run), media_type="application/json")


@router.get(
    "/overview",
    summary="North Star and key KPIs of every visible community, with trends and alert counts",
    response_model=None,
)
def overview(
    user: CurrentUser,
    state: State,
    allowed: AllowedDep,
    period: PeriodDep,
    lang: Lang,
    community: Annotated[list[str] | None, Query(description="filter: community ids (repeatable)")] = None,
) -> Response:
    scope = filter_communities(allowed, community, state)

    def build() -> dict[str, Any]:
        out = state.data.overview(period, scope, lang)
        for c in out["communities"]:
            c["north_star"]["spark"] = charts.sparkline(c["north_star"])
            for k in c["kpis"]:
                k["spark"] = charts.sparkline(k)
        return out

    return _json(state, ("overview", period.label, None if scope is None else tuple(scope), lang), build)


@router.get(
    "/communities/{community_id}",
    summary="One community: KPI plan, metrics by family, waterfall, sources, alerts",
)
def community(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> Response:
    def build() -> dict[str, Any]:
        d = state.data.community(community_id, period, lang)
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

    return _json(state, ("community", community_id, period.label, lang), build)


@router.get("/communities/{community_id}/heatmap", summary="Member messages by hour × weekday")
def heatmap(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> dict[str, Any]:
    h = state.data.chat_heatmap(community_id, period, lang)
    if h.get("available"):
        h["chart"] = charts.heatmap_chart(h, lang)
    return h


@router.get("/communities/{community_id}/activities", summary="Activities with participation and conversion")
def activities(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> dict[str, Any]:
    a = state.data.activities(community_id, period, lang)
    if a.get("available") and a["items"]:
        a["chart"] = charts.activity_chart(a, lang)
    return a


@router.get("/communities/{community_id}/topics", summary="Topic heat")
def topics(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> dict[str, Any]:
    t = state.data.topics(community_id, period, lang)
    if t.get("available") and t["items"]:
        t["chart"] = charts.topic_chart(t, lang)
    return t


@router.get("/communities/{community_id}/cohorts", summary="Cohort retention heat map")
def cohorts(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> dict[str, Any]:
    c = state.data.cohorts(community_id, period, lang)
    if c.get("available") and c.get("cells"):
        c["chart"] = charts.cohort_chart(c, lang)
    return c


@router.get(
    "/communities/{community_id}/members", summary="Member lists: silent, KOC candidates, churn risks"
)
def member_lists(community_id: CommunityDep, state: State, period: PeriodDep, lang: Lang) -> dict[str, Any]:
    return state.data.member_lists(community_id, period, lang)


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
    if df is None:
        raise HTTPException(
            status_code=404, detail=tr("成员名单暂不可用", "member lists are not available yet", lang)
        )
    buf = io.StringIO()
    df.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL)
    name = f"{community_id}_{period.label}_{kind}.csv".replace("..", "_to_")
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/alerts", summary="Alerts with their actions for the visible communities")
def alerts(
    state: State,
    allowed: AllowedDep,
    period: PeriodDep,
    lang: Lang,
    community: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    return state.data.alerts(period, filter_communities(allowed, community, state), lang)


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
