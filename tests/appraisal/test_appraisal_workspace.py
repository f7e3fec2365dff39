"""Appraisal on a real workspace, October 2026 (31 days = 31/7 = 4.4286 weeks).

Staff: s1 张伟 specialist 华东组 (owns c1, c2); s2 李娜 manager 华东组 (owns nothing: her team scope is c1 + c2);
s3 王芳 specialist 华南组 (owns c3, no logs).

Staff logs of s1 (only October counts; 09-30 and 11-01 are outside):
  interview      10-05 40, 10-12 30, 10-20 25, 10-28 5 → 100 / 4.4286 = 22.58 per week → 22.58/20 = 1.129 → tier 9
  sop_check      10-03 ✓, 10-10 ✓, 10-17 ✗, 10-24 ✓, 10-30 blank (not counted) → 3/4 = 0.75 → linear 7.5
  profile_update 10-02 (W40), 10-09 (W41), 10-27 (W44); October's ISO weeks clipped: W40..W44 = 5 → 3/5 → 6
No messages: topic bursts and the 30-minute response rate cannot be measured (weights 25 + 15 left out):
  s1 system = 10 × (30×9 + 20×7.5 + 10×6) / 60 = 10 × 480 / 60 = 80.0

s2 (team scope c1 + c2):
  gmv  c1: 10000 + (5000 − 1000) + 8000 = 22000 (the 09-30 order is September); c2: 4000 → 26000
       target 20000 (entered) → 1.3; 1.3/1.1 = 1.18 → tier 9
  cost c1 4000 + c2 1000 = 5000 (October rows) → output/input 26000/5000 = 5.2 → 5.2/4 = 1.3 → capped 10
  csat c1 scores 5,5,4,3 → 3/4; c2 six 5s → 6/6; pooled (0.75×4 + 1×6)/10 = 0.9 ≥ 0.85 → sales items count
  retention (September joiners; as-of = the data horizon 10-30): c1 m1 stays, m2 left on day 15, m3 stays → 2/3
       of 3 joins; c2 m4 stays → 1/1 of 1 join; pooled (2/3×3 + 1×1)/4 = 0.75 → 0.75/0.7 capped → 10
  koc: no messages → not measurable (weight 15 left out)
  talent pipeline 0.8 → 8; proposals 3 → 3/2 capped → 10
  s2 system = 10 × (30×9 + 20×10 + 15×10 + 10×8 + 10×10) / 85 = 10 × 800 / 85 = 94.1176
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qunkpi.appraisal import appraise_workspace, load_scorecards
from qunkpi.appraisal import inputs as appraisal_inputs
from qunkpi.workspace import Workspace

FILES = {
    "staff.csv": "staff_id,name,role,team\ns1,张伟,specialist,华东组\ns2,李娜,manager,华东组\ns3,王芳,specialist,华南组\n",
    "communities.csv": (
        "community_id,name,platform,purpose,created_at,owner_staff_id,stage,archive_consent\n"
        "c1,轻食打卡营,wecom_group,sales,2026-01-01 00:00:00,s1,,true\n"
        "c2,宝妈交流群,wecom_group,service,2026-02-01 00:00:00,s1,,true\n"
        "c3,华南福利群,wechat_group,sales,2026-03-01 00:00:00,s3,,true\n"
    ),
    "members.csv": (
        "community_id,member_id,joined_at,left_at,source_channel,inviter_id,is_staff,role,profile_filled,profile_total\n"
        "c1,m1,2026-09-05 10:00:00,,poster,,false,member,,\n"
        "c1,m2,2026-09-10 10:00:00,2026-09-25 10:00:00,poster,,false,member,,\n"
        "c1,m3,2026-09-15 10:00:00,,poster,,false,member,,\n"
        "c2,m4,2026-09-20 10:00:00,,referral,,false,member,,\n"
        "c1,m5,2026-10-30 09:00:00,,poster,,false,member,,\n"
    ),
    "staff_logs.csv": (
        "staff_id,day,kind,count,passed\n"
        "s1,2026-09-30,interview,50,\n"
        "s1,2026-10-05,interview,40,\n"
        "s1,2026-10-12,interview,30,\n"
        "s1,2026-10-20,interview,25,\n"
        "s1,2026-10-28,interview,5,\n"
        "s1,2026-11-01,interview,50,\n"
        "s1,2026-10-03,sop_check,1,true\n"
        "s1,2026-10-10,sop_check,1,true\n"
        "s1,2026-10-17,sop_check,1,false\n"
        "s1,2026-10-24,sop_check,1,true\n"
        "s1,2026-10-30,sop_check,1,\n"
        "s1,2026-10-02,profile_update,1,\n"
        "s1,2026-10-09,profile_update,2,\n"
        "s1,2026-10-27,profile_update,1,\n"
    ),
    "orders.csv": (
        "order_id,customer_id,community_id,paid_at,amount,refund_amount\n"
        "o1,m1,c1,2026-10-03 12:00:00,10000,0\n"
        "o2,m3,c1,2026-10-08 12:00:00,5000,1000\n"
        "o3,m1,c1,2026-10-21 12:00:00,8000,0\n"
        "o4,m4,c2,2026-10-11 12:00:00,4000,0\n"
        "o5,m1,c1,2026-09-30 12:00:00,9999,0\n"
    ),
    "costs.csv": "community_id,month,kind,amount\nc1,2026-10,staff,4000\nc2,2026-10,staff,1000\nc1,2026-09,staff,7000\n",
    "reviews.csv": "staff_id,period,self_score,supervisor_score,notes\ns1,2026-10,80,88,\n",
}


def _surveys(ws: Workspace) -> None:
    rows = [("c1", 5), ("c1", 5), ("c1", 4), ("c1", 3)] + [("c2", 5)] * 6
    for i, (c, score) in enumerate(rows):
        ws.con.execute("INSERT INTO surveys VALUES (?, ?, ?, 'csat', ?, TIMESTAMP '2026-10-15 10:00:00', NULL, NULL)",
                       [f"r{i}", c, f"sv{i}", score])


@pytest.fixture
def aws(ws: Workspace, tmp_path: Path) -> Workspace:
    from qunkpi.importers.canonical import import_path

    src = tmp_path / "data"
    src.mkdir()
    for name, text in FILES.items():
        (src / name).write_text(text, encoding="utf-8")
    import_path(ws, src)
    _surveys(ws)
    cards = load_scorecards(ws.path)
    s2 = ws.person_id("s2")
    appraisal_inputs.record(ws, [
        appraisal_inputs.InputRow(s2, "2026-10", "gmv_target", 20000),
        appraisal_inputs.InputRow(s2, "2026-10", "talent_pipeline", 0.8),
        appraisal_inputs.InputRow(s2, "2026-10", "process_proposals", 3),
    ], entered_by="赵总", source="test", cards=cards)
    return ws


def _by_name(results: list) -> dict:  # type: ignore[type-arg]
    return {r.name: r for r in results}


def test_specialist_from_staff_logs(aws: Workspace) -> None:
    r = _by_name(appraise_workspace(aws, "2026-10"))["张伟"]
    by = {it.id: it for it in r.items}
    assert by["interviews"].value == pytest.approx(100 / (31 / 7))
    assert by["interviews"].points == 9
    assert by["sop_pass_rate"].value == pytest.approx(0.75) and by["sop_pass_rate"].points == pytest.approx(7.5)
    assert by["profile_updates"].value == pytest.approx(0.6) and by["profile_updates"].points == pytest.approx(6.0)
    assert by["topic_bursts"].points is None and "messages" in (by["topic_bursts"].reason or "")
    assert by["response_30m"].points is None
    assert r.system_score == pytest.approx(80.0)
    assert r.grade == "A" and r.bonus == 1.0
    assert sorted(r.communities) == ["c1", "c2"]
    # reviews are imported but 7-2-1 is off by default
    assert r.supervisor_score == 88 and r.self_score == 80 and r.total == pytest.approx(80.0)


def test_manager_team_results(aws: Workspace) -> None:
    r = _by_name(appraise_workspace(aws, "2026-10"))["李娜"]
    by = {it.id: it for it in r.items}
    assert sorted(r.communities) == ["c1", "c2"]
    assert by["gmv_achievement"].value == pytest.approx(26000 / 20000)
    assert by["gmv_achievement"].points == 9
    assert by["roi"].value == pytest.approx(5.2) and by["roi"].points == 10
    assert r.csat == pytest.approx(0.9)
    assert by["retention"].period == "2026-09" and by["retention"].value == pytest.approx(0.75)
    assert by["koc"].points is None
    assert by["talent_pipeline"].points == pytest.approx(8.0) and by["process_proposals"].points == 10
    assert r.system_score == pytest.approx(8000 / 85)
    assert r.grade == "S" and r.bonus == 1.5


def test_staff_with_nothing_measured(aws: Workspace) -> None:
    r = _by_name(appraise_workspace(aws, "2026-10"))["王芳"]
    # no logs at all: 0 interviews per week is a measurement (a count over no rows is 0); the SOP rate has no rows
    by = {it.id: it for it in r.items}
    assert by["interviews"].value == 0 and by["interviews"].points == 0
    assert by["sop_pass_rate"].points is None
    assert by["profile_updates"].value == 0


def test_gmv_target_missing_is_not_measurable(aws: Workspace) -> None:
    aws.con.execute("DELETE FROM appraisal_inputs WHERE item = 'gmv_target'")
    r = _by_name(appraise_workspace(aws, "2026-10"))["李娜"]
    it = next(i for i in r.items if i.id == "gmv_achievement")
    assert it.points is None and "gmv_target" in (it.reason or "")
    # 10 × (20×10 + 15×10 + 10×8 + 10×10) / 55 = 10 × 530 / 55
    assert r.system_score == pytest.approx(5300 / 55)


def test_csat_below_85_zeroes_sales_items(aws: Workspace) -> None:
    aws.con.execute("UPDATE surveys SET score = 2 WHERE community_id = 'c2' AND response_id IN ('r4', 'r5', 'r6')")
    r = _by_name(appraise_workspace(aws, "2026-10"))["李娜"]
    # c2 now 3/6 = 0.5; pooled (0.75×4 + 0.5×6)/10 = 0.6 < 0.85
    assert r.csat == pytest.approx(0.6)
    by = {it.id: it for it in r.items}
    assert by["gmv_achievement"].points == 0 and by["roi"].points == 0
    # 10 × (0 + 0 + 15×10 + 10×8 + 10×10) / 85 = 3300 / 85
    assert r.system_score == pytest.approx(3300 / 85)


def test_721_with_reviews_and_audited_override(aws: Workspace) -> None:
    (aws.path / "scorecards.yaml").write_text("blending: {enabled: true}\n", encoding="utf-8")
    r = _by_name(appraise_workspace(aws, "2026-10"))["张伟"]
    # 0.7 × 88 + 0.2 × 80 + 0.1 × 80 = 61.6 + 16 + 8 = 85.6
    assert r.total == pytest.approx(85.6)
    runner = CliRunner()
    from qunkpi.cli.main import app

    for v in ("95", "92"):
        res = runner.invoke(app, ["appraise", "input", "-w", str(aws.path), "--staff", "s1", "--period", "2026-10",
                                  "--item", "supervisor_score", "--value", v, "--by", "赵总", "--note", "复核"])
        assert res.exit_code == 0, res.output
    r = _by_name(appraise_workspace(aws, "2026-10"))["张伟"]
    # the latest entry (92) overrides the imported review (88): 0.7 × 92 + 16 + 8 = 88.4
    assert r.supervisor_score == 92 and r.total == pytest.approx(88.4)
    hist = appraisal_inputs.history(aws, aws.person_id("s1"))
    assert list(hist["value"]) == [95.0, 92.0]
    assert set(hist["entered_by"]) == {"赵总"} and list(hist["source"]) == ["cli", "cli"]
    assert hist["entered_at"].notna().all() and list(hist["name"]) == ["张伟", "张伟"]


def test_input_is_validated(aws: Workspace) -> None:
    from qunkpi.cli.main import app

    runner = CliRunner()
    base = ["appraise", "input", "-w", str(aws.path), "--period", "2026-10", "--by", "赵总"]
    bad_item = runner.invoke(app, [*base, "--staff", "s1", "--item", "charm", "--value", "5"])
    assert bad_item.exit_code == 3 and "charm" in bad_item.output
    out_of_range = runner.invoke(app, [*base, "--staff", "李娜", "--item", "talent_pipeline", "--value", "150%"])
    assert out_of_range.exit_code == 3 and "1.5" in out_of_range.output
    nobody = runner.invoke(app, [*base, "--staff", "nobody", "--item", "self_score", "--value", "80"])
    assert nobody.exit_code == 1 and "nobody" in nobody.output
    ok = runner.invoke(app, [*base, "--staff", "李娜", "--item", "talent_pipeline", "--value", "90%"])
    assert ok.exit_code == 0, ok.output
    assert appraisal_inputs.latest(aws)[(aws.person_id("s2"), "2026-10", "talent_pipeline")] == pytest.approx(0.9)


def test_import_inputs_file(aws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "scores.csv"
    f.write_text("staff_id,period,self_score,supervisor_score,notes\ns3,2026-10,70,75,首月\n王芳,2026-09,,60,\n", encoding="utf-8")
    assert appraisal_inputs.import_file(aws, f, entered_by="赵总", cards=load_scorecards(aws.path)) == 3
    got = appraisal_inputs.latest(aws)
    s3 = aws.person_id("s3")
    assert got[(s3, "2026-10", "self_score")] == 70 and got[(s3, "2026-10", "supervisor_score")] == 75
    assert got[(s3, "2026-09", "supervisor_score")] == 60
    bad = tmp_path / "bad.csv"
    bad.write_text("staff_id,period,item,value\ns1,2026-10,self_score,abc\nzz,2026-13,self_score,101\n", encoding="utf-8")
    from qunkpi.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as e:
        appraisal_inputs.import_file(aws, bad, entered_by="x", cards=load_scorecards(aws.path))
    cols = sorted((p.row, p.column) for p in e.value.problems)
    # row 2: not a number; row 3: unknown staff, bad period, out of range — all at once, nothing written
    assert cols == [(2, "value"), (3, "period"), (3, "staff_id"), (3, "value")]
    assert len(appraisal_inputs.history(aws)) == 3 + 3  # fixture's 3 + the good file's 3


def test_cli_json_and_excel(aws: Workspace, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from qunkpi.cli.main import app

    xlsx = tmp_path / "out" / "appraisal.xlsx"
    aws.close()  # the CLI opens the workspace read-only; DuckDB refuses a second, differently configured connection
    res = CliRunner().invoke(app, ["appraise", "-w", str(aws.path), "-p", "2026-10", "--format", "json", "--xlsx", str(xlsx)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    by = {d["name"]: d for d in data}
    assert by["李娜"]["system_score"] == pytest.approx(94.1176, abs=1e-4)
    assert by["李娜"]["bonus_coefficient"] == 1.5 and by["张伟"]["grade"] == "A"
    assert [h["period"] for h in by["张伟"]["history"]] == ["2026-10", "2026-09", "2026-08"]

    wb = load_workbook(xlsx)
    assert wb.sheetnames[:2] == ["华东组", "华南组"]
    sh = wb["华东组"]
    formulas = [c.value for row in sh.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert any("SUMPRODUCT" in f and "SUMIF" in f for f in formulas)  # the weighted total is an Excel formula
    assert any(f.startswith("=IF(") and "1.5" in f for f in formulas)  # bonus tiers as a formula
    assert len(sh.conditional_formatting) >= 3
    # cached values: viewers that do not recalculate still see the numbers
    cached = load_workbook(xlsx, data_only=True)["华东组"]
    names = {cached.cell(r, 1).value: r for r in range(4, 6)}
    assert cached.cell(names["李娜"], 3).value == pytest.approx(8000 / 85)
    assert cached.cell(names["李娜"], 8).value == 1.5

    one = CliRunner().invoke(app, ["appraise", "-w", str(aws.path), "-p", "2026-10", "--staff", "张伟", "-f", "json"])
    assert [d["name"] for d in json.loads(one.stdout)] == ["张伟"]
    table = CliRunner().invoke(app, ["appraise", "-w", str(aws.path), "-p", "2026-10"])
    assert table.exit_code == 0 and "李娜" in table.stdout
