"""Hand-computed appraisals with the shipped default scorecards (src/qunkpi/appraisal/scorecards/default.yaml).

Points are on the 10-point scale; system score = 10 × Σ weight × points / Σ weight of measurable items.
Default tiers (achievement = value / target → points): ≥1.2 → 10, ≥1.1 → 9, ≥1.0 → 8, ≥0.8 → 6, ≥0.6 → 4,
≥0.4 → 2, else 0. Linear: 10 × min(achievement, 1.0).
"""

from __future__ import annotations

import pytest
from appraisal_fakes import FakeProvider

from qunkpi.appraisal import appraise_staff, load_scorecards
from qunkpi.appraisal.staff_values import StaffInfo
from qunkpi.engine.periods import parse_period

OCT = parse_period("2026-10")
ZHANG = StaffInfo("s1", "张伟", "specialist", "华东组")
LI = StaffInfo("s2", "李娜", "manager", "华东组")


def _provider() -> FakeProvider:
    p = FakeProvider([ZHANG, LI])
    p.values.update({
        # 张伟, specialist
        ("s1", "interviews_per_week", "2026-10"): 23.0,  # 23/20 = 1.15 → tier ≥1.1 → 9 points, weight 30
        ("s1", "topic_bursts_per_week", "2026-10"): 1.5,  # 1.5/2 = 0.75 → tier ≥0.6 → 4 points, weight 25
        ("s1", "sop_pass_rate", "2026-10"): 0.9,  # linear 10 × 0.9/1.0 = 9 points, weight 20
        ("s1", "response_30m_rate", "2026-10"): 0.76,  # linear 10 × 0.76/0.95 = 8 points, weight 15
        ("s1", "profile_update_timeliness", "2026-10"): 0.4,  # linear 10 × 0.4 = 4 points, weight 10 (data skill)
        # 李娜, manager
        ("s2", "gmv_achievement", "2026-10"): 1.25,  # 1.25/1.1 = 1.136 → tier ≥1.1 → 9 points, weight 30, sales
        ("s2", "output_input_ratio", "2026-10"): 3.0,  # linear 10 × 3/4 = 7.5 points, weight 20, sales
        ("s2", "retention_d30", "2026-09"): 0.56,  # previous month's cohort: 10 × 0.56/0.7 = 8 points, weight 15
        ("s2", "koc_count", "2026-10"): 60.0,  # 60/50 = 1.2, capped at 1.0 → 10 points, weight 15
    })
    p.inputs[("s2", "2026-10", "talent_pipeline")] = 0.5  # 10 × 0.5/1.0 = 5 points, weight 10
    # process_proposals (weight 10): nothing entered → not measurable, left out of the denominator
    p.csat_values[("s2", "2026-10")] = 0.9  # ≥ 0.85: sales items count
    return p


def test_specialist_by_hand() -> None:
    cards = load_scorecards()
    r = appraise_staff(cards, _provider(), ZHANG, OCT)
    pts = {it.id: it.points for it in r.items}
    assert pts == pytest.approx({"interviews": 9, "topic_bursts": 4, "sop_pass_rate": 9, "response_30m": 8, "profile_updates": 4})
    # (30×9 + 25×4 + 20×9 + 15×8 + 10×4) / 100 × 10 = (270 + 100 + 180 + 120 + 40) / 10 = 71.0
    assert r.system_score == pytest.approx(71.0)
    assert r.total == pytest.approx(71.0)  # 7-2-1 is off by default: total = system score
    assert r.grade == "B"  # 70 ≤ 71 < 80
    assert r.bonus == 1.0  # 60 ≤ 71 < 90
    # profile updates scored 4 < 6 and is a data-skill item → the seed-004 training suggestion
    assert len(r.trainings) == 1 and "Excel" in r.trainings[0]
    # history: October 71 is not > 90 → streak 0
    assert r.streak == 0 and not r.promotion_eligible


