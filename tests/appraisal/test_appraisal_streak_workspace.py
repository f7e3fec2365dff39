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


ACTIVITY_CARD = """
roles:
  specialist:
    zh: 活动专员
    en: Activity specialist
    items:
      - {id: events, zh: 活动, en: Activities, source: activity, weight: 100}
"""


def test_activity_item_from_the_workspace(ws: Workspace, tmp_path: Path) -> None:
    """Two October activities in c1 (owned by s1), creativity 8 entered by the supervisor:
    a1 planned 10-10 20:00, started 20:00 (on time); 10 notified; participants m1, m2, m3 and staff s1
       → 3/10 = 30 % ≥ 20 % → execution 5 + 5 = 10
    a2 planned 10-20 20:00, started 20:30 (late); 20 notified; participants m1, m2 → 10 % → 0 + 5 × 0.10/0.20 = 2.5
    a3 started 09-28: September, not counted
    execution = (10 + 2.5) / 2 = 6.25; points = 0.4 × 8 + 0.6 × 6.25 = 3.2 + 3.75 = 6.95 → total 69.5
    """
    from qunkpi.appraisal import inputs
    from qunkpi.appraisal.scorecard import load_scorecards
    from qunkpi.importers.canonical import import_path

    src = tmp_path / "data"
    src.mkdir()
    files = {
        "staff.csv": "staff_id,name,role,team\ns1,张伟,specialist,华东组\n",
        "communities.csv": "community_id,name,platform,created_at,owner_staff_id\nc1,打卡群,wecom_group,2026-01-01 00:00:00,s1\n",
        "members.csv": "community_id,member_id,joined_at\nc1,m1,2026-09-01 00:00:00\nc1,m2,2026-09-01 00:00:00\nc1,m3,2026-09-01 00:00:00\n",
        "activities.csv": (
            "activity_id,community_id,name,kind,planned_start_at,start_at,end_at,notified_count\n"
            "a1,c1,周末打卡,checkin,2026-10-10 20:00:00,2026-10-10 20:00:00,2026-10-10 22:00:00,10\n"
            "a2,c1,直播答疑,webinar,2026-10-20 20:00:00,2026-10-20 20:30:00,2026-10-20 21:30:00,20\n"
            "a3,c1,九月活动,topic,,2026-09-28 20:00:00,2026-09-28 21:00:00,5\n"
        ),
        "activity_participants.csv": (
            "activity_id,member_id,participated_at\n"
            "a1,m1,2026-10-10 20:05:00\na1,m2,2026-10-10 20:06:00\na1,m3,2026-10-10 20:07:00\na1,s1,2026-10-10 20:01:00\n"
            "a2,m1,2026-10-20 20:40:00\na2,m2,2026-10-20 20:41:00\n"
            "a3,m1,2026-09-28 20:10:00\n"
        ),
    }
    for name, text in files.items():
        (src / name).write_text(text, encoding="utf-8")
    import_path(ws, src)
    (ws.path / "scorecards.yaml").write_text(ACTIVITY_CARD, encoding="utf-8")
    r = appraise_workspace(ws, "2026-10")[0]
    assert r.items[0].points is None and "activity_creativity" in (r.items[0].reason or "")
    inputs.record(ws, [inputs.InputRow(ws.person_id("s1"), "2026-10", "activity_creativity", 8)],
                  entered_by="赵总", source="test", cards=load_scorecards(ws.path))
    r = appraise_workspace(ws, "2026-10")[0]
    assert r.items[0].points == pytest.approx(6.95)
    assert r.total == pytest.approx(69.5)
