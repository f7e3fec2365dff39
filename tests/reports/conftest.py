"""The sample workspace of tests/web/sample_ws.py, built once for the report tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "web"))


@pytest.fixture(scope="session")
def report_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    import sample_ws  # type: ignore[import-not-found]

    from qunkpi.workspace import Workspace

    path = sample_ws.build(tmp_path_factory.mktemp("reports") / "ws")
    ws = Workspace.open(path, read_only=True)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def report_data(report_ws):  # type: ignore[no-untyped-def]
    from qunkpi.reports.data import ReportData

    return ReportData(report_ws)
