"""Value and conversion metrics on the hand-built shop fixture (tests/fixtures/value), worked out by hand.

Community s1 (sales). Non-staff spells: u1 08-01 →; u2 10-05 → 10-20; u3 10-10 →; u4 09-15 → 10-01 00:00 (gone at
the October start). s1 staff: stf (staff spell); boss is in the staff table (staff everywhere). s2: u5 09-01 →.

Orders (net = amount − refund):
  o1  u1 s1 10-03 100            o9  x1 —  10-22 120 C1 (no community)
  o2  u1 s1 10-20  50−10=40 C1   o10 u1 s1 09-20  70−30=40 (refund stays in September)
  o3  u2 s1 10-08 200−200=0 C1   o11 u5 s2 10-10  90
  o4  u3 s1 10-12  80            o12 x2 —  10-11  40        o13 x2 — 10-25 20
  o5  u1 —  10-15 300 (no comm.) o14 u2 s1 10-25  30 (u2 already left s1)
  o6  stf s1 10-05 500 (staff)   o15 stf s1 10-21 10 C1 (staff)
  o7  boss s1 10-06 400 (staff)  o16 u4 s1 09-29  25 C3
  o8  u3 s1 11-02  60 C1
Costs s1: 2026-09 300; 2026-10 600 + 400. Activities s1: A1 C1 10-18 → 10-26 12:00 (window to 11-02 12:00),
notified 20, cost 100; A2 no code; A3 C3 09-28 → 10-02, notified 5, cost 50; A4 C4 10-28 → 10-30, notified 0, cost 0.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from tests.conftest import FIXTURES, values

from qunkpi.catalog import load_catalog
from qunkpi.workspace import Workspace

VALUE = FIXTURES / "value"
AS_OF = datetime(2026, 12, 1)


@pytest.fixture
def shop_ws(ws: Workspace) -> Workspace:
    from qunkpi.importers.canonical import import_path

    import_path(ws, VALUE)
    # surveys go in by SQL (columns in schema order + extra), ids pseudonymised like the importer does
    rows = [
        ("n1", "s1", "u1", "nps", 10, "2026-10-02 10:00:00"),
        ("n2", "s1", "u2", "nps", 9, "2026-10-06 10:00:00"),
        ("n3", "s1", "u3", "nps", 8, "2026-10-11 10:00:00"),
        ("n4", "s1", "u1", "nps", 6, "2026-10-21 10:00:00"),
        ("n5", "s1", "u3", "nps", 10, "2026-10-22 10:00:00"),
        ("n6", "s1", "stf", "nps", 0, "2026-10-22 10:00:00"),  # staff answer: left out
        ("n7", "s1", "u1", "nps", 9, "2026-09-30 23:59:59"),  # September
        ("c1", "s1", "u1", "csat", 5, "2026-10-03 10:00:00"),
        ("c2", "s1", "u2", "csat", 4, "2026-10-07 10:00:00"),
        ("c3", "s1", "u3", "csat", 3, "2026-10-12 10:00:00"),
        ("c4", "s1", "u1", "csat", 2, "2026-10-23 10:00:00"),
        ("c5", "s1", "stf", "csat", 5, "2026-10-23 10:00:00"),  # staff spell: left out
        ("c6", "s1", "boss", "csat", 1, "2026-10-23 10:00:00"),  # staff table: left out
    ]
    for rid, comm, who, kind, score, at in rows:
        ws.con.execute(
            "INSERT INTO surveys VALUES (?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), NULL, NULL)",
            [rid, comm, ws.person_id(who), kind, score, at],
        )
    return ws


def _value_ids() -> list[str]:
    return load_catalog().ids(family="value")


def _breakdown(df, metric: str, community: str = "s1") -> dict[str, object]:  # type: ignore[no-untyped-def]
    sel = df[(df.metric == metric) & (df.community_id == community)]
    return dict(zip(sel.breakdown, sel.value, strict=True))


def test_value_metrics_october(shop_ws: Workspace) -> None:
    df = shop_ws.metrics("2026-10", metrics=_value_ids(), as_of=AS_OF)
    v = values(df, "s1")
    # attributed to s1, non-staff, paid in October: o1 100 + o2 40 + o3 0 + o4 80 + o14 30 = 250
    # (o5/o9 have no community, o6/o7/o15 are staff, o8 is November, o10/o16 September)
    assert v["gmv"] == pytest.approx(250)
    assert v["orders"] == 5  # o1 o2 o3 o4 o14 — the fully refunded o3 is still an order
    assert v["buyers"] == 3  # u1 u2 u3
    assert v["aov"] == pytest.approx(250 / 5)
    # u1 (o1, o2) and u2 (o3, o14) have ≥ 2 orders; u3 one → 2/3
    assert v["repurchase_rate"] == pytest.approx(2 / 3)
    assert v["cost"] == pytest.approx(1000)  # 600 + 400, the whole month
    assert v["roi"] == pytest.approx((250 - 1000) / 1000)  # −0.75
    assert v["output_input_ratio"] == pytest.approx(250 / 1000)
    # present at any time in October: u1, u2, u3 (u4 left exactly at 10-01 00:00) → 250 / 3
    assert v["arpu"] == pytest.approx(250 / 3)
    # NPS: 10, 9, 8, 6, 10 → promoters 3, detractors 1 of 5 → (3 − 1) / 5 × 100 = 40 points
    assert v["nps"] == pytest.approx(40)
    # CSAT 5, 4, 3, 2 (staff answers out) → 2 of 4
    assert v["csat_share"] == pytest.approx(0.5)
    # leads created in October: L1, L2, L4 (L5 is staff's); qualified: L1; converted in October: L1 and L3 (created 09-10)
    assert v["leads"] == 3
    assert v["qualified_leads"] == 1
    assert v["lead_conversion_rate"] == pytest.approx(2 / 3)
    # LTV of the October cohort (first joins u2 10-05, u3 10-10), orders while present, to 12-01:
    # u2: o3 (net 0; o14 came after u2 left) = 0; u3: o4 80 + o8 60 = 140 → (0 + 140) / 2
    assert v["ltv"] == pytest.approx(70)
    # paid in October while a member of s1, any attribution: u1 o1 100 + o2 40 + o5 300, u2 o3 0, u3 o4 80 = 520 / 3
    assert v["community_revenue_per_customer"] == pytest.approx(520 / 3)
    # in no community when paying: x1 o9 120, x2 o12 40 + o13 20, u2 o14 30 (after leaving) = 210 / 3 customers
    assert v["noncommunity_revenue_per_customer"] == pytest.approx(70)

    s2 = values(df, "s2")
    assert s2["gmv"] == pytest.approx(90) and s2["buyers"] == 1
    assert s2["repurchase_rate"] == 0  # one buyer, one order: 0 / 1, not n/a
    assert s2["cost"] == 0  # no cost rows: a sum over no rows is 0 ...
    assert s2["roi"] is None and s2["output_input_ratio"] is None  # ... and a ratio over 0 is n/a
    assert s2["noncommunity_revenue_per_customer"] == pytest.approx(70)  # workspace-wide baseline, same in every row
    assert s2["leads"] == 0 and s2["lead_conversion_rate"] is None
    assert s2["nps"] is None  # no responses


def test_campaign_metrics_per_activity(shop_ws: Workspace) -> None:
    df = shop_ws.metrics("2026-10", metrics=["campaign_conversion_rate", "coupon_redemption_rate", "cac"], as_of=AS_OF)
    # A1 window [10-18, 11-02 12:00): C1 orders o2 (u1), o8 (u3, 11-02 10:00), o9 (x1, no community: the code
    # attributes it); o3 is before the start, o15 is staff → 3 buyers / 20 notified. A4: notified 0 → n/a.
    # A2 has no code, A3 starts in September.
    assert _breakdown(df, "campaign_conversion_rate") == pytest.approx({"A1": 3 / 20, "A4": None, "__total__": 3 / 20})
    # A1 participants u1, u2, u3 (stf is staff); redeemed in the window: u1 (o2), u3 (o8) → 2/3; A4 none → n/a
    assert _breakdown(df, "coupon_redemption_rate") == pytest.approx({"A1": 2 / 3, "A4": None, "__total__": 2 / 3})
    # first orders ever: u1 o10 (no code), u3 o4 (no code), x1 o9 (C1, in A1's window) → A1 drove 1 first-time buyer:
    # 100 / 1; A4 cost 0 / 0 buyers → n/a; total (100 + 0) / (1 + 0)
    assert _breakdown(df, "cac") == pytest.approx({"A1": 100.0, "A4": None, "__total__": 100.0})


def test_september_and_refund_periods(shop_ws: Workspace) -> None:
    df = shop_ws.metrics("2026-09", metrics=[*_value_ids()], as_of=AS_OF)
    v = values(df, "s1")
    # o10 70 − 30 refunded (the refund counts in September, its order's period) + o16 25
    assert v["gmv"] == pytest.approx(40 + 25)
    assert v["cost"] == pytest.approx(300)
    assert v["output_input_ratio"] == pytest.approx(65 / 300)
    assert v["nps"] == pytest.approx(100)  # one answer, 9 → (1 − 0) / 1 × 100
    assert v["leads"] == 1 and v["qualified_leads"] == 1  # L3
    assert v["lead_conversion_rate"] == 0  # L3 converted in October
    # September cohort of s1: u4 with o16 25 while present
    assert v["ltv"] == pytest.approx(25)
    # A3: C3 order o16 (u4, 09-29) → 1 / 5 notified; u4 took part and redeemed → 1/1; first order ever → 50 / 1
    assert _breakdown(df, "campaign_conversion_rate") == pytest.approx({"A3": 0.2, "__total__": 0.2})
    assert _breakdown(df, "coupon_redemption_rate") == pytest.approx({"A3": 1.0, "__total__": 1.0})
    assert _breakdown(df, "cac") == pytest.approx({"A3": 50.0, "__total__": 50.0})


def test_lead_conversion_by_source(shop_ws: Workspace) -> None:
    df = shop_ws.metrics("2026-10", metrics=["lead_conversion_rate_by_source"], as_of=AS_OF)
    # whitepaper: L1 created and converted → 1/1; webinar: L2 created, L3 (created in Sept) converted → 1/1;
    # inquiry: L4 created, none converted → 0/1; consult: only staff's L5 → no row
    assert _breakdown(df, "lead_conversion_rate_by_source") == pytest.approx({"whitepaper": 1.0, "webinar": 1.0, "inquiry": 0.0})


def test_cost_prorated_for_a_week_across_months(shop_ws: Workspace) -> None:
    df = shop_ws.metrics("2026-W40", metrics=["gmv", "cost", "roi"], as_of=AS_OF)
    v = values(df, "s1")
    # ISO week 40 = 09-28 .. 10-04: 3 of September's 30 days and 4 of October's 31 days
    assert v["cost"] == pytest.approx(300 * 3 / 30 + 1000 * 4 / 31)
    # o16 25 (09-29) + o1 100 (10-03)
    assert v["gmv"] == pytest.approx(125)
    cost = 30 + 4000 / 31  # ≈ 159.03
    assert v["roi"] == pytest.approx((125 - cost) / cost)


def test_empty_period_counts_zero_ratios_null(shop_ws: Workspace) -> None:
    v = values(shop_ws.metrics("2026-06", metrics=_value_ids(), as_of=AS_OF), "s1")
    for mid in ("gmv", "orders", "buyers", "cost", "leads", "qualified_leads"):
        assert v[mid] == 0, mid
    for mid in ("aov", "repurchase_rate", "roi", "output_input_ratio", "arpu", "nps", "csat_share",
                "lead_conversion_rate", "ltv", "community_revenue_per_customer", "noncommunity_revenue_per_customer"):
        assert v[mid] is None, mid


def test_community_filter_keeps_workspace_wide_inputs(shop_ws: Workspace) -> None:
    # filtering to s1 must not drop the no-community orders that LTV and the baseline need
    v = values(shop_ws.metrics("2026-10", communities=["s1"], metrics=_value_ids(), as_of=AS_OF), "s1")
    assert v["community_revenue_per_customer"] == pytest.approx(520 / 3)
    assert v["noncommunity_revenue_per_customer"] == pytest.approx(70)
    assert v["gmv"] == pytest.approx(250)


def test_value_tables_missing_are_unavailable(ws: Workspace) -> None:
    from qunkpi.importers.canonical import import_path

    import_path(ws, VALUE / "communities.csv")  # communities only: no orders, costs or surveys
    df = ws.metrics("2026-10", metrics=["gmv", "roi", "nps"])
    assert len(df) == 6  # 2 communities × 3 metrics, none silently 0
    assert df.value.isna().all()
    assert set(df.reason) == {"missing tables: orders", "missing tables: costs, orders", "missing tables: surveys"}


def test_roi_benchmark_is_documented_on_output_input_ratio() -> None:
    cat = load_catalog()
    (b,) = [b for b in cat["output_input_ratio"].benchmarks if b.stage == "mature"]
    assert (b.op, b.value) == (">=", 3.0)  # "ROI ≥ 1:3" = 3 yuan out per yuan in
    (r,) = cat["roi"].benchmarks
    assert r.value == 2.0  # the same bar on (gmv − cost) / cost
