"""Reliability tests (issue 10): fuzzing, crash, concurrency, load and security checks.

``QUNKPI_RELIABILITY=full`` (set by ``make reliability``) runs the full sizes: many more generated cases, more
kill points, the 50-client load test. Without it the same tests run at reduced sizes inside ``make test``.

Every property test counts the cases it ran (``relhelp.CASES``). The counts are printed at the end of a run
without xdist, and each process (xdist worker or not) writes them to ``$QUNKPI_RELIABILITY_OUT/cases-<id>.json``
when that variable is set; ``python -m qunkpi.reliability.summary DIR`` adds them up.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import relhelp


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("QUNKPI_RELIABILITY_OUT")
    if not out or not relhelp.CASES:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / f"cases-{worker}.json").write_text(
        json.dumps(dict(sorted(relhelp.CASES.items())), indent=2), encoding="utf-8"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not relhelp.CASES:
        return
    terminalreporter.section("qunkpi reliability: generated cases run")
    for name, n in sorted(relhelp.CASES.items()):
        terminalreporter.write_line(f"{name:<56} {n:>8}")
    terminalreporter.write_line(f"{'total':<56} {sum(relhelp.CASES.values()):>8}")
