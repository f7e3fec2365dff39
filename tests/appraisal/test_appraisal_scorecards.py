"""Scorecard loading: defaults, workspace overrides, and validation that reports every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from qunkpi.appraisal.scorecard import load_scorecards
from qunkpi.errors import ValidationFailed


def test_defaults_follow_seed_003() -> None:
    cards = load_scorecards()
    spec = {it.id: (it.weight, it.target) for it in cards.roles["specialist"].items}
    # seed 003: interviews ≥ 20/week 30 %, topic bursts ≥ 2/week 25 %, SOP 20 %, 30-min response ≥ 95 % 15 %, profile 10 %
    assert spec == {"interviews": (30, 20), "topic_bursts": (25, 2), "sop_pass_rate": (20, 1.0),
                    "response_30m": (15, 0.95), "profile_updates": (10, 1.0)}
    mgr = {it.id: it.target for it in cards.roles["manager"].items}
    assert mgr["gmv_achievement"] == 1.1 and mgr["roi"] == 4 and mgr["retention"] == 0.7 and mgr["koc"] == 50
    assert [it.id for it in cards.roles["director"].items] == [it.id for it in cards.roles["manager"].items]
    assert sum(it.weight for it in cards.roles["manager"].items) == 100
    # seed 004: ≥ 90 → 1.5, < 60 → 0.5, else 1.0
    assert [cards.bonus(t) for t in (95, 90, 89.9, 60, 59.99, 0)] == [1.5, 1.5, 1.0, 1.0, 0.5, 0.5]
    assert cards.blending.enabled is False
    assert (cards.blending.supervisor, cards.blending.self_, cards.blending.system) == (0.7, 0.2, 0.1)
    assert (cards.promotion.above, cards.promotion.consecutive) == (90, 3)


def test_every_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "scorecards.yaml").write_text(
        """
roles:
  specialist:
    zh: 专员
    en: Specialist
    items:
      - {id: a, zh: a, en: a, source: measured, measure: interviews_per_week, target: 20, weight: 60}
      - {id: b, zh: b, en: b, source: measured, measure: no_such_measure, target: 2, weight: 35}
  manager:
    zh: 主管
    en: Manager
    items:
      - {id: c, zh: c, en: c, source: manual, target: 1, weight: 70}
      - {id: c, zh: c, en: c, source: measured, measure: koc_count, target: 0, weight: 40,
         scoring: {fn: tiers, tiers: [{at_least: 0.5, points: 4}, {at_least: 1.0, points: 8}]}}
bonus_tiers:
  - {min: 60, coefficient: 1.0}
  - {min: 90, coefficient: 1.5}
""",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as e:
        load_scorecards(tmp_path)
    text = str(e.value)
    where = [p.column for p in e.value.problems]
    # specialist: 60 + 35 = 95 ≠ 100; unknown measure
    assert "roles.specialist.items" in where and "95" in text
    assert any(w and w.startswith("roles.specialist.items[1](b).measure") for w in where)
    # manager: 70 + 40 = 110; duplicate id c; target 0; tiers in the wrong order (points rise as at_least falls)
    assert "110" in text
    assert any(w and w.endswith("(c).target") for w in where)
    assert any(w and w.endswith(".scoring.tiers") for w in where)
    assert sum(1 for p in e.value.problems if p.message.endswith(("重复：c", "duplicate item id c"))) == 1
    # bonus tiers out of order and without a floor at 0
    assert sum(1 for w in where if w == "bonus_tiers") == 2
    assert all(p.file.endswith("scorecards.yaml") for p in e.value.problems)
    assert len(e.value.problems) >= 8


def test_schema_errors_name_the_key(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("roles:\n  specialist:\n    zh: a\n    en: a\n    items:\n      - {id: a, zh: a, en: a, source: guess, weight: 100}\n",
                 encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        load_scorecards(path=f)
    assert any((p.column or "").startswith("roles.specialist.items[0].source") for p in e.value.problems)


def test_workspace_override_replaces_one_role(tmp_path: Path) -> None:
    (tmp_path / "scorecards.yaml").write_text(
        """
blending: {enabled: true}
roles:
  specialist:
    zh: 活动专员
    en: Activity specialist
    items:
      - {id: events, zh: 活动, en: Activities, source: activity, weight: 50}
      - {id: interviews, zh: 访谈, en: Interviews, source: measured, measure: interviews_per_week, target: 15, weight: 50,
         scoring: {fn: threshold, below_points: 3}}
""",
        encoding="utf-8",
    )
    cards = load_scorecards(tmp_path)
    assert cards.blending.enabled and cards.blending.supervisor == 0.7
    assert [it.id for it in cards.roles["specialist"].items] == ["events", "interviews"]
    assert cards.roles["manager"].items[0].id == "gmv_achievement"  # untouched roles keep the defaults
    assert "activity_creativity" in cards.manual_keys()


def test_bad_yaml_reports_the_line(tmp_path: Path) -> None:
    (tmp_path / "scorecards.yaml").write_text("roles:\n  specialist: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        load_scorecards(tmp_path)
    assert e.value.problems[0].row is not None
