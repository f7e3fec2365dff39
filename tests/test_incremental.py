"""Incremental refresh: one more day of messages into a workspace with history, then the current period.

The results must be identical to a full recompute on a fresh workspace (classes and every metric value).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from qunkpi.bench.split import split_day
from qunkpi.classify.engine import classify_workspace
from qunkpi.demo.generator import generate
from qunkpi.engine.api import metrics_for_periods
from qunkpi.engine.periods import parse_period
from qunkpi.importers.canonical import import_path
from qunkpi.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    generate(d, scale="tiny", seed=11, end_month="2026-10")
    return d


def _split_last_day(data: Path, out: Path) -> tuple[Path, Path]:
    """history/ = every table, messages without 2026-10-31; day/ = the messages of 2026-10-31."""
    hist, day, _ = split_day(data, out, "2026-10-31")
    return hist, day


def _labels(ws: Workspace) -> list[tuple[object, ...]]:
    return ws.con.execute("SELECT message_id, cls, sentiment, is_effective FROM message_labels ORDER BY message_id").fetchall()


def test_one_more_day_equals_full_recompute(data: Path, tmp_path: Path) -> None:
    hist, day = _split_last_day(data, tmp_path)
    october = [parse_period("2026-10")]

    inc = Workspace.init(tmp_path / "inc")
    import_path(inc, hist)
    classify_workspace(inc, full=True)
    before = metrics_for_periods(inc, october)
    import_path(inc, day)
    stats = classify_workspace(inc)  # incremental: only what is new or affected
    assert stats["check"] == "days"  # the stale labels were looked for on the imported day only
    n_day = pq.read_metadata(day / "messages.parquet").num_rows
    assert 0 < stats["classified"] < 20 * n_day  # proportional to the day, not to the history
    got = metrics_for_periods(inc, october)

    full = Workspace.init(tmp_path / "full")
    import_path(full, data)
    classify_workspace(full, full=True)
    want = metrics_for_periods(full, october)

    assert _labels(inc) == _labels(full)
    key = ["community_id", "period", "metric", "breakdown"]
    g = got.set_index(key)["value"].to_dict()
    w = want.set_index(key)["value"].to_dict()
    assert g.keys() == w.keys()
    diff = {k: (g[k], w[k]) for k in w if not (g[k] == w[k] or (g[k] is not None and w[k] is not None and abs(g[k] - w[k]) <= 1e-12))}
    assert not diff
    assert not before.equals(got)  # the new day did change October's numbers
