"""Target arithmetic checked by hand: proposals, plausibility, projection bands, status, refresh, drivers."""

from __future__ import annotations

import math

import pytest

from qunkpi.plans.drivers import lagged_correlation, pearson
from qunkpi.plans.service import achievement, refreshed_target, seasonal_factor
from qunkpi.plans.targets import (
    Z80,
    BenchmarkRef,
    largest_improvement,
    plausibility,
    project,
    propose,
    status,
    unit_of,
)


def bm(op: str, v: float) -> BenchmarkRef:
    return BenchmarkRef(op, v, "seed 003")


# -- proposals ------------------------------------------------------------------------------------------------


def test_far_below_benchmark_steps_at_most_15_percent() -> None:
    # baseline 10%, benchmark ≥ 25%: 0.10 + 15% × 0.10 = 0.115 < 0.25 → 0.115
    assert propose(0.10, "higher", "ratio", bm(">=", 0.25)).target == pytest.approx(0.115)


def test_close_below_benchmark_takes_the_benchmark() -> None:
    # baseline 23%: 0.23 × 1.15 = 0.2645 ≥ 0.25 → capped at the benchmark 0.25
    assert propose(0.23, "higher", "ratio", bm(">=", 0.25)).target == pytest.approx(0.25)


def test_benchmark_met_holds_and_improves_5_percent() -> None:
    # 0.30 already ≥ 0.25 → 0.30 × 1.05 = 0.315
    assert propose(0.30, "higher", "ratio", bm(">=", 0.25)).target == pytest.approx(0.315)


def test_no_benchmark_improves_10_percent_and_counts_round() -> None:
    # 200 × 1.10 = 220; 23 × 1.1 = 25.3 → 25 (a count)
    assert propose(200, "higher", "count", None).target == 220
    assert propose(23, "higher", "count", None).target == 25
    # 4 × 1.1 = 4.4 would round back to 4: at least one more → 5; lower is better: 4 → 3
    assert propose(4, "higher", "count", None).target == 5
    assert propose(4, "lower", "count", None).target == 3


def test_lower_is_better_mirrors() -> None:
    # churn 8% vs ≤ 5%: 0.08 − 15% × 0.08 = 0.068 (still above 0.05, so the step wins)
    assert propose(0.08, "lower", "ratio", bm("<=", 0.05)).target == pytest.approx(0.068)


def test_negative_baseline_improves_upwards() -> None:
    # net growth −2%: −0.02 + 10% × |−0.02| = −0.018 (better, not worse); net growth is a signed rate
    class M:
        id, unit = "net_growth_rate", "ratio"

    assert unit_of(M()) == "signed_ratio"
    assert propose(-0.02, "higher", unit_of(M()), None).target == pytest.approx(-0.018)


def test_ratio_targets_stay_in_range_and_zero_baselines() -> None:
    assert propose(0.98, "higher", "ratio", None).target == 1.0  # 1.078 → 1
    assert propose(0.0, "higher", "count", None).target is None  # nothing to improve by 10 %
    assert propose(0.0, "higher", "ratio", bm(">=", 0.25)).target == 0.25
    assert propose(None, "higher", "ratio", None).target is None
    assert propose(None, "higher", "ratio", bm(">=", 0.3)).target == 0.3


def test_multiples_are_not_shares() -> None:
    class M:
        id, unit = "output_input_ratio", "ratio"

    class S:
        id, unit = "output_input_ratio", "score"

    assert unit_of(M()) == "multiple" and unit_of(S()) == "multiple"
    # output/input 2.0 vs ≥ 3: 2.0 × 1.15 = 2.3 (not clamped to 1)
    assert propose(2.0, "higher", unit_of(M()), bm(">=", 3.0)).target == pytest.approx(2.3)


# -- plausibility -----------------------------------------------------------------------------------------------

LABELS = ["2026-07", "2026-08", "2026-09"]


def test_nps_10_to_90_in_a_month_is_flagged_with_the_evidence() -> None:
    # NPS history 8 → 12 → 10: the largest 1-period improvement is +4 (07 → 08);
    # limit = max(1.5 × 4, 10% × 10 × 1, 5 points × 1) = 6; 10 → 90 needs +80 → implausible
    p = plausibility(10, 90, 1, "higher", "points", LABELS, [8, 12, 10])
    assert not p.plausible
    assert p.need == 80 and p.limit == pytest.approx(6)
    assert "4.0" in p.evidence and "2026-07" in p.evidence and "2026-08" in p.evidence


def test_modest_nps_step_is_plausible() -> None:
    assert plausibility(10, 14, 1, "higher", "points", LABELS, [8, 12, 10]).plausible  # +4 ≤ 6


def test_without_history_the_generic_limit_applies() -> None:
    # limit = max(50% × 10 × 1, 5) = 5 < 80
    p = plausibility(10, 90, 1, "higher", "points", [], [])
    assert not p.plausible and p.limit == 5


