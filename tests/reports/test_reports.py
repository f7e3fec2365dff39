"""Report tests: the HTML file is self-contained and matches its snapshot; the Excel workbook has one sheet per
section with native charts; the PDF has its pages, charts and CJK fonts.

Snapshots live in tests/reports/snapshots/; after an intended change, regenerate them with
``QUNKPI_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/reports`` and review the diff.
"""

from __future__ import annotations

import os
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest

SNAPSHOTS = Path(__file__).parent / "snapshots"
# The snapshot reports only these metrics, so a metric added to the catalog does not change it.
SNAPSHOT_METRICS = [
    "members_start",
    "members_end",
    "joins",
    "leaves",
    "net_growth_rate",
    "churn_rate",
    "gmv",
    "orders",
    "buyers",
]


class _Text(HTMLParser):
    """Visible text of a report, one line per block; skips scripts, styles, the generation time and the alert
    blocks and the "chart not available" notes (their wording belongs to other modules, tested with them)."""

    SKIP_IDS: ClassVar[set[str]] = {"problems"}
    SKIP_CLASSES: ClassVar[set[str]] = {
        "gen",
        "alerts-block",
        "chart-na",
    }  # chart-na: wording of other modules (topics, cohorts)
    VOID: ClassVar[set[str]] = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.stack: list[bool] = []  # skip flag per open element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        skip = (
            tag in ("script", "style")
            or a.get("id") in self.SKIP_IDS
            or bool(set((a.get("class") or "").split()) & self.SKIP_CLASSES)
        )
        if tag in ("tr", "p", "h1", "h2", "h3", "li", "dt", "dd", "div"):
            self.flush()
        if tag not in self.VOID:
            self.stack.append(skip or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()
        if tag in ("tr", "p", "h1", "h2", "h3", "li", "dt", "dd", "div", "table"):
            self.flush()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]) and data.strip():
            self.cur.append(data.strip())

    def flush(self) -> None:
        if self.cur:
            self.lines.append(" | ".join(self.cur))
            self.cur = []


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    p.flush()
    return "\n".join(p.lines) + "\n"


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("QUNKPI_UPDATE_SNAPSHOTS") or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not os.environ.get("QUNKPI_UPDATE_SNAPSHOTS"):
            pytest.fail(f"snapshot {name} did not exist; written — review it and run again")
    assert text == path.read_text(encoding="utf-8"), (
        f"report text differs from {path}; if intended, regenerate with QUNKPI_UPDATE_SNAPSHOTS=1"
    )


_BUILT: dict[tuple[str, str], dict] = {}  # type: ignore[type-arg]


def _report(report_ws, lang: str, period: str = "2026-10"):  # type: ignore[no-untyped-def]
    """The sample report, built once per language (building runs every metric, alert and cohort query)."""
    from qunkpi.reports.data import ReportData
    from qunkpi.reports.model import build_report

    key = (lang, period)
    if key not in _BUILT:
        _BUILT[key] = build_report(ReportData(report_ws, metrics=SNAPSHOT_METRICS), period, None, lang)
    return _BUILT[key]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_html_report_snapshot(report_ws, lang: str) -> None:  # type: ignore[no-untyped-def]
    from qunkpi.reports.html import render_html

    html = render_html(_report(report_ws, lang))
    text = visible_text(html)
    # hand-checked lines that the snapshot must hold (tests/web/sample_ws.py):
    if lang == "zh-CN":
        assert "社群运营月报" in text
        # c1 is a sales group → North Star gmv = 199 + 99 + 59 = 357 yuan, nothing in September
        assert "轻食打卡营：北极星指标「成交额」为 ¥357.00，较上期上升¥357.00" in text
        # churn 1/6 = 16.7% against the 5% review line
        assert "退群率 | 16.7% | 0.0% | <= 5% | 未达基准" in text
        assert "十月打卡挑战 | 2026-10-12 20:00 | 8 | 3 | 37.5% | 25.0%" in text
        # sections 一、二、三 are the summary, the KPI table and the problems; the communities continue the count
        assert "四、轻食打卡营" in text and "六、品牌公众号" in text
    else:
        assert "Monthly community report" in text
        assert "Churn rate | 16.7% | 0.0% | <= 5% | below benchmark" in text
    check_snapshot(f"monthly_{lang}.txt", text)


def test_chinese_section_numerals() -> None:
    from qunkpi.reports.html import chinese_numeral

    expected = {1: "一", 4: "四", 10: "十", 11: "十一", 20: "二十", 93: "九十三", 100: "一百", 101: "一百零一",
                110: "一百一十", 1010: "一千零一十"}
    assert {n: chinese_numeral(n) for n in expected} == expected


