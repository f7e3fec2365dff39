"""The PDF report: the HTML report printed by headless Chromium (Debian's /usr/bin/chromium via Playwright).

Charts are drawn by ECharts (SVG renderer) inside Chromium before printing, so they are vector graphics in the
PDF; Chinese text uses the system's Noto CJK fonts (Debian fonts-noto-cjk), which Chromium embeds. Nothing is
downloaded: Playwright only drives the browser that is already installed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from qunkpi.errors import QunkpiError
from qunkpi.i18n import get_lang, tr
from qunkpi.reports.data import ReportData
from qunkpi.reports.html import render_html
from qunkpi.reports.model import build_report

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    path = os.environ.get("QUNKPI_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        raise QunkpiError(
            tr(
                f"生成 PDF 需要 Chromium（未找到 {path}）：在 Debian/Ubuntu 上运行 `make browser-deps`（apt-get install chromium fonts-noto-cjk），或用 QUNKPI_CHROMIUM 指定路径；也可以先生成 HTML 报告再用浏览器打印",
                f"PDF output needs Chromium (not found at {path}): run `make browser-deps` (apt-get install chromium fonts-noto-cjk) on Debian/Ubuntu, or set QUNKPI_CHROMIUM; or write the HTML report and print it from a browser",
            )
        )
    return path


def html_to_pdf(html: str, out: Path) -> Path:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        raise QunkpiError(
            tr(
                "生成 PDF 需要 Python 包 playwright（pip install playwright；无需 playwright install）",
                "PDF output needs the Python package playwright (pip install playwright; no `playwright install` needed)",
            )
        ) from e
    exe = chromium_path()
    with tempfile.TemporaryDirectory(prefix="qunkpi-pdf-") as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(html, encoding="utf-8")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1000, "height": 1400})
                page.goto(src.as_uri())
                page.wait_for_function("window.__qunkpiChartsDone === true", timeout=30000)
                page.emulate_media(media="print")
                out.parent.mkdir(parents=True, exist_ok=True)
                page.pdf(
                    path=str(out),
                    format="A4",
                    print_background=True,
                    margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"},
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template='<div style="font-size:8px;width:100%;text-align:center;color:#888"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
                )
            finally:
                browser.close()
    return out


def write_pdf_report(
    ws: Workspace,
    period: str,
    out_path: Path | str,
    communities: list[str] | None = None,
    lang: str | None = None,
) -> Path:
    """Write the report for ``period`` as a PDF (A4, charts rendered, CJK fonts embedded)."""
    chromium_path()  # fail early, before computing anything
    report = build_report(ReportData(ws), period, communities, lang or get_lang())
    return html_to_pdf(render_html(report), Path(out_path))
