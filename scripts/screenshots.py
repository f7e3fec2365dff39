"""Regenerate the dashboard and report screenshots in docs/screenshots/ (`make screenshots`).

Builds a workspace (the demo generator's tiny data set when available, else the test sample), starts the
dashboard on a free local port, logs in with Playwright driving Debian's Chromium (/usr/bin/chromium, no
browser download), and saves PNGs of the main pages, plus the first page of the PDF report rendered to PNG
(the PDF is printed by the same Chromium, and its first page screenshotted from Chromium's PDF viewer-free
rendering of the report HTML at A4 size).

Usage: .venv/bin/python scripts/screenshots.py [--workspace WS] [--period 2026-10] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from qunkpi.reports.pdf import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = CHROMIUM_ARGS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_workspace(target: Path) -> tuple[Path, str]:
    """A workspace with data: the demo generator (tiny) when it exists, else the test sample."""
    try:
        from qunkpi.demo.generator import generate  # type: ignore[import-not-found]
        from qunkpi.importers.canonical import import_path
        from qunkpi.workspace import Workspace

        data = target.parent / "demo-data"
        generate(data, scale="tiny", seed=7, end_month="2026-10")
        ws = Workspace.init(target)
        import_path(ws, data)
        try:
            from qunkpi.classify.engine import classify_workspace  # type: ignore[import-not-found]

            classify_workspace(ws)
        except ImportError:
            pass
        ws.close()
        # a stored KPI plan for the first community, so the community page shows targets (best effort)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "qunkpi.cli.main",
                "plan",
                "suggest",
                "--workspace",
                str(target),
                "--community",
                "c_b2b01",
                "--period",
                "2026-09",
                "--save",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        return target, "2026-10"
    except ImportError:
        sys.path.insert(0, str(ROOT / "tests" / "web"))
        import sample_ws  # type: ignore[import-not-found]

        sample_ws.build(target)
        return target, "2026-10"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path)
    ap.add_argument("--period")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    a = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(
            "需要 Debian 的 chromium：make browser-deps / needs Debian's chromium: run `make browser-deps`"
        )
    from playwright.sync_api import sync_playwright

    from qunkpi.reports.pdf import write_pdf_report
    from qunkpi.web.auth import UserStore
    from qunkpi.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="qunkpi-shots-"))
    ws_path, period = (a.workspace, a.period or "2026-10") if a.workspace else build_workspace(tmp / "ws")
    period = a.period or period
    store = UserStore(ws_path)
    if store.get("shots") is None:
        store.add("shots", "screenshots-only-pw", "admin", display_name="截图", replace=True)
    a.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "qunkpi.cli.main", "serve", "--workspace", str(ws_path), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.goto(base + "/login")
            page.fill("#username", "shots")
            page.fill("#password", "screenshots-only-pw")
            page.click("#login-submit")
            page.wait_for_url(base + "/")
            shots = [
                ("overview_zh.png", f"/?period={period}"),
                ("community_zh.png", None),
                ("content_zh.png", f"/content?period={period}"),
                ("glossary_zh.png", "/glossary"),
            ]
            for name, url in shots:
                if url is None:
                    page.goto(f"{base}/?period={period}")
                    page.wait_for_selector(".card a.cname")
                    page.click(".card a.cname")
                    page.wait_for_selector("#ns-chart[data-rendered]")
                else:
                    page.goto(base + url)
                page.wait_for_load_state("networkidle")
                time.sleep(0.5)
                page.screenshot(path=str(a.out / name), full_page=True)
                print("wrote", a.out / name)
            page.goto(f"{base}/lang/en?next=/%3Fperiod%3D{period}")
            page.wait_for_load_state("networkidle")
            time.sleep(0.5)
            page.screenshot(path=str(a.out / "overview_en.png"), full_page=True)
            print("wrote", a.out / "overview_en.png")
            browser.close()
        # the PDF report: write it, then render its first page to PNG (pdftoppm when present, else Chromium)
        with Workspace.open(ws_path, read_only=True) as ws:
            pdf = write_pdf_report(ws, period, tmp / "report.pdf")
        if shutil.which("pdftoppm"):
            pages = tmp / "pages"
            pages.mkdir()
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "2", str(pdf), str(pages / "p")], check=True
            )
            for i, png in enumerate(
                sorted(pages.glob("p*.png")), 1
            ):  # pdftoppm pads the number to the page count
                shutil.move(str(png), a.out / f"report_pdf_page-{i}.png")
                print("wrote", a.out / f"report_pdf_page-{i}.png")
        else:
            print(
                "pdftoppm not found (apt-get install poppler-utils) — PDF page screenshot skipped",
                file=sys.stderr,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
        if not a.workspace:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