def test_html_report_is_self_contained(report_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from qunkpi.reports.html import write_html_report

    out = write_html_report(report_ws, "2026-10", tmp_path / "r.html", lang="zh-CN")
    html = out.read_text(encoding="utf-8")
    # no external resource of any kind: scripts, styles and data are inline
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html
    assert "echarts" in html and len(html) > 1_000_000  # ECharts (1.1 MB) inlined
    charts = re.findall(r'data-chart="([^"]+)"', html)
    assert {"ns-c1", "waterfall-c1", "sources-c1", "heatmap-c1", "activities-c1", "funnel"} <= set(charts)


def test_top_problems_come_from_alerts_by_severity(report_ws) -> None:  # type: ignore[no-untyped-def]
    r = _report(report_ws, "zh-CN")
    probs = r["problems"]
    assert len(probs["items"]) <= 3
    if probs["source"] == "alerts":
        assert all(p["action"] for p in probs["items"])
    else:  # alert rules not installed: metrics furthest from their reference, without invented actions
        assert all(p["action"] is None for p in probs["items"])


def test_xlsx_report_sheets_and_native_charts(report_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    from qunkpi.reports.xlsx import write_report_workbook

    out = write_report_workbook(_report(report_ws, "zh-CN"), tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "摘要",
        "KPI",
        "趋势",
        "入退群",
        "来源",
        "热力图",
        "活动",
        "预警",
        "内容",
        "口径",
    ]
    kpi = wb["KPI"]
    rows = {(r[0], r[3]): r for r in kpi.iter_rows(min_row=2, values_only=True)}
    assert rows[("轻食打卡营", "joins")][4] == 3
    assert rows[("轻食打卡营", "churn_rate")][4] == pytest.approx(1 / 6)
    assert rows[("轻食打卡营", "gmv")][9] == "★"
    heat = wb["热力图"]
    # the c1 grid: weekday rows start at row 3, hour 20 is column 22 (A = labels, B = hour 00)
    assert heat.cell(row=3, column=1).value == "周一" and heat.cell(row=3, column=22).value == 3
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        kinds = "".join(z.read(n).decode() for n in charts)
    assert len(charts) >= 6
    for kind in ("c:lineChart", "c:barChart", "c:pieChart"):
        assert kind in kinds


def _need_chromium() -> None:
    if not Path(os.environ.get("QUNKPI_CHROMIUM", "/usr/bin/chromium")).exists():
        if os.environ.get("QUNKPI_REQUIRE_BROWSER"):
            pytest.fail("QUNKPI_REQUIRE_BROWSER is set but Chromium is missing: run `make browser-deps`")
        pytest.skip("/usr/bin/chromium not installed (make browser-deps)")


def test_pdf_report_has_pages_charts_and_cjk_fonts(report_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _need_chromium()
    from qunkpi.reports.html import render_html
    from qunkpi.reports.pdf import html_to_pdf

    out = html_to_pdf(render_html(_report(report_ws, "zh-CN")), tmp_path / "r.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 3  # summary page + one page per community (3) at least
    assert b"/FontFile" in data or b"/FontFile2" in data or b"/FontFile3" in data  # fonts embedded
    assert len(data) > 50_000  # charts are vector drawings, not an empty page


def test_report_cli(report_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from qunkpi.cli.main import app

    runner = CliRunner()
    ws_path = str(report_ws.path)
    r = runner.invoke(app, ["report", "--workspace", ws_path, "--period", "2026-10", "--format", "doc"])
    assert r.exit_code != 0 and "html" in r.output
    r = runner.invoke(
        app,
        [
            "report",
            "--workspace",
            ws_path,
            "--period",
            "2026-10",
            "--community",
            "zz",
            "--format",
            "html",
            "--out",
            str(tmp_path / "x.html"),
        ],
    )
    assert r.exit_code != 0 and "zz" in r.output
    r = runner.invoke(
        app,
        [
            "report",
            "--workspace",
            ws_path,
            "--period",
            "2026-W41+2",
            "--community",
            "c1",
            "--format",
            "xlsx",
            "--out",
            str(tmp_path / "two.xlsx"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "two.xlsx").exists()


def test_writers_have_the_demo_signature(report_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from qunkpi.reports.html import write_html_report

    p = write_html_report(report_ws, "2026-W41", tmp_path / "sub" / "w.html", ["c1"])
    assert p == tmp_path / "sub" / "w.html" and p.exists()
    text = visible_text(p.read_text(encoding="utf-8"))
    assert "2026-W41" in text and "售后服务群" not in text  # only the requested community


def test_stored_plan_sets_north_star_targets_and_status(tmp_path: Path) -> None:
    from datetime import date

    import sample_ws  # type: ignore[import-not-found]

    from qunkpi.engine.periods import parse_period
    from qunkpi.plans import Plan, Target, save_plan
    from qunkpi.reports.data import ReportData
    from qunkpi.workspace import Workspace

    path = sample_ws.build(tmp_path / "ws")
    plan = Plan(
        scope="community",
        community_id="c1",
        name="十月计划",
        purpose="sales",
        start="2026-10",
        deadline=date(2026, 12, 31),
        north_star=Target(metric="orders", target=2, actions=["会员日秒杀"]),
        supporting=[
            Target(metric="churn_rate", target=0.05),
            Target(metric="joins", target=3, schedule={"2026-10": 4}),
        ],
    )
    save_plan(path, plan)
    with Workspace.open(path, read_only=True) as ws:
        d = ReportData(ws, metrics=SNAPSHOT_METRICS).community("c1", parse_period("2026-10"), "zh-CN")
    ns = d["north_star"]
    # the plan's North Star replaces the purpose default (gmv): orders = 3 (o1, o2, o3) ≥ 2 → on track
    assert ns["metric"] == "orders" and ns["value"] == 3 and ns["status"] == "on_track"
    assert d["plan"]["details"]["actions"] == ["会员日秒杀"]
    growth = {k["metric"]: k for k in next(f for f in d["families"] if f["family"] == "growth")["metrics"]}
    # churn 1/6 = 16.7% against a 5% target (lower is better): 233% away → off track
    assert growth["churn_rate"]["status"] == "off_track"
    # joins 3 against the October schedule value 4: 25% short → off track; within 10% would be at risk
    assert growth["joins"]["target"]["value"] == 4 and growth["joins"]["status"] == "off_track"
