"""The HTML report: one self-contained file (CSS, ECharts and the chart data inline; no network access needed)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from qunkpi.i18n import get_lang, tr
from qunkpi.reports.data import ReportData
from qunkpi.reports.model import build_report, refs

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

TEMPLATES = Path(__file__).parent / "templates"
ECHARTS = Path(__file__).parent.parent / "web" / "static" / "vendor" / "echarts.min.js"


def chart_options(report: dict[str, Any]) -> dict[str, Any]:
    """All chart options of a report, keyed as the template's ``data-chart`` attributes."""
    out: dict[str, Any] = {}
    for c in report["communities"]:
        out[f"ns-{c['community_id']}"] = c["north_star"]["chart"]
        for key, opt in c["charts"].items():
            out[f"{key}-{c['community_id']}"] = opt
    content = report["content"]
    if content.get("available"):
        out["funnel"] = content["funnel_chart"]
        if content.get("followers_chart"):
            out["followers"] = content["followers_chart"]
    return out


_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三, 105 → 一百零五 (section numbers of the Chinese report, 1 ≤ n < 10000)."""
    if not 0 < n < 10000:
        return str(n)
    out = ""
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero:
                out += "零"
            out += ("" if (unit == "十" and d == 1 and not out) else _DIGITS[d]) + unit
            zero = False
        elif out:
            zero = True
    return out


def render_html(report: dict[str, Any], *, inline_js: bool = True) -> str:
    lang = report["lang"]
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))

    def t(zh: str, en: str) -> str:
        return tr(zh, en, lang)

    def section(n: int) -> str:
        """The numbering of the report's sections: 四、 in Chinese, 4. in English."""
        return t(f"{chinese_numeral(n)}、", f"{n}. ")

    names = {
        "waterfall": t("入群 / 退群瀑布图", "Join / leave waterfall"),
        "sources": t("来源渠道", "Join sources"),
        "cohorts": t("分群留存热力图", "Cohort retention heat map"),
        "heatmap": t("聊天热力图", "Chat heat map"),
        "activities": t("活动参与与转化", "Activities"),
        "topics": t("话题热度", "Topic heat"),
    }
    js = ECHARTS.read_text(encoding="utf-8") if inline_js else "/* echarts omitted */"
    return env.get_template("report.html.j2").render(
        r=report,
        lang=lang,
        t=t,
        section=section,
        refs=refs,
        names=names,
        one_day=timedelta(days=1),
        css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
        options=chart_options(report),
        echarts_js=js,
    )


def write_html_report(
    ws: Workspace,
    period: str,
    out_path: Path | str,
    communities: list[str] | None = None,
    lang: str | None = None,
) -> Path:
    """Write the report for ``period`` (all communities, or ``communities``) as one self-contained HTML file."""
    out = Path(out_path)
    report = build_report(ReportData(ws), period, communities, lang or get_lang())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    return out
