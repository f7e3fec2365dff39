"""The Excel report: one sheet per section, native Excel charts (xlsxwriter), numbers stored as numbers.

Sheets: 摘要 Summary (summary, North Stars, top 3 problems) · KPI (every community × metric with previous,
target/benchmark, status) · 趋势 Trends (North Star per period + line charts) · 入退群 Joins (per bucket +
column chart) · 来源 Sources (pie) · 热力图 Heat map (hour × weekday with a colour scale) · 活动 Activities
(bar chart) · 预警 Alerts · 内容 Content (funnel data + bar chart) · 口径 Definitions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from qunkpi.i18n import get_lang, tr
from qunkpi.reports.data import ReportData
from qunkpi.reports.model import build_report, refs

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

FONT = "Microsoft YaHei"


def _num_format(unit: str) -> str:
    return {"ratio": "0.0%", "count": "#,##0", "yuan": "¥#,##0.00", "seconds": "#,##0", "points": "0.0"}.get(
        unit, "#,##0.00"
    )


def write_report_workbook(report: dict[str, Any], out: Path) -> Path:
    lang = report["lang"]

    def t(zh: str, en: str) -> str:
        return tr(zh, en, lang)

    out.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out))
    base = {"font_name": FONT, "font_size": 10}
    f_title = wb.add_format({**base, "bold": True, "font_size": 14})
    f_head = wb.add_format({**base, "bold": True, "bg_color": "#E7F1FF", "border": 1})
    f_text = wb.add_format({**base, "text_wrap": True, "valign": "top"})
    f_plain = wb.add_format(base)
    fmt_cache: dict[str, Any] = {}

    def f_num(unit: str) -> Any:
        if unit not in fmt_cache:
            fmt_cache[unit] = wb.add_format({**base, "num_format": _num_format(unit)})
        return fmt_cache[unit]

    def header(ws: Worksheet, row: int, cols: list[str]) -> None:
        for i, c in enumerate(cols):
            ws.write(row, i, c, f_head)

    def put(ws: Worksheet, row: int, col: int, v: Any, unit: str | None = None) -> None:
        if v is None:
            ws.write_blank(row, col, None, f_plain)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            ws.write_number(row, col, float(v), f_num(unit or "number"))
        else:
            ws.write(row, col, str(v), f_plain)

    period = report["period"]
    # -- Summary ----------------------------------------------------------------------------------
    s = wb.add_worksheet(t("摘要", "Summary"))
    s.set_column(0, 0, 110)
    s.write(0, 0, f"{report['title']} · {period.label}", f_title)
    s.write(
        1,
        0,
        t(
            f"对比 {report['previous'].label} · 生成于 {report['generated_at']}",
            f"compared with {report['previous'].label} · generated {report['generated_at']}",
        ),
        f_plain,
    )
    row = 3
    for sent in report["summary"]:
        s.write(row, 0, sent, f_text)
        s.set_row(row, 32)
        row += 1
    row += 1
    s.write(row, 0, t("本期最需要处理的 3 个问题", "Top 3 problems and actions"), f_title)
    row += 1
    probs = report["problems"]
    if probs.get("note"):
        s.write(row, 0, probs["note"], f_text)
        row += 1
    for i, p in enumerate(probs["items"], 1):
        action = f"  → {p['action']}" if p.get("action") else ""
        s.write(row, 0, f"{i}. {p['community']} · {p['title']}: {p['text']}{action}", f_text)
        s.set_row(row, 30)
        row += 1
    if not probs["items"]:
        s.write(row, 0, t("本期没有发现问题。", "No problem found in this period."), f_plain)

    # -- KPIs -------------------------------------------------------------------------------------
    k = wb.add_worksheet("KPI")
    cols = [
        t("社群", "Community"),
        t("族", "Family"),
        t("指标", "Metric"),
        "id",
        t("本期", "This period"),
        t("上期", "Previous"),
        t("变化", "Change"),
        t("目标 / 基准", "Target / benchmark"),
        t("状态", "Status"),
        t("北极星", "North Star"),
    ]
    header(k, 0, cols)
    k.set_column(0, 0, 16)
    k.set_column(1, 2, 18)
    k.set_column(3, 3, 24)
    k.set_column(4, 6, 12)
    k.set_column(7, 8, 16)
    row = 1
    for c in report["communities"]:
        for f in c["all_families"]:
            for m in f["metrics"]:
                k.write(row, 0, c["name"], f_plain)
                k.write(row, 1, f["name"], f_plain)
                k.write(row, 2, m["name"], f_plain)
                k.write(row, 3, m["metric"], f_plain)
                put(k, row, 4, m["value"], m["unit"])
                put(k, row, 5, m["previous"], m["unit"])
                put(k, row, 6, m["delta"], m["unit"])
                k.write(row, 7, refs(m), f_plain)
                k.write(row, 8, m["status_text"], f_plain)
                k.write(row, 9, "★" if m["metric"] == c["north_star"]["metric"] else "", f_plain)
                row += 1
    k.autofilter(0, 0, max(row - 1, 1), len(cols) - 1)
    k.freeze_panes(1, 0)

    # -- Trends -----------------------------------------------------------------------------------
    tr_ws = wb.add_worksheet(t("趋势", "Trends"))
    row = 0
    for c in report["communities"]:
        ns = c["north_star"]
        tr_ws.write(row, 0, f"{c['name']} · {ns['name']}", f_title)
        header(tr_ws, row + 1, [t("周期", "Period"), ns["name"], t("目标/基准线", "Reference line")])
        ref = (ns.get("target") or {}).get("value")
        if ref is None and ns.get("benchmark"):
            ref = ns["benchmark"]["value"]
        for i, (lbl, v) in enumerate(zip(c["trend_periods"], ns["trend"], strict=True)):
            tr_ws.write(row + 2 + i, 0, lbl, f_plain)
            put(tr_ws, row + 2 + i, 1, v, ns["unit"])
            put(tr_ws, row + 2 + i, 2, ref, ns["unit"])
        n = len(c["trend_periods"])
        ch = wb.add_chart({"type": "line"})
        sheet = tr_ws.get_name()
        ch.add_series(
            {
                "name": ns["name"],
                "categories": [sheet, row + 2, 0, row + 1 + n, 0],
                "values": [sheet, row + 2, 1, row + 1 + n, 1],
                "marker": {"type": "circle"},
            }
        )
        if ref is not None:
            ch.add_series(
                {
                    "name": t("目标/基准", "target/benchmark"),
                    "categories": [sheet, row + 2, 0, row + 1 + n, 0],
                    "values": [sheet, row + 2, 2, row + 1 + n, 2],
                    "line": {"dash_type": "dash", "color": "#F08C00"},
                }
            )
        ch.set_title({"name": f"{c['name']} · {ns['name']}", "name_font": {"name": FONT, "size": 11}})
        ch.set_legend({"position": "bottom"})
        ch.set_size({"width": 620, "height": 260})
        tr_ws.insert_chart(row, 4, ch)
        row += max(n + 3, 14)
    tr_ws.set_column(0, 0, 24)
    tr_ws.set_column(1, 2, 14)

    # -- Joins / leaves ---------------------------------------------------------------------------
    j = wb.add_worksheet(t("入退群", "Joins"))
    row = 0
    for c in report["communities"]:
        w = c.get("waterfall")
        j.write(row, 0, c["name"], f_title)
        if not w:
            j.write(row + 1, 0, c["notes"].get("waterfall", ""), f_plain)
            row += 3
            continue
        header(j, row + 1, [t("区间", "Bucket"), t("入群", "Joins"), t("退群", "Leaves"), t("净增", "Net")])
        for i, b in enumerate(w["buckets"]):
            r = row + 2 + i
            j.write(r, 0, b["bucket"], f_plain)
            put(j, r, 1, b["joins"], "count")
            put(j, r, 2, b["leaves"], "count")
            j.write_formula(r, 3, f"=B{r + 1}-C{r + 1}", f_num("count"), b["joins"] - b["leaves"])
        n = len(w["buckets"])
        j.write(
            row + 2 + n,
            0,
            t(f"期初 {w['start']:.0f} · 期末 {w['end']:.0f}", f"start {w['start']:.0f} · end {w['end']:.0f}"),
            f_plain,
        )
        ch = wb.add_chart({"type": "column"})
        sheet = j.get_name()
        ch.add_series(
            {
                "name": t("入群", "Joins"),
                "categories": [sheet, row + 2, 0, row + 1 + n, 0],
                "values": [sheet, row + 2, 1, row + 1 + n, 1],
                "fill": {"color": "#2F9E44"},
            }
        )
        ch.add_series(
            {
                "name": t("退群", "Leaves"),
                "categories": [sheet, row + 2, 0, row + 1 + n, 0],
                "values": [sheet, row + 2, 2, row + 1 + n, 2],
                "fill": {"color": "#E03131"},
            }
        )
        ch.set_title(
            {
                "name": t(f"{c['name']} 入群 / 退群", f"{c['name']} joins / leaves"),
                "name_font": {"name": FONT, "size": 11},
            }
        )
        ch.set_size({"width": 560, "height": 240})
        j.insert_chart(row, 5, ch)
        row += max(n + 4, 14)
    j.set_column(0, 0, 26)

    # -- Sources ----------------------------------------------------------------------------------
    so = wb.add_worksheet(t("来源", "Sources"))
    row = 0
    for c in report["communities"]:
        src = c.get("sources")
        so.write(row, 0, c["name"], f_title)
        if not src:
            so.write(row + 1, 0, c["notes"].get("sources", ""), f_plain)
            row += 3
            continue
        header(so, row + 1, [t("渠道", "Channel"), t("入群", "Joins"), t("占比", "Share")])
        for i, it in enumerate(src["items"]):
            so.write(row + 2 + i, 0, it["channel"], f_plain)
            put(so, row + 2 + i, 1, it["joins"], "count")
            put(so, row + 2 + i, 2, it["share"], "ratio")
        n = len(src["items"])
        ch = wb.add_chart({"type": "pie"})
        sheet = so.get_name()
        ch.add_series(
            {
                "name": t("来源渠道", "Sources"),
                "categories": [sheet, row + 2, 0, row + 1 + n, 0],
                "values": [sheet, row + 2, 1, row + 1 + n, 1],
                "data_labels": {"percentage": True, "category": True},
            }
        )
        ch.set_title(
            {
                "name": t(f"{c['name']} 新成员来源", f"{c['name']} join sources"),
                "name_font": {"name": FONT, "size": 11},
            }
        )
        ch.set_size({"width": 420, "height": 260})
        so.insert_chart(row, 4, ch)
        row += max(n + 4, 15)
    so.set_column(0, 0, 22)

    # -- Heat map ---------------------------------------------------------------------------------
    hm = wb.add_worksheet(t("热力图", "Heat map"))
    row = 0
    for c in report["communities"]:
        h = c.get("heatmap")
        hm.write(
            row,
            0,
            t(f"{c['name']} 成员消息（小时 × 星期）", f"{c['name']} member messages (hour × weekday)"),
            f_title,
        )
        if not h:
            hm.write(row + 1, 0, c["notes"].get("heatmap", ""), f_plain)
            row += 3
            continue
        header(hm, row + 1, ["", *h["hours"]])
        grid = [[0] * 24 for _ in range(7)]
        for hour, day, n in h["cells"]:
            grid[day][hour] = n
        for d, name in enumerate(h["weekdays"]):
            hm.write(row + 2 + d, 0, name, f_head)
            for hour in range(24):
                hm.write_number(row + 2 + d, 1 + hour, grid[d][hour], f_plain)
        hm.conditional_format(
            row + 2, 1, row + 8, 24, {"type": "2_color_scale", "min_color": "#FFFFFF", "max_color": "#1C7ED6"}
        )
        row += 11
    hm.set_column(1, 24, 4)

    # -- Activities -------------------------------------------------------------------------------
    ac = wb.add_worksheet(t("活动", "Activities"))
    header(
        ac,
        0,
        [
            t("社群", "Community"),
            t("活动", "Activity"),
            t("开始", "Start"),
            t("触达", "Notified"),
            t("参与", "Participants"),
            t("参与率", "Participation"),
            t("成交人数", "Buyers"),
            t("转化率", "Conversion"),
        ],
    )
    row = 1
    for c in report["communities"]:
        for a in c.get("activities", []):
            ac.write(row, 0, c["name"], f_plain)
            ac.write(row, 1, a["name"], f_plain)
            ac.write(row, 2, (a.get("start_at") or "")[:16], f_plain)
            put(ac, row, 3, a["notified_count"], "count")
            put(ac, row, 4, a["participants"], "count")
            put(ac, row, 5, a["participation_rate"], "ratio")
            put(ac, row, 6, a["buyers"], "count")
            put(ac, row, 7, a["conversion_rate"], "ratio")
            row += 1
    if row > 1:
        ch = wb.add_chart({"type": "column"})
        sheet = ac.get_name()
        ch.add_series(
            {
                "name": t("参与率", "Participation"),
                "categories": [sheet, 1, 1, row - 1, 1],
                "values": [sheet, 1, 5, row - 1, 5],
            }
        )
        ch.add_series(
            {
                "name": t("转化率", "Conversion"),
                "categories": [sheet, 1, 1, row - 1, 1],
                "values": [sheet, 1, 7, row - 1, 7],
            }
        )
        ch.set_y_axis({"num_format": "0%"})
        ch.set_title(
            {
                "name": t("活动参与率与转化率", "Activity participation and conversion"),
                "name_font": {"name": FONT, "size": 11},
            }
        )
        ac.insert_chart(row + 1, 1, ch)
    else:
        ac.write(1, 0, t("本周期没有活动", "no activities in this period"), f_plain)
    ac.set_column(0, 2, 18)

    # -- Alerts -----------------------------------------------------------------------------------
    al = wb.add_worksheet(t("预警", "Alerts"))
    header(
        al,
        0,
        [
            t("社群", "Community"),
            t("严重度", "Severity"),
            t("预警", "Alert"),
            t("指标", "Metric"),
            t("数值", "Value"),
            t("阈值", "Threshold"),
            t("建议动作", "Action"),
        ],
    )
    row = 1
    any_available = False
    for c in report["communities"]:
        a = c["alerts"]
        if not a.get("available"):
            continue
        any_available = True
        for it in a["items"]:
            for col, v in enumerate(
                [
                    c["name"],
                    it.get("severity"),
                    it.get("title"),
                    it.get("metric"),
                    it.get("value"),
                    it.get("threshold"),
                    it.get("action"),
                ]
            ):
                put(al, row, col, v)
            row += 1
    if not any_available and report["communities"]:
        al.write(1, 0, report["communities"][0]["alerts"].get("reason", ""), f_plain)
    al.set_column(0, 3, 18)
    al.set_column(6, 6, 60)

    # -- Content ----------------------------------------------------------------------------------
    co = wb.add_worksheet(t("内容", "Content"))
    content = report["content"]
    if not content.get("available"):
        co.write(0, 0, content.get("reason", ""), f_plain)
    else:
        header(co, 0, [t("环节", "Stage"), t("人数", "People")])
        for i, f in enumerate(content["funnel"]):
            co.write(1 + i, 0, f["stage"], f_plain)
            put(co, 1 + i, 1, f["value"], "count")
        ch = wb.add_chart({"type": "bar"})
        sheet = co.get_name()
        ch.add_series(
            {
                "name": t("传播漏斗", "Propagation funnel"),
                "categories": [sheet, 1, 0, 4, 0],
                "values": [sheet, 1, 1, 4, 1],
                "fill": {"color": "#1C7ED6"},
            }
        )
        ch.set_y_axis({"reverse": True})
        ch.set_title(
            {
                "name": t(
                    "传播漏斗：送达 → 阅读 → 分享 → 分享带来的阅读",
                    "Funnel: delivered → read → shared → read from shares",
                ),
                "name_font": {"name": FONT, "size": 11},
            }
        )
        ch.set_legend({"none": True})
        co.insert_chart(0, 3, ch)
        r0 = 18
        header(
            co,
            r0,
            [
                t("发布时间", "Published"),
                t("账号", "Account"),
                t("标题", "Title"),
                t("送达", "Delivered"),
                t("阅读", "Read"),
                t("打开率", "Open rate"),
                t("分享率", "Share rate"),
                t("二次传播占比", "Read from shares"),
            ],
        )
        for i, p in enumerate(content["posts"]):
            r = r0 + 1 + i
            co.write(r, 0, (p.get("published_at") or "")[:16], f_plain)
            co.write(r, 1, p["account_id"], f_plain)
            co.write(r, 2, p.get("title") or "", f_plain)
            put(co, r, 3, p.get("delivered"), "count")
            put(co, r, 4, p.get("read_users"), "count")
            put(co, r, 5, p.get("open_rate"), "ratio")
            put(co, r, 6, p.get("share_rate"), "ratio")
            put(co, r, 7, p.get("secondary_share"), "ratio")
        co.set_column(0, 1, 16)
        co.set_column(2, 2, 30)

    # -- Definitions ------------------------------------------------------------------------------
    g = wb.add_worksheet(t("口径", "Definitions"))
    header(g, 0, ["id", t("名称", "Name"), t("定义", "Definition")])
    for i, m in enumerate(report["glossary"]):
        g.write(1 + i, 0, m["id"], f_plain)
        g.write(1 + i, 1, m["name"], f_plain)
        g.write(1 + i, 2, m["definition"], f_text)
    g.set_column(0, 1, 24)
    g.set_column(2, 2, 100)
    wb.close()
    return out


def write_xlsx_report(
    ws: Workspace,
    period: str,
    out_path: Path | str,
    communities: list[str] | None = None,
    lang: str | None = None,
) -> Path:
    """Write the report for ``period`` as an Excel workbook (one sheet per section, native charts)."""
    report = build_report(ReportData(ws), period, communities, lang or get_lang())
    return write_report_workbook(report, Path(out_path))
