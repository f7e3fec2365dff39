"""Properties of the scoring rules that must hold for any input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qunkpi.appraisal import load_scorecards
from qunkpi.appraisal.scorecard import Scoring
from qunkpi.appraisal.scoring import blend, points, system_score

CARDS = load_scorecards()
values = st.floats(min_value=0, max_value=1e6, allow_nan=False)
targets = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)
fns = st.sampled_from([Scoring(fn="linear"), Scoring(fn="tiers"), Scoring(fn="threshold")])


@given(fns, values, values, targets)
def test_points_are_monotone_and_within_0_10(scoring: Scoring, a: float, b: float, target: float) -> None:
    lo, hi = sorted((a, b))
    p_lo = points(scoring, lo, target, "higher", CARDS.default_tiers)
    p_hi = points(scoring, hi, target, "higher", CARDS.default_tiers)
    assert 0 <= p_lo <= p_hi <= 10
    # lower is better: the smaller value never scores less
    q_lo = points(scoring, lo, target, "lower", CARDS.default_tiers)
    q_hi = points(scoring, hi, target, "lower", CARDS.default_tiers)
    assert 0 <= q_hi <= q_lo <= 10


items = st.lists(st.tuples(st.floats(min_value=0.5, max_value=100), st.one_of(st.none(), st.floats(min_value=0, max_value=10))),
                 min_size=1, max_size=8)


@given(items)
def test_system_score_is_a_weighted_mean_of_measurable_items(its: list[tuple[float, float | None]]) -> None:
    s = system_score(its)
    got = [10 * p for _, p in its if p is not None]
    if not got:
        assert s is None
    else:
        assert s is not None and min(got) - 1e-9 <= s <= max(got) + 1e-9


@given(st.floats(0, 100), st.one_of(st.none(), st.floats(0, 100)), st.floats(0, 100))
def test_721_total_lies_between_its_parts(sup: float, self_s: float | None, system: float) -> None:
    t = blend([(0.7, sup), (0.2, self_s), (0.1, system)])
    parts = [v for v in (sup, self_s, system) if v is not None]
    assert t is not None and min(parts) - 1e-9 <= t <= max(parts) + 1e-9
