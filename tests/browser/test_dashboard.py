"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium, installed by `make browser-deps`
with fonts-noto-cjk; nothing is downloaded at run time). One server and one browser for the whole module.

Skipped only when /usr/bin/chromium is missing and QUNKPI_REQUIRE_BROWSER is not set; with it set, a missing
browser is a failure.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qunkpi.reports.pdf import CHROMIUM_ARGS

CHROMIUM = os.environ.get("QUNKPI_CHROMIUM", "/usr/bin/chromium")
ARGS = CHROMIUM_ARGS
PASSWORD = "browser-test-pw"

if not Path(CHROMIUM).exists():
    if os.environ.get("QUNKPI_REQUIRE_BROWSER"):
        raise RuntimeError(
            f"QUNKPI_REQUIRE_BROWSER is set but {CHROMIUM} is missing: run `make browser-deps`"
        )
    pytest.skip(
        f"{CHROMIUM} not installed (run `make browser-deps`; set QUNKPI_REQUIRE_BROWSER=1 to make this an error)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.browser
sys.path.insert(0, str(Path(__file__).parent.parent / "web"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import sample_ws  # type: ignore[import-not-found]
    import uvicorn

    from qunkpi.web.app import create_app
    from qunkpi.web.auth import UserStore

    path = sample_ws.build(tmp_path_factory.mktemp("browser") / "ws")
    store = UserStore(path)
    store.add("admin", PASSWORD, "admin")
    store.add("op1", PASSWORD, "operator", communities=["c1"])
    store.add("op2", PASSWORD, "operator", communities=["c2"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(create_app(path, warm=True), host="127.0.0.1", port=port, log_level="warning")
    )
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def login(browser: Any, base: str, user: str) -> Any:
    ctx = browser.new_context(viewport={"width": 1360, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/")
    assert "/login" in page.url  # not logged in → the login page
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(base + "/")
    page.errors = errors  # type: ignore[attr-defined]
    return page


def canvas_painted(page: Any, selector: str) -> bool:
    """The chart in ``selector`` has a canvas of non-zero size with at least one non-transparent pixel."""
    return bool(
        page.eval_on_selector(
            selector,
            """el => { const c = el.querySelector('canvas'); if (!c || !c.width || !c.height) return false;
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) return true; } return false; }""",
        )
    )


def test_overview_community_language_and_period(server: str, browser: Any) -> None:
    page = login(browser, server, "op1")
    page.wait_for_selector(".card[data-community='c1']")
    assert page.locator(".card").count() == 1  # op1 sees only c1
    assert "轻食打卡营" in page.inner_text("#cards")
    assert "社群总览" in page.inner_text("h1")
    page.wait_for_selector(".card .spark[data-rendered]")
    assert canvas_painted(page, ".card .spark")
    # Chinese renders with a CJK font, not boxes
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"')")
    # community page: the North Star trend and the charts below it are drawn
    page.click(".card a.cname")
    page.wait_for_url("**/community/c1**")
    page.wait_for_selector("#ns-chart[data-rendered]")
    page.wait_for_selector("#waterfall-chart[data-rendered]")
    page.wait_for_selector("#heatmap-chart[data-rendered]")
    for sel in ("#ns-chart", "#waterfall-chart", "#sources-chart", "#heatmap-chart"):
        assert canvas_painted(page, sel), sel
    assert "¥357" in page.inner_text("#ns-card")
    # switch the language
    page.click("#lang-switch")
    page.wait_for_selector("#ns-chart[data-rendered]")
    assert "North Star" in page.inner_text("#plan")
    assert page.evaluate("document.documentElement.lang") == "en"
    # switch the period: a week
    page.select_option("#grain", "week")
    page.wait_for_url("**period=2026-W**")
    page.wait_for_selector("#ns-chart[data-rendered]")
    assert "2026-W" in page.inner_text("#community-title")
    assert not page.errors, page.errors  # type: ignore[attr-defined]
    page.context.close()


def test_operator_cannot_reach_another_operators_community(server: str, browser: Any) -> None:
    page = login(browser, server, "op1")
    r = page.goto(server + "/community/c2")
    assert r is not None and r.status == 404
    assert "c2" not in page.inner_text("main") or "404" in page.inner_text("main")
    api = page.request.get(server + "/api/v1/communities/c2?period=2026-10")
    assert api.status == 404
    # from the page's own JavaScript as well (same cookie)
    status = page.evaluate("fetch('/api/v1/communities/c2/heatmap').then(r => r.status)")
    assert status == 404
    ok = page.request.get(server + "/api/v1/communities/c1?period=2026-10")
    assert ok.status == 200
    page.context.close()
    other = login(browser, server, "op2")
    assert other.request.get(server + "/api/v1/communities/c2?period=2026-10").status == 200
    assert other.request.get(server + "/api/v1/communities/c1?period=2026-10").status == 404
    other.context.close()


def test_content_and_glossary_pages(server: str, browser: Any) -> None:
    page = login(browser, server, "admin")
    page.goto(server + "/content?period=2026-10")
    page.wait_for_selector("#funnel-chart[data-rendered]")
    assert canvas_painted(page, "#funnel-chart")
    assert "秋季轻食指南" in page.inner_text("#posts-table")
    page.goto(server + "/glossary")
    page.wait_for_selector("#glossary-table table")
    assert "净增员率" in page.inner_text("#glossary-table")
    assert not page.errors, page.errors  # type: ignore[attr-defined]
    page.context.close()
