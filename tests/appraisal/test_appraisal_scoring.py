"""Scoring functions, activity scoring and promotion streaks (fake provider, hand-worked numbers)."""

from __future__ import annotations

import pytest
from appraisal_fakes import FakeProvider

from qunkpi.appraisal import appraise_staff, load_scorecards
from qunkpi.appraisal.scorecard import Scorecards, Scoring, Tier
from qunkpi.appraisal.scoring import achievement, blend, points, system_score
from qunkpi.appraisal.staff_values import ActivityRun, StaffInfo
from qunkpi.engine.periods import parse_period

TIERS = [Tier(at_least=1.2, points=10), Tier(at_least=1.0, points=8), Tier(at_least=0.5, points=4)]


def test_linear_caps() -> None:
    lin = Scoring(fn="linear", cap=1.0)
    assert points(lin, 15, 20, "higher", TIERS) == pytest.approx(7.5)  # 10 × 15/20
    assert points(lin, 30, 20, "higher", TIERS) == pytest.approx(10.0)  # 1.5 capped at 1.0
    assert points(Scoring(fn="linear", cap=1.2), 30, 20, "higher", TIERS) == pytest.approx(12.0)  # cap 1.2
    assert points(lin, 0, 20, "higher", TIERS) == 0.0


def test_lower_is_better() -> None:
    # first-response target 60 s, actual 80 s → achievement 60/80 = 0.75 → 7.5 points
    assert achievement(80, 60, "lower") == pytest.approx(0.75)
    assert points(Scoring(fn="linear"), 80, 60, "lower", TIERS) == pytest.approx(7.5)
    assert points(Scoring(fn="linear"), 0, 60, "lower", TIERS) == pytest.approx(10.0)


def test_tiers_meet_gives_8_to_10() -> None:
    t = Scoring(fn="tiers")
    assert points(t, 24, 20, "higher", TIERS) == 10  # 1.2
    assert points(t, 23.9, 20, "higher", TIERS) == 8  # 1.195 < 1.2 → the 1.0 tier
    assert points(t, 20, 20, "higher", TIERS) == 8  # exactly meets
    assert points(t, 19.9, 20, "higher", TIERS) == 4  # 0.995 → the 0.5 tier
    assert points(t, 9, 20, "higher", TIERS) == 0  # 0.45, below every tier
    own = Scoring(fn="tiers", tiers=[Tier(at_least=1.0, points=9)])
    assert points(own, 20, 20, "higher", TIERS) == 9


def test_threshold() -> None:
    th = Scoring(fn="threshold", below_points=3)
    assert points(th, 0.95, 0.95, "higher", TIERS) == 10
    assert points(th, 0.94, 0.95, "higher", TIERS) == 3


def test_system_score_and_blend_helpers() -> None:
    # (50 × 8 + 50 × 6) / 100 × 10 = 70; a None item is left out: 50 × 8 / 50 × 10 = 80
    assert system_score([(50, 8), (50, 6)]) == pytest.approx(70)
    assert system_score([(50, 8), (50, None)]) == pytest.approx(80)
    assert system_score([(50, None)]) is None
    assert blend([(0.7, None), (0.2, None), (0.1, None)]) is None


def _one_item_cards(extra: str = "") -> Scorecards:
    """A scorecard with one manual item 'score' (target 100, linear): the system score equals the value."""
    import yaml

    from qunkpi.appraisal.scorecard import DEFAULT_FILE, merge, validate_scorecards

    base = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    override = yaml.safe_load(
        "roles:\n  specialist:\n    zh: 专员\n    en: Specialist\n    items:\n"
        "      - {id: score, zh: 分, en: Score, source: manual, min: 0, max: 100, target: 100, weight: 100}\n" + extra
    )
    return validate_scorecards(merge(base, override), "test")


S = StaffInfo("s9", "王芳", "specialist", None)


@pytest.mark.parametrize(
    ("history", "period", "streak", "eligible"),
    [
        # > 90 in Aug, Sep and Oct → 3 in a row, eligible
        ({"2026-08": 95, "2026-09": 92, "2026-10": 91}, "2026-10", 3, True),
        # exactly 90 in September is not "> 90": the streak is only October
        ({"2026-08": 95, "2026-09": 90, "2026-10": 99}, "2026-10", 1, False),
        # August has no data: two months only
        ({"2026-09": 95, "2026-10": 95}, "2026-10", 2, False),
        # across the year boundary: Nov, Dec 2026, Jan 2027
        ({"2026-11": 93, "2026-12": 94, "2027-01": 96}, "2027-01", 3, True),
        # this month below: streak 0 whatever came before
        ({"2026-08": 95, "2026-09": 95, "2026-10": 80}, "2026-10", 0, False),
    ],
)
def test_promotion_streak(history: dict[str, float], period: str, streak: int, eligible: bool) -> None:
    cards = _one_item_cards()
    prov = FakeProvider([S])
    for label, v in history.items():
        prov.inputs[("s9", label, "score")] = v
    r = appraise_staff(cards, prov, S, parse_period(period))
    assert r.total == pytest.approx(history.get(period))
    assert r.streak == streak
    assert r.promotion_eligible is eligible
    assert [p for p, _ in r.history] == [parse_period(period).label, parse_period(period).previous().label,
                                         parse_period(period).previous().previous().label]


def test_activity_creativity_40_execution_60() -> None:
    cards = _one_item_cards()
    role = cards.roles["specialist"].model_copy(deep=True)
    from qunkpi.appraisal.scorecard import Item

    role.items = [Item.model_validate({"id": "events", "zh": "活动", "en": "Activities", "source": "activity", "weight": 100})]
    cards = cards.model_copy(update={"roles": {**cards.roles, "specialist": role}})
    prov = FakeProvider([S])
    prov.runs[("s9", "2026-10")] = [
        ActivityRun("a1", "打卡周", on_time=True, participation=0.25),  # 5 × 1 + 5 × min(0.25/0.2, 1) = 10
        ActivityRun("a2", "直播", on_time=False, participation=0.10),  # 5 × 0 + 5 × 0.10/0.20 = 2.5
    ]
    r = appraise_staff(cards, prov, S, parse_period("2026-10"))
    assert r.items[0].points is None  # creativity not entered yet → not measurable
    prov.inputs[("s9", "2026-10", "activity_creativity")] = 8
    r = appraise_staff(cards, prov, S, parse_period("2026-10"))
    # execution = (10 + 2.5) / 2 = 6.25; 0.4 × 8 + 0.6 × 6.25 = 3.2 + 3.75 = 6.95 points → system 69.5
    assert r.items[0].points == pytest.approx(6.95)
    assert r.system_score == pytest.approx(69.5)


def test_unknown_role_is_a_clear_error() -> None:
    from qunkpi.errors import QunkpiError

    with pytest.raises(QunkpiError, match="intern"):
        appraise_staff(load_scorecards(), FakeProvider([]), StaffInfo("x", "x", "intern"), parse_period("2026-10"))