def test_largest_improvement_respects_span_and_direction() -> None:
    vals = [0.10, 0.08, 0.12, 0.05]
    labs = ["a", "b", "c", "d"]
    # lower is better: best drop within 1 period is 0.12 → 0.05 = 0.07 (c → d)
    best = largest_improvement(labs, vals, 1, "lower")
    assert best is not None and best.amount == pytest.approx(0.07) and (best.from_period, best.to_period) == ("c", "d")
    # higher is better, within 2 periods: 0.08 → 0.12 = 0.04
    best = largest_improvement(labs, vals, 2, "higher")
    assert best is not None and best.amount == pytest.approx(0.04)


# -- projection and status ----------------------------------------------------------------------------------------


def test_projection_band_from_residuals() -> None:
    # points (0,1) (1,3) (2,2): x̄ = 1, ȳ = 2, Sxx = 2, slope = ((−1)(−1) + 0 + (1)(0)) / 2 = 0.5, intercept 1.5
    # at x = 4: 1.5 + 2 = 3.5; residuals −0.5, 1, −0.5 → SS 1.5, sd = √(1.5 / 1) = 1.224745
    # half width = 1.2816 × 1.224745 × √(1 + 1/3 + 9/2) = 1.2816 × 1.224745 × 2.415229 = 3.79097
    pr = project([0, 1, 2], [1, 3, 2], 4)
    half = Z80 * math.sqrt(1.5) * math.sqrt(1 + 1 / 3 + 4.5)
    assert pr.value == pytest.approx(3.5)
    assert half == pytest.approx(3.79097, abs=1e-4)
    assert (pr.low, pr.high) == (pytest.approx(3.5 - half), pytest.approx(3.5 + half))
    assert status(3, pr, "higher") == "on-track"  # 3.5 ≥ 3
    assert status(5, pr, "higher") == "at-risk"  # 3.5 < 5 ≤ 7.29
    assert status(8, pr, "higher") == "off-track"  # 7.29 < 8
    assert status(3.6, pr, "lower") == "on-track"  # lower is better: 3.5 ≤ 3.6
    assert status(0, pr, "lower") == "at-risk"  # low edge −0.29 ≤ 0
    assert status(-1, pr, "lower") == "off-track"


def test_projection_with_two_points_uses_history_variability() -> None:
    # line through (0, 10) and (1, 12) → at x = 3: 16; band ±1.2816 × 2 × √(3 − 1)
    pr = project([0, 1], [10, 12], 3, history_sd=2.0)
    assert pr.value == pytest.approx(16)
    assert pr.high == pytest.approx(16 + Z80 * 2 * math.sqrt(2))


# -- refresh -----------------------------------------------------------------------------------------------------------


def test_refresh_moves_at_most_15_percent() -> None:
    assert refreshed_target(100, 1.10, "higher", "count", 0.15) == (110, pytest.approx(0.10))
    assert refreshed_target(100, 1.30, "higher", "count", 0.15)[0] == 115  # capped at +15 %
    assert refreshed_target(100, 0.50, "higher", "count", 0.15)[0] == 85  # missed badly → −15 %
    # churn target 5 %, actual 4 % → achievement 0.05 / 0.04 = 1.25 → +15 % better → 0.05 × 0.85 = 0.0425
    ach = achievement(0.04, 0.05, "lower")
    assert ach == pytest.approx(1.25)
    assert refreshed_target(0.05, ach, "lower", "ratio", 0.15)[0] == pytest.approx(0.0425)
    assert achievement(0.1, -0.02, "higher") is None  # signed targets: no ratio achievement, target kept


def test_seasonal_factor_double_11() -> None:
    labels = ["2025-08", "2025-09", "2025-10", "2025-11"]
    # Nov 2025 = 180 vs the mean of Aug–Oct 2025 = 100 → 1.8 for Nov 2026
    got = seasonal_factor(labels, [100, 90, 110, 180], "2026-11")
    assert got is not None and got[0] == pytest.approx(1.8) and got[1] == "2025-11"
    assert seasonal_factor(labels, [100, 90, 110, 180], "2026-12") is None  # no Dec 2025 in the history
    assert seasonal_factor(labels, [0, 90, 110, 180], "2026-11") is None  # an empty month before: data start, not season


# -- drivers -----------------------------------------------------------------------------------------------------------


def test_lagged_correlation_finds_the_leading_metric() -> None:
    # North Star changes dn = [0, 1, 2, 3, 4]; supporting changes ds = [1, 2, 3, 4, 0]
    # lag 1 pairs (ds[t−1], dn[t]) = (1,1) (2,2) (3,3) (4,4) → r = 1 over 4 pairs
    # lag 0 pairs (1,0) (2,1) (3,2) (4,3) (0,4): Σ(x − 2)(y − 2) = 2 + 0 + 0 + 2 − 4 = 0 → r = 0
    north = [0, 0, 1, 3, 6, 10]
    support = [0, 1, 3, 6, 10, 10]
    d1 = lagged_correlation({"c": (north, support)}, 1, "m")
    d0 = lagged_correlation({"c": (north, support)}, 0, "m")
    assert d1.r == pytest.approx(1.0) and d1.pairs == 4
    assert d0.r == pytest.approx(0.0) and d0.pairs == 5
    assert lagged_correlation({"c": (north[:3], support[:3])}, 0).r is None  # fewer than 4 pairs
    assert pearson([1, 2], [5, 5]) is None  # no variance
