"""Plan services on the hand-built "g" workspace (tests/plans/builder.py): proposals, stage, progress, rollup, refresh.

Only growth metrics are used (joins, churn_rate, net_growth_rate, profile_completeness) and the templates are built
in the test, so the numbers do not depend on which other metrics the catalog holds.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from tests.plans.builder import build_g

from qunkpi.errors import QunkpiError
from qunkpi.plans.community import community_info, derive_stage
from qunkpi.plans.model import (
    NorthStar,
    Plan,
    Target,
    Template,
    TemplateBenchmark,
    TemplateMetric,
    TemplateSet,
)
from qunkpi.plans.service import fetch_history, plan_progress, refresh_plan, scope_for, suggest_plan
from qunkpi.workspace import Workspace


@pytest.fixture
def gws(ws: Workspace) -> Workspace:
    build_g(ws)
    return ws


def templates() -> TemplateSet:
    t = Template(
        id="svc", kind="purpose", purpose="service", zh="服务", en="service", source="test",
        north_star=NorthStar(metric="net_growth_rate", why_zh="留人", why_en="keep people",
                             benchmark=TemplateBenchmark(op=">=", value=0.0, source="seed 000")),
        supporting=[
            TemplateMetric(metric="joins", kind="process", relation_zh="拉新", relation_en="acquire", actions_zh=["海报"], actions_en=["poster"]),
            TemplateMetric(metric="churn_rate", benchmark=TemplateBenchmark(op="<=", value=0.05, source="seed 003"),
                           relation_zh="少流失", relation_en="lose fewer", actions_zh=["回访"], actions_en=["call back"]),
            TemplateMetric(metric="profile_completeness", benchmark=TemplateBenchmark(op=">=", value=0.8, source="seed 003")),
            TemplateMetric(metric="no_such_metric"),
        ],
    )
    return TemplateSet({"svc": t}, [])


def test_stage_derivation_boundaries() -> None:
    c = datetime(2026, 1, 15)
    assert derive_stage(c, datetime(2026, 4, 14, 23, 59)) == "startup"
    assert derive_stage(c, datetime(2026, 4, 15)) == "growth"  # 3 calendar months
    assert derive_stage(c, datetime(2026, 7, 15)) == "mature"  # 6 calendar months


def test_suggest_targets_from_baseline_and_benchmark(gws: Workspace) -> None:
    s = suggest_plan(gws, community_id="g1", period="2026-10", templates=templates())
    p = s.plan
    assert (p.start, p.deadline) == ("2026-11", date(2027, 1, 31))  # 3 months after the baseline month
    assert p.stage == "mature"  # created 2026-01-01, at 2026-11-01 → 10 months
    ns = p.north_star
    # net growth Aug 0.40, Sep 20/28, Oct 26/48 → baseline 0.551984; meets ≥ 0 → × 1.05 = 0.579583
    assert ns.metric == "net_growth_rate"
    assert ns.baseline == pytest.approx(0.5520, abs=1e-4)
    assert ns.target == pytest.approx(0.5796, abs=1e-4)
    assert ns.baseline_periods == ["2026-08", "2026-09", "2026-10"]
    by = {t.metric: t for t in p.supporting}
    # joins 10, 20, 30 → baseline 20, no benchmark → 22
    assert by["joins"].baseline == 20 and by["joins"].target == 22 and by["joins"].kind == "process"
    # churn 0.10, 0, 0.083333 → 0.061111; misses ≤ 5 % → 0.061111 − 15% × 0.061111 = 0.051944 (> 0.05)
    assert by["churn_rate"].target == pytest.approx(0.0519, abs=1e-4)
    assert any("0.0%" in r or "5.0%" in r for r in by["churn_rate"].reasoning)
    skipped = dict(s.skipped)
    assert "profile_completeness" in skipped  # no profile data
    assert "no_such_metric" in skipped
    assert set(by) == {"joins", "churn_rate"}


def test_suggest_asks_for_a_purpose_when_none_is_stored(ws: Workspace) -> None:
    from tests.plans.builder import community, insert

    insert(ws, "communities", [community("x1", purpose=None)])
    with pytest.raises(QunkpiError, match="--purpose"):
        suggest_plan(ws, community_id="x1", period="2026-10", templates=templates())


def test_progress_projection_and_status(gws: Workspace) -> None:
    # plan Sep–Nov for joins; as of October two periods are done (Sep 20, Oct 30)
    # trend points: Jun 0, Jul 0, Aug 10 (baseline periods, x = −2, −1, 0), Sep 20 (x = 1), Oct 30 (x = 2)
    # x̄ = 0, ȳ = 12, Sxx = 10, slope = 80 / 10 = 8, intercept 12 → at x = 3 (November): 36
    # residuals 4, −4, −2, 0, 2 → sd = √(40 / 3) = 3.6515; half = 1.2816 × 3.6515 × √(1 + 1/5 + 9/10) = 6.7817
    def mk(target_value: float) -> Plan:
        return Plan(community_id="g1", start="2026-09", deadline=date(2026, 11, 30),
                    north_star=Target(metric="joins", target=target_value, actions=["海报"]))

    rep = plan_progress(gws, mk(50), "2026-10", check=False)
    r = rep.rows[0]
    assert r.projection.value == pytest.approx(36)
    assert r.projection.high == pytest.approx(36 + 6.7817, abs=1e-3)
    assert r.status == "off-track"  # 42.78 < 50
    assert r.baseline == pytest.approx(10 / 3)  # mean of 0, 0, 10
    assert r.actual == 30 and r.actual_period == "2026-10"
    assert r.pace == pytest.approx((30 - 10 / 3) / (50 - 10 / 3))  # 0.5714
    # on a straight path after 2 of 3 periods: 10/3 + (50 − 10/3) × 2/3 = 34.444 → 30 is behind
    assert r.expected_now == pytest.approx(10 / 3 + (50 - 10 / 3) * 2 / 3) and r.ahead is False
    assert (r.elapsed, r.total) == (2, 3)
    assert plan_progress(gws, mk(40), "2026-10", check=False).rows[0].status == "at-risk"  # 36 < 40 ≤ 42.78
    assert plan_progress(gws, mk(35), "2026-10", check=False).rows[0].status == "on-track"
    # after the deadline the final value decides: November has 0 joins
    assert plan_progress(gws, mk(35), "2026-12", check=False).rows[0].status == "off-track"


def test_team_rollup_pools_ratios(gws: Workspace) -> None:
    from qunkpi.engine.periods import parse_period

    scope = scope_for(gws, team="T")
    assert scope.communities == ["g1", "g2"]
    h, _ = fetch_history(gws, scope, ["churn_rate", "joins"], [parse_period("2026-10")])
    # joins add up: 30 + 0; churn pooled: (4 + 1) / (48 + 10) = 0.086207, not the mean of 0.0833 and 0.1
    assert h.of("joins") == [30]
    assert h.of("churn_rate")[0] == pytest.approx(5 / 58)


def test_refresh_moves_target_by_achievement(gws: Workspace) -> None:
    # Q3 joins: Jul 0, Aug 10, Sep 20 → mean 10; target 25 → achievement 40 % → −15 % → 21.25 → 21 joins
    p = Plan(community_id="g1", start="2026-07", deadline=date(2026, 9, 30),
             north_star=Target(metric="joins", target=25, actions=["海报"]))
    res = refresh_plan(gws, p, "2026-Q3")
    assert res.next_quarter == "2026-Q4"
    row = res.rows[0]
    assert row.actual == pytest.approx(10) and row.achievement == pytest.approx(0.4)
    assert row.new_target == 21 and row.schedule == {}  # no history a year back → no seasonal months
    assert (res.plan.start, res.plan.deadline) == ("2026-10", date(2026, 12, 31))
    assert res.plan.north_star.baseline == 10


def test_community_info_reads_team(gws: Workspace) -> None:
    info = community_info(gws, "g1")
    assert info.team == "T" and info.purpose == "service" and info.stage_at(datetime(2026, 3, 1)) == "startup"
    with pytest.raises(QunkpiError):
        community_info(gws, "nope")


def test_rollup_pools_derived_ratios_and_weights_averages() -> None:
    import pandas as pd

    from qunkpi.plans.history import Values, rollup

    rows = []
    for c, gmv, orders, arpu, members in (("a", 100.0, 1.0, 10.0, 10.0), ("b", 300.0, 2.0, 40.0, 30.0)):
        for m, v in (("gmv", gmv), ("orders", orders), ("aov", gmv / orders), ("arpu", arpu), ("members_end", members)):
            rows.append({"community_id": c, "period": "2026-10", "metric": m, "value": v, "breakdown": None, "unit": None, "reason": None})
    units = {"gmv": "yuan", "orders": "count", "aov": "yuan", "arpu": "yuan", "members_end": "count"}
    exprs = {"aov": "ratio(gmv, orders)"}
    out = Values(rollup(pd.DataFrame(rows), units, exprs, additive={"gmv", "orders", "members_end"}))
    assert out.get("__rollup__", "2026-10", "gmv") == 400  # 100 + 300
    assert out.get("__rollup__", "2026-10", "aov") == pytest.approx(400 / 3)  # pooled, not (100 + 150) / 2
    assert out.get("__rollup__", "2026-10", "arpu") == pytest.approx((10 * 10 + 40 * 30) / 40)  # weighted by members_end = 32.5


def test_refresh_applies_seasonality_seen_last_year(ws: Workspace) -> None:
    from tests.plans.builder import community, insert, member

    insert(ws, "communities", [community("g3", created="2025-08-01")])
    rows = []
    for month, n in (("2025-08", 10), ("2025-09", 10), ("2025-10", 10), ("2025-11", 30),
                     ("2026-07", 10), ("2026-08", 10), ("2026-09", 10)):
        rows += [member("g3", f"{month}_{i}", f"{month}-10") for i in range(n)]
    insert(ws, "members", rows)
    p = Plan(community_id="g3", start="2026-07", deadline=date(2026, 9, 30),
             north_star=Target(metric="joins", target=10, actions=["海报"]))
    row = refresh_plan(ws, p, "2026-Q3").rows[0]
    # achievement 10 / 10 = 100 % → target stays 10
    # Nov 2025: 30 vs mean(Aug–Oct 2025) = 10 → ×3, capped at ×2 → 20 (the Double 11 month)
    # Dec 2025: 0 vs mean(Sep–Nov 2025) = 16.7 → ×0, capped at ×0.5 → 5
    # Oct 2025: Jul 2025 had no joins → no factor
    assert row.new_target == 10
    assert row.schedule == {"2026-11": 20, "2026-12": 5}
    assert any("2025-11" in r for r in row.reasoning)


def test_drivers_on_the_g_workspace(gws: Workspace) -> None:
    from qunkpi.plans.service import plan_drivers

    # g1 monthly joins Jan–Oct: 20, 0, 0, 0, 0, 0, 0, 10, 20, 30 → changes x = [−20, 0, 0, 0, 0, 0, 10, 10, 10]
    # leaves: Aug 2, Oct 4 → changes y = [0, 0, 0, 0, 0, 0, 2, −2, 4]
    # lag 0, 9 pairs: Σxy = 40, Σx = 10, Σy = 4, Σx² = 700, Σy² = 24
    # r = (40 − 10·4/9) / √((700 − 100/9)(24 − 16/9)) = 35.556 / √(688.89 × 22.222) = 0.2874
    # only g1 is pooled: the plan's purpose is service and g2 is a sales community
    p = Plan(community_id="g1", purpose="service", start="2026-11", deadline=date(2027, 1, 31),
             north_star=Target(metric="leaves", target=1, actions=["回访"]),
             supporting=[Target(metric="joins", target=30, actions=["海报"], relation="r")])
    ds = {d.lag: d for d in plan_drivers(gws, p, "2026-10")}
    r0 = (40 - 10 * 4 / 9) / ((700 - 100 / 9) * (24 - 16 / 9)) ** 0.5
    assert ds[0].r == pytest.approx(r0) and r0 == pytest.approx(0.2874, abs=1e-4)
    assert (ds[0].pairs, ds[1].pairs, ds[2].pairs) == (9, 8, 7) and ds[0].communities == 1