def test_manager_by_hand() -> None:
    cards = load_scorecards()
    prov = _provider()
    r = appraise_staff(cards, prov, LI, OCT)
    by = {it.id: it for it in r.items}
    assert by["gmv_achievement"].points == 9
    assert by["roi"].points == pytest.approx(7.5)
    assert by["retention"].points == pytest.approx(8.0) and by["retention"].period == "2026-09"
    assert by["koc"].points == 10
    assert by["talent_pipeline"].points == pytest.approx(5.0)
    assert by["process_proposals"].points is None and by["process_proposals"].reason
    # measurable: 30×9 + 20×7.5 + 15×8 + 15×10 + 10×5 = 270 + 150 + 120 + 150 + 50 = 740 over weights 90
    # → 10 × 740 / 90 = 82.222…
    assert r.system_score == pytest.approx(740 / 9)
    assert r.grade == "A" and r.bonus == 1.0
    # the item left out is flagged
    assert any("process" in f.lower() or "流程" in f for f in r.flags)
    # ROI gets no training (7.5 ≥ 6); GMV achievement 9 ≥ 6 neither
    assert r.trainings == []
    assert ("s2", "retention_d30", "2026-09") in prov.asked


def test_sales_items_need_csat_85() -> None:
    cards = load_scorecards()
    prov = _provider()
    prov.csat_values[("s2", "2026-10")] = 0.8  # < 0.85: GMV and ROI score 0 but keep their weight
    r = appraise_staff(cards, prov, LI, OCT)
    by = {it.id: it for it in r.items}
    assert by["gmv_achievement"].points == 0 and by["gmv_achievement"].gated
    assert by["roi"].points == 0 and by["roi"].gated
    # 30×0 + 20×0 + 15×8 + 15×10 + 10×5 = 320 over 90 → 35.56 → grade D, bonus 0.5
    assert r.system_score == pytest.approx(3200 / 90)
    assert r.grade == "D" and r.bonus == 0.5
    # ROI scored 0 < 6 and is a data-skill item → the ROI course is suggested
    assert any("ROI" in t for t in r.trainings)


def test_missing_csat_counts_with_a_flag_or_blocks() -> None:
    cards = load_scorecards()
    prov = _provider()
    del prov.csat_values[("s2", "2026-10")]
    r = appraise_staff(cards, prov, LI, OCT)
    assert r.system_score == pytest.approx(740 / 9)  # when_missing: count
    assert any("csat" in f.lower() or "满意度" in f for f in r.flags)
    blocking = cards.model_copy(update={"csat_gate": cards.csat_gate.model_copy(update={"when_missing": "block"})})
    r2 = appraise_staff(blocking, prov, LI, OCT)
    assert r2.system_score == pytest.approx(3200 / 90)


def test_721_blending() -> None:
    cards = load_scorecards()
    on = cards.model_copy(update={"blending": cards.blending.model_copy(update={"enabled": True})})
    prov = _provider()
    prov.inputs[("s1", "2026-10", "supervisor_score")] = 90.0
    prov.inputs[("s1", "2026-10", "self_score")] = 85.0
    r = appraise_staff(on, prov, ZHANG, OCT)
    # 0.7 × 90 + 0.2 × 85 + 0.1 × 71 = 63 + 17 + 7.1 = 87.1
    assert r.total == pytest.approx(87.1)
    assert r.system_score == pytest.approx(71.0)
    assert r.grade == "A" and r.bonus == 1.0
    assert r.blending == {"supervisor": 0.7, "self": 0.2, "system": 0.1}
    # no self score: its 0.2 is spread over the rest → (63 + 7.1) / 0.8 = 87.625, flagged
    del prov.inputs[("s1", "2026-10", "self_score")]
    r2 = appraise_staff(on, prov, ZHANG, OCT)
    assert r2.total == pytest.approx(70.1 / 0.8)
    assert any("7-2-1" in f for f in r2.flags)


def test_721_shares_are_configurable() -> None:
    cards = load_scorecards()
    b = cards.blending.model_copy(update={"enabled": True, "supervisor": 0.5, "self_": 0.0, "system": 0.5})
    prov = _provider()
    prov.inputs[("s1", "2026-10", "supervisor_score")] = 95.0
    r = appraise_staff(cards.model_copy(update={"blending": b}), prov, ZHANG, OCT)
    # 0.5 × 95 + 0.5 × 71 = 83
    assert r.total == pytest.approx(83.0)
