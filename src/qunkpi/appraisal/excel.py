"""The appraisal workbook a manager can forward: one sheet per team, formulas visible, conditional formatting.

Each team sheet has a summary table (one row per staff member, every cell a formula pointing into the detail
blocks below it) and one detail block per staff member: item, value, target, achievement, points (0–10),
weight and weighted points, then the system score as ``10 × SUMPRODUCT(points, weights) / SUMIF(points, "<>",
weights)`` (blank points = not measurable, left out), the 7-2-1 total, grade, bonus coefficient and promotion
check, all as Excel formulas with their computed values cached (so viewers that do not recalculate still show
numbers). A last sheet explains the method and lists the scorecards.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_range, xl_rowcol_to_cell

from qunkpi.appraisal.appraise import StaffResult
from qunkpi.appraisal.scorecard import Scorecards
from qunkpi.i18n import get_lang, tr

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub("_", name).strip("'")[:28] or "_"
    out, i = base, 2
    while out.lower() in used:
        out = f"{base[:25]}~{i}"
        i += 1
    used.add(out.lower())
    return out


def _ifs(cell: str, pairs: list[tuple[float, Any]], last: Any) -> str:
    """Nested IF over descending thresholds: IF(cell>=a, x, IF(cell>=b, y, last))."""
    def lit(v: Any) -> str:
        return f'"{v}"' if isinstance(v, str) else f"{v:g}"

    expr = lit(last)
    for th, v in reversed(pairs):
        expr = f"IF({cell}>={th:g},{lit(v)},{expr})"
    return expr


def write_workbook(path: Path, results: list[StaffResult], cards: Scorecards, period: str) -> Path:
    lang = get_lang()
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    f = {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}),
        "block": wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1}),
        "num": wb.add_format({"num_format": "0.00", "border": 1}),
        "pct": wb.add_format({"num_format": "0.0%", "border": 1}),
        "int": wb.add_format({"num_format": "0", "border": 1}),
        "text": wb.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
        "bold_num": wb.add_format({"bold": True, "num_format": "0.0", "border": 1}),
        "good": wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"}),
        "bad": wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "mid": wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"}),
    }
    teams: dict[str, list[StaffResult]] = {}
    for r in results:
        teams.setdefault(r.team or tr("未分组", "No team"), []).append(r)
    used: set[str] = set()
    for team in sorted(teams):
        _team_sheet(wb, f, _sheet_name(team, used), team, teams[team], cards, period, lang)
    _method_sheet(wb, f, _sheet_name(tr("说明", "Method"), used), cards, lang)
    wb.close()
    return path


def _team_sheet(wb: Any, f: dict[str, Any], name: str, team: str, people: list[StaffResult], cards: Scorecards,
                period: str, lang: str) -> None:
    ws = wb.add_worksheet(name)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 9, 12)
    ws.set_column(10, 10, 48)
    ws.write(0, 0, tr(f"{team} · {period} 员工考核", f"{team} · {period} staff appraisal"), f["title"])
    heads = [tr("姓名", "Name"), tr("角色", "Role"), tr("系统评分", "System score"), tr("上级评分", "Supervisor"),
             tr("自评", "Self"), tr("总分", "Total"), tr("等级", "Grade"), tr("奖金系数", "Bonus coefficient"),
             tr(f"连续>{cards.promotion.above:g}分期数", f"Periods >{cards.promotion.above:g} in a row"),
             tr("可晋升", "Promotion"), tr("培训建议 / 提示", "Training / notes")]
    sum_row = 2
    for c, h in enumerate(heads):
        ws.write(sum_row, c, h, f["head"])
    row = sum_row + len(people) + 3
    for i, r in enumerate(people):
        cells, row = _detail_block(ws, f, row, r, cards, lang)
        sr = sum_row + 1 + i
        ws.write(sr, 0, r.name, f["text"])
        ws.write(sr, 1, r.role_name, f["text"])
        for col, key, fmt in ((2, "system", "num"), (3, "supervisor", "num"), (4, "self", "num"), (5, "total", "bold_num"),
                              (6, "grade", "text"), (7, "bonus", "num"), (8, "streak", "int"), (9, "promotion", "text")):
            ref, val = cells[key]
            ws.write_formula(sr, col, f'=IF({ref}="","",{ref})', f[fmt], "" if val is None else val)
        notes = [*r.trainings, *r.flags]
        ws.write(sr, 10, "\n".join(notes), f["text"])
        row += 1
    last = sum_row + len(people)
    if people:
        total_rng = xl_range(sum_row + 1, 5, last, 5)
        ws.conditional_format(total_rng, {"type": "cell", "criteria": ">=", "value": cards.bonus_tiers[0].min, "format": f["good"]})
        low = min((t.min for t in cards.bonus_tiers if t.min > 0), default=60)
        ws.conditional_format(total_rng, {"type": "cell", "criteria": "between", "minimum": 0, "maximum": low - 1e-9, "format": f["bad"]})
        grade_rng = xl_range(sum_row + 1, 6, last, 6)
        ws.conditional_format(grade_rng, {"type": "cell", "criteria": "==", "value": f'"{cards.grades[0].grade}"', "format": f["good"]})
        ws.conditional_format(grade_rng, {"type": "cell", "criteria": "==", "value": f'"{cards.grades[-1].grade}"', "format": f["bad"]})
        bonus_rng = xl_range(sum_row + 1, 7, last, 7)
        ws.conditional_format(bonus_rng, {"type": "3_color_scale"})
    ws.freeze_panes(sum_row + 1, 1)


def _detail_block(ws: Any, f: dict[str, Any], row: int, r: StaffResult, cards: Scorecards, lang: str) -> tuple[dict[str, tuple[str, Any]], int]:
    ws.merge_range(row, 0, row, 8, f"{r.name} · {r.role_name} · {r.period}", f["block"])
    row += 1
    heads = [tr("指标项", "Item"), tr("周期", "Period"), tr("数值", "Value"), tr("目标", "Target"), tr("达成率", "Achievement"),
             tr("得分(0-10)", "Points (0-10)"), tr("权重%", "Weight %"), tr("加权得分", "Weighted"), tr("计分方式 / 说明", "Scoring / notes")]
    for c, h in enumerate(heads):
        ws.write(row, c, h, f["head"])
    row += 1
    first = row
    for it in r.items:
        ws.write(row, 0, it.name, f["text"])
        ws.write(row, 1, it.period, f["text"])
        vfmt = f["pct"] if it.unit == "ratio" else f["num"]
        ws.write(row, 2, it.value, vfmt) if it.value is not None else ws.write_blank(row, 2, None, f["num"])
        tfmt = f["pct"] if it.unit == "ratio" else f["num"]
        ws.write(row, 3, it.target, tfmt) if it.target is not None else ws.write_blank(row, 3, None, f["num"])
        ws.write(row, 4, it.achievement, f["pct"]) if it.achievement is not None else ws.write_blank(row, 4, None, f["pct"])
        if it.points is not None:
            ws.write_number(row, 5, it.points, f["num"])
        else:
            ws.write_blank(row, 5, None, f["num"])
        ws.write_number(row, 6, it.weight, f["num"])
        pts, wgt = xl_rowcol_to_cell(row, 5), xl_rowcol_to_cell(row, 6)
        ws.write_formula(row, 7, f'=IF({pts}="","",{pts}*{wgt}/10)', f["num"], "" if it.weighted is None else it.weighted)
        note = it.scoring + (f" · {it.detail}" if it.detail else "") + (f" · {it.reason}" if it.reason else "")
        ws.write(row, 8, note, f["text"])
        row += 1
    last = row - 1
    pts_rng, w_rng = xl_range(first, 5, last, 5), xl_range(first, 6, last, 6)
    cells: dict[str, tuple[str, Any]] = {}

    def line(label: str, key: str, formula: str | None, value: Any, fmt: str = "num") -> None:
        nonlocal row
        ws.write(row, 0, label, f["block"])
        if formula is None:
            if value is None:
                ws.write_blank(row, 2, None, f[fmt])
            else:
                ws.write(row, 2, value, f[fmt])
        else:
            ws.write_formula(row, 2, formula, f[fmt], "" if value is None else value)
        cells[key] = (xl_rowcol_to_cell(row, 2, row_abs=True, col_abs=True), value)
        row += 1

    line(tr("系统评分（0-100）", "System score (0-100)"), "system",
         f'=IFERROR(10*SUMPRODUCT({pts_rng},{w_rng})/SUMIF({pts_rng},"<>",{w_rng}),"")', r.system_score, "bold_num")
    line(tr("上级评分", "Supervisor score"), "supervisor", None, r.supervisor_score)
    line(tr("自评", "Self score"), "self", None, r.self_score)
    sys_c, sup_c, self_c = (cells[k][0] for k in ("system", "supervisor", "self"))
    if r.blending:
        b = r.blending
        num = f'{b["supervisor"]:g}*N({sup_c})+{b["self"]:g}*N({self_c})+{b["system"]:g}*N({sys_c})'
        den = f'{b["supervisor"]:g}*({sup_c}<>"")+{b["self"]:g}*({self_c}<>"")+{b["system"]:g}*({sys_c}<>"")'
        line(tr(f"总分（7-2-1：{b['supervisor']:g}/{b['self']:g}/{b['system']:g}）", f"Total (7-2-1: {b['supervisor']:g}/{b['self']:g}/{b['system']:g})"),
             "total", f'=IFERROR(({num})/({den}),"")', r.total, "bold_num")
    else:
        line(tr("总分（= 系统评分）", "Total (= system score)"), "total", f'=IF({sys_c}="","",{sys_c})', r.total, "bold_num")
    tot = cells["total"][0]
    grades = [(g.min, g.grade) for g in cards.grades]
    line(tr("等级", "Grade"), "grade", f'=IF({tot}="","",{_ifs(tot, grades[:-1], grades[-1][1])})', r.grade, "text")
    tiers = [(t.min, t.coefficient) for t in cards.bonus_tiers]
    line(tr("奖金系数", "Bonus coefficient"), "bonus", f'=IF({tot}="","",{_ifs(tot, tiers[:-1], tiers[-1][1])})', r.bonus)
    hist_cells = [tot]
    for label, total in r.history[1:]:
        line(tr(f"{label} 总分", f"{label} total"), f"hist_{label}", None, None if total is None else round(total, 4))
        hist_cells.append(cells[f"hist_{label}"][0])
    above = cards.promotion.above
    # streak: count from this period backwards while the total stays above the bar
    streak_f = "0"
    for ref in reversed(hist_cells):
        streak_f = f'IF(N({ref})>{above:g},1+{streak_f},0)'
    line(tr(f"连续 >{above:g} 分期数", f"Periods > {above:g} in a row"), "streak", f"={streak_f}", r.streak, "int")
    streak_c = cells["streak"][0]
    yes, no = tr("是", "yes"), tr("否", "no")
    line(tr("可晋升", "Promotion eligible"), "promotion", f'=IF({streak_c}>={cards.promotion.consecutive},"{yes}","{no}")',
         yes if r.promotion_eligible else no, "text")
    return cells, row + 1


def _method_sheet(wb: Any, f: dict[str, Any], name: str, cards: Scorecards, lang: str) -> None:
    ws = wb.add_worksheet(name)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 6, 16)
    ws.set_column(7, 7, 60)
    lines = [
        tr("计分方法", "Method"),
        tr("得分 0–10：linear = 10 × min(达成率, 上限)；tiers = 达成率所在档位（达标 8–10 分，不足递减）；threshold = 达标 10 分。",
           "Points 0–10: linear = 10 × min(achievement, cap); tiers = the tier the achievement reaches (meet → 8–10, below → less); threshold = 10 when met."),
        tr("系统评分 = 10 × Σ(权重 × 得分) ÷ Σ(可测量项的权重)；无法测量的项不计入（空白）。",
           "System score = 10 × Σ(weight × points) ÷ Σ(weights of measurable items); items that could not be measured are left out (blank)."),
        tr(f"销售项仅在所负责社群满意度 ≥ {cards.csat_gate.min:.0%} 时计分，否则记 0 分。",
           f"Sales items count only while the communities' csat ≥ {cards.csat_gate.min:.0%}; otherwise they score 0."),
        tr(f"7-2-1：上级 {cards.blending.supervisor:g}、自评 {cards.blending.self_:g}、系统 {cards.blending.system:g}（{'启用' if cards.blending.enabled else '未启用：总分 = 系统评分'}）。",
           f"7-2-1: supervisor {cards.blending.supervisor:g}, self {cards.blending.self_:g}, system {cards.blending.system:g} ({'on' if cards.blending.enabled else 'off: total = system score'})."),
        tr("奖金系数：", "Bonus coefficient: ") + "; ".join(f"≥{t.min:g} → {t.coefficient:g}" for t in cards.bonus_tiers),
        tr(f"晋升：连续 {cards.promotion.consecutive} 期总分 > {cards.promotion.above:g}。",
           f"Promotion: {cards.promotion.consecutive} periods in a row with a total above {cards.promotion.above:g}."),
    ]
    ws.write(0, 0, lines[0], f["title"])
    for i, text in enumerate(lines[1:], start=1):
        ws.write(i, 0, text)
    row = len(lines) + 1
    for role, card in cards.roles.items():
        ws.merge_range(row, 0, row, 7, f"{role} · {card.name(lang)}", f["block"])
        row += 1
        for c, h in enumerate([tr("指标项", "Item"), tr("来源", "Source"), tr("测量", "Measure"), tr("目标", "Target"),
                               tr("权重%", "Weight %"), tr("计分", "Scoring"), tr("销售项", "Sales"), tr("说明", "Notes")]):
            ws.write(row, c, h, f["head"])
        row += 1
        for it in card.items:
            ws.write_row(row, 0, [it.name(lang), it.source, it.measure or "", "" if it.target is None else it.target, it.weight,
                                  it.scoring.fn, "✓" if it.sales else "", it.training(lang) or ""], f["text"])
            row += 1
        row += 1
