"""API tests: every /api/v1 route refuses anonymous calls (401), scopes follow the user's role (404 outside it),
and the numbers the pages show are the hand-checked ones of tests/web/sample_ws.py."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sample_ws import PASSWORD, login  # type: ignore[import-not-found]

P = {"period": "2026-10"}


def api_paths(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every GET route of the API, from its OpenAPI description, with path parameters filled in."""
    out = [
        path.replace("{community_id}", "c1").replace("{kind}", "silent")
        for path, ops in app.openapi()["paths"].items()
        if "get" in ops
    ]
    return [*out, "/api/v1/docs"]


def test_every_api_route_needs_a_session(app, anon: TestClient) -> None:  # type: ignore[no-untyped-def]
    paths = api_paths(app)
    # the routes the pages use; a new route without a test of its own shows up here first
    assert len(paths) >= 15
    for path in paths:
        r = anon.get(path, params=P)
        assert r.status_code == 401, path
        assert "detail" in r.json()


def test_a_tampered_session_cookie_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    c = login(TestClient(app), "admin")
    token = c.cookies.get("qunkpi_session")
    c.cookies.set("qunkpi_session", token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    assert c.get("/api/v1/me").status_code == 401


def test_login_needs_the_csrf_token(anon: TestClient) -> None:
    anon.get("/login")
    r = anon.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": "wrong", "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = anon.post(
        "/login", data={"username": "admin", "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert r.status_code == 403


def test_wrong_password_then_rate_limit(anon: TestClient, sample_path) -> None:  # type: ignore[no-untyped-def]
    from qunkpi.web.auth import UserStore

    UserStore(sample_path).add("ratelimited", PASSWORD, "operator", replace=True)
    anon.get("/login")
    tok = anon.cookies.get("qunkpi_csrf")
    for _ in range(5):
        r = anon.post(
            "/login",
            data={"username": "ratelimited", "password": "nope-nope", "csrf_token": tok},
            follow_redirects=False,
        )
        assert r.status_code == 401
        assert "qunkpi_session" not in r.cookies
    r = anon.post(
        "/login",
        data={"username": "ratelimited", "password": PASSWORD, "csrf_token": tok},
        follow_redirects=False,
    )
    assert r.status_code == 429  # even the right password waits after 5 failures for a name within 15 minutes


def test_session_cookie_flags_and_security_headers(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    c.get("/login")
    r = c.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": c.cookies.get("qunkpi_csrf"),
            "next": "/glossary",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/glossary"
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("qunkpi_session=")]
    assert cookies and "HttpOnly" in cookies[0] and "samesite=lax" in cookies[0].lower()
    h = c.get("/api/v1/me").headers
    assert "script-src 'self'" in h["content-security-policy"]
    assert "unsafe-inline" not in h["content-security-policy"].split("script-src")[1].split(";")[0]
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "same-origin"


def test_login_redirect_stays_on_site(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    c.get("/login")
    r = c.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": c.cookies.get("qunkpi_csrf"),
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"
    r = c.get("/lang/en", params={"next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_logout_needs_csrf_and_ends_the_session(app) -> None:  # type: ignore[no-untyped-def]
    c = login(TestClient(app), "op1")
    assert c.post("/logout", data={"csrf_token": "x"}, follow_redirects=False).status_code == 403
    r = c.post("/logout", data={"csrf_token": c.cookies.get("qunkpi_csrf")}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/api/v1/me").status_code == 401


def test_me_and_scopes_by_role(clients: dict[str, TestClient]) -> None:
    def visible(name: str) -> list[str]:
        return [c["community_id"] for c in clients[name].get("/api/v1/communities", params=P).json()]

    assert visible("admin") == ["c1", "c2", "c3"]
    assert visible("op1") == ["c1"]
    assert visible("op2") == ["c2"]
    # manager of 华东组: c1 (owner staff1) and c2 (owner staff2) are owned by team members; c3 (staff3, 华南组) is not
    assert visible("boss") == ["c1", "c2"]
    me = clients["op1"].get("/api/v1/me").json()
    assert me["role"] == "operator" and me["allowed_communities"] == ["c1"]
    assert "password_hash" not in me


@pytest.mark.parametrize(
    "suffix",
    ["", "/heatmap", "/activities", "/topics", "/cohorts", "/members", "/members/silent.csv"],
)
def test_operator_gets_404_for_another_operators_community(
    clients: dict[str, TestClient], suffix: str
) -> None:
    r = clients["op1"].get(f"/api/v1/communities/c2{suffix}", params=P)
    assert r.status_code == 404
    assert clients["op2"].get(f"/api/v1/communities/c2{suffix}", params=P).status_code == 200
    assert clients["op1"].get(f"/api/v1/communities/nope{suffix}", params=P).status_code == 404


def test_overview_filter_cannot_widen_scope(clients: dict[str, TestClient]) -> None:
    r = clients["op1"].get("/api/v1/overview", params={**P, "community": ["c2", "c3"]})
    assert r.status_code == 200
    assert r.json()["communities"] == []
    r = clients["admin"].get("/api/v1/overview", params={**P, "community": ["c2"]})
    assert [c["community_id"] for c in r.json()["communities"]] == ["c2"]


def test_overview_numbers(clients: dict[str, TestClient]) -> None:
    d = clients["op1"].get("/api/v1/overview", params=P).json()
    assert d["period"]["label"] == "2026-10" and d["previous"]["label"] == "2026-09"
    (c1,) = d["communities"]
    assert c1["purpose"] == "sales"
    ns = c1["north_star"]
    # sales → North Star gmv: o1 199 + o2 99 + o3 59 = 357 yuan in October, nothing in September
    assert ns["metric"] == "gmv"
    assert ns["value"] == pytest.approx(357.0)
    assert ns["previous"] == pytest.approx(0.0)
    assert len(ns["trend"]) == 6 and ns["trend"][-1] == pytest.approx(357.0)
    kpis = {k["metric"]: k for k in c1["kpis"]}
    # members_end: 6 present at Oct 1 − 1 leave (m2) + 3 joins (m7..m9) = 8
    assert kpis["members_end"]["value"] == 8
    # churn_rate = leaves / members_start = 1 / 6 = 16.7% > 5% benchmark → below
    assert kpis["churn_rate"]["value"] == pytest.approx(1 / 6)
    assert kpis["churn_rate"]["status"] == "below"
    # the sparkline: one shared chart template, each KPI's data in percent for a ratio (16.67 = 1/6)
    assert d["spark"]["series"][0]["type"] == "line"
    assert kpis["churn_rate"]["spark"][-1] == pytest.approx(16.67)
    assert len(kpis["churn_rate"]["spark"]) == 6
    # texts shared by every card are sent once per metric
    assert "definition" not in kpis["churn_rate"] and d["metrics"]["churn_rate"]["definition"]
    assert kpis["churn_rate"]["benchmark"]["text"] and "note" not in kpis["churn_rate"]["benchmark"]


def test_community_detail_numbers(clients: dict[str, TestClient]) -> None:
    d = clients["op1"].get("/api/v1/communities/c1", params=P).json()
    growth = {k["metric"]: k for k in next(f for f in d["families"] if f["family"] == "growth")["metrics"]}
    assert growth["members_start"]["value"] == 6
    assert growth["joins"]["value"] == 3
    assert growth["leaves"]["value"] == 1
    # net_growth_rate = (3 − 1) / 6 = 33.3%
    assert growth["net_growth_rate"]["value"] == pytest.approx(2 / 6)
    w = d["waterfall"]
    assert w["available"] and w["start"] == 6 and w["end"] == 8
    assert sum(b["joins"] for b in w["buckets"]) == 3 and sum(b["leaves"] for b in w["buckets"]) == 1
    assert (
        w["chart"]["series"][0]["itemStyle"]["color"] == "transparent"
    )  # the invisible base of the waterfall
    # sources: m7, m8 referral, m9 poster → 2/3 and 1/3
    src = {s["channel"]: s for s in d["sources"]["items"]}
    assert src["referral"]["joins"] == 2 and src["poster"]["joins"] == 1
    assert src["referral"]["share"] == pytest.approx(2 / 3)
    assert d["north_star"]["chart"]["series"][0]["data"][-1] == pytest.approx(357.0)


def test_heatmap_counts_member_messages_only(clients: dict[str, TestClient]) -> None:
    h = clients["op1"].get("/api/v1/communities/c1/heatmap", params=P).json()
    # m1: 3 messages Monday 2026-10-05 at 20:xx; m3: 2 on Wednesday 2026-10-07 at 09:xx; staff1's 2 are left out
    assert sorted(map(tuple, h["cells"])) == [(9, 2, 2), (20, 0, 3)]
    assert h["total"] == 5
    assert h["chart"]["series"][0]["type"] == "heatmap"


def test_activities_participation_and_conversion(clients: dict[str, TestClient]) -> None:
    (a,) = clients["op1"].get("/api/v1/communities/c1/activities", params=P).json()["items"]
    # participants m1, m3, m4 (staff1 excluded) of 8 notified = 37.5%; buyers with code CP1 in window: m1, m4 → 2/8
    assert a["participants"] == 3 and a["participation_rate"] == pytest.approx(0.375)
    assert a["buyers"] == 2 and a["conversion_rate"] == pytest.approx(0.25)


def test_member_list_csv(clients: dict[str, TestClient]) -> None:
    r = clients["op1"].get("/api/v1/communities/c1/members/silent.csv", params=P)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    # present at Nov 1 with tenure ≥ 14 days: m1, m3..m6 (joined Sep 1) and m7..m9 (Oct 5, 27 days);
    # none sent a message or joined an activity in [Oct 18, Nov 1) → all 8 are silent
    assert len(rows) == 8
    assert {r["community_id"] for r in rows} == {"c1"}
    assert clients["op1"].get("/api/v1/communities/c1/members/everyone.csv", params=P).status_code == 404
    lists = clients["op1"].get("/api/v1/communities/c1/members", params=P).json()
    assert lists["available"] and lists["lists"]["silent"]["count"] == 8


def test_content_scoped_to_assigned_accounts(clients: dict[str, TestClient]) -> None:
    c = clients["op3"].get("/api/v1/content", params=P).json()
    assert c["available"] and c["accounts"] == ["c3"]
    funnel = [f["value"] for f in c["funnel"]]
    # delivered 1000 + 1000; read 120 + 60; shared 15 + 3; read from shares 48 + 6
    assert funnel == [2000, 180, 18, 54]
    # rates as the catalog defines them: open 180/2000 = 9%, share 18/180 = 10%, secondary 54/180 = 30%
    assert [f["rate"] for f in c["funnel"]] == [
        None,
        pytest.approx(0.09),
        pytest.approx(0.10),
        pytest.approx(0.30),
    ]
    p1 = next(p for p in c["posts"] if p["post_id"] == "p1")
    assert (
        p1["open_rate"] == pytest.approx(0.12)
        and p1["secondary_share"] == pytest.approx(0.4)
        and p1["quality"] is True
    )
    assert len(c["followers"]["rows"]) == 31
    assert clients["op1"].get("/api/v1/content", params=P).json()["available"] is False
    assert clients["boss"].get("/api/v1/content", params=P).json()["available"] is False


def test_appraisal_rows_visible_to_self_and_managers(clients: dict[str, TestClient], sample_path) -> None:  # type: ignore[no-untyped-def]
    from qunkpi.workspace import Workspace

    pid = Workspace.open(sample_path, read_only=True).person_id
    all_rows = clients["admin"].get("/api/v1/appraisal", params=P).json()
    if not all_rows["available"]:
        pytest.skip(all_rows["reason"])
    assert {r["staff_id"] for r in all_rows["rows"]} == {
        pid(s) for s in ("staff1", "staff2", "staff3", "boss1")
    }
    assert {r["staff_id"] for r in clients["op1"].get("/api/v1/appraisal", params=P).json()["rows"]} == {
        pid("staff1")
    }
    boss = {r["staff_id"] for r in clients["boss"].get("/api/v1/appraisal", params=P).json()["rows"]}
    assert boss == {pid("staff1"), pid("staff2"), pid("boss1")}


def test_alerts_scoped(clients: dict[str, TestClient]) -> None:
    a = clients["op1"].get("/api/v1/alerts", params=P).json()
    if a["available"]:
        assert {x["community_id"] for x in a["items"]} <= {"c1"}
        assert all(x.get("action") for x in a["items"])
    else:
        assert a["reason"]
    assert (
        clients["op1"].get("/api/v1/alerts", params={**P, "community": ["c2"]}).json().get("items", []) == []
    )


def test_periods_and_bad_period(clients: dict[str, TestClient]) -> None:
    p = clients["op1"].get("/api/v1/periods").json()
    assert p["default"] == "2026-10"  # data ends 2026-10-31 (account_daily) → the month is complete enough
    assert {"week", "biweek", "month", "quarter"} <= set(p["choices"])
    two = p["choices"]["biweek"][0]["label"]
    assert ".." in two
    r = clients["op1"].get("/api/v1/overview", params={"period": two}).json()
    assert r["period"]["days"] == 14
    r = clients["op1"].get("/api/v1/overview", params={"period": "2026-W41+2"}).json()
    assert r["period"]["label"] == "2026-10-05..2026-10-18"
    assert clients["op1"].get("/api/v1/overview", params={"period": "2026-13"}).status_code == 422


def test_glossary_from_catalog_and_language(clients: dict[str, TestClient]) -> None:
    zh = {g["id"]: g for g in clients["op1"].get("/api/v1/glossary").json()}
    assert zh["net_growth_rate"]["name"] == "净增员率"
    en = {g["id"]: g for g in clients["op1"].get("/api/v1/glossary", params={"lang": "en"}).json()}
    assert en["net_growth_rate"]["name"] == "Net growth rate"
    from qunkpi.catalog import load_catalog

    assert set(zh) == {m.id for m in load_catalog()}


def test_openapi_and_offline_docs(clients: dict[str, TestClient], anon: TestClient) -> None:
    spec = anon.get("/api/v1/openapi.json").json()
    assert "/api/v1/overview" in spec["paths"] and "/api/v1/communities/{community_id}" in spec["paths"]
    assert anon.get("/api/v1/docs").status_code == 401
    html = clients["op1"].get("/api/v1/docs").text
    assert "/api/v1/overview" in html and "cdn" not in html.lower()


def test_pages_redirect_and_hide_foreign_communities(
    app, clients: dict[str, TestClient], anon: TestClient
) -> None:  # type: ignore[no-untyped-def]
    r = anon.get("/community/c1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/community/c1")
    assert clients["op1"].get("/community/c2").status_code == 404
    page = clients["op1"].get("/community/c1")
    assert page.status_code == 200 and 'data-community="c1"' in page.text
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    assert "/static/vendor/echarts.min.js" in page.text
    assert anon.get("/static/vendor/echarts.min.js").status_code == 200


def test_password_change_ends_old_sessions(app, sample_path) -> None:  # type: ignore[no-untyped-def]
    from qunkpi.web.auth import UserStore

    store = UserStore(sample_path)
    store.add("temp", PASSWORD, "operator", communities=["c1"])
    c = login(TestClient(app), "temp")
    assert c.get("/api/v1/me").status_code == 200
    store.add("temp", "another-password-1", "operator", communities=["c1"], replace=True)
    assert c.get("/api/v1/me").status_code == 401
