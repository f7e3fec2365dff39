"""Promotion streak across months on a workspace: each month's total recomputed from that month's staff logs.

Scorecard override: specialists have one item, interviews per week, target 20, linear (cap 1.0), weight 100,
so total = 10 × 10 × min(interviews per week / 20, 1) = 100 × min(per week / 20, 1).
  2026-08 (31 days = 4.4286 weeks): 100 interviews → 22.58 / week → 100
  2026-09 (30 days = 4.2857 weeks):  81 interviews → 18.90 / week → 94.5
  2026-10 (31 days):                 100 interviews → 100
→ three months > 90: eligible. With 77 in September (17.967 / week → 89.83) the streak is October alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qunkpi.appraisal import appraise_workspace
from qunkpi.workspace import Workspace

CARD = """
roles:
  specialist:
    zh: 专员
    en: Specialist
    items:
      - {id: interviews, zh: 访谈, en: Interviews, source: measured, measure: interviews_per_week, target: 20, weight: 100}
"""


def _ws(ws: Workspace, tmp_path: Path, september: int) -> Workspace:
    from qunkpi.importers.canonical import import_path

    src = tmp_path / "data"
    src.mkdir()
    (src / "communities.csv").write_text("community_id,name,platform,created_at\n", encoding="utf-8")
    (src / "staff.csv").write_text("staff_id,name,role,team\ns1,张伟,specialist,华东组\n", encoding="utf-8")
    (src / "staff_logs.csv").write_text(
        "staff_id,day,kind,count\n"
        "s1,2026-08-12,interview,100\n"
        f"s1,2026-09-12,interview,{september}\n"
        "s1,2026-10-12,interview,100\n",
        encoding="utf-8",
    )
    import_path(ws, src)
    (ws.path / "scorecards.yaml").write_text(CARD, encoding="utf-8")
    return ws


def test_three_months_above_90(ws: Workspace, tmp_path: Path) -> None:
    r = appraise_workspace(_ws(ws, tmp_path, 81), "2026-10")[0]
    totals = dict(r.history)
    assert totals["2026-10"] == pytest.approx(100.0)
    assert totals["2026-09"] == pytest.approx(100 * (81 / (30 / 7)) / 20)  # 94.5
    assert totals["2026-08"] == pytest.approx(100.0)
    assert r.streak == 3 and r.promotion_eligible


def test_a_month_at_89_breaks_the_streak(ws: Workspace, tmp_path: Path) -> None:
    r = appraise_workspace(_ws(ws, tmp_path, 77), "2026-10")[0]
    assert dict(r.history)["2026-09"] == pytest.approx(100 * (77 / (30 / 7)) / 20)  # 89.83
    assert r.streak == 1 and not r.promotion_eligible
    # November has no logs at all: 0 interviews → total 0, streak 0
    nov = appraise_workspace(ws, "2026-11")[0]
    assert nov.total == 0 and nov.streak == 0
