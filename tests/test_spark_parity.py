"""The same catalog on Spark: every metric value agrees with DuckDB (relative 1e-9; nulls equal).

Runs the tiny hand-checked fixture and the tiny demo data set (classified) on local Spark and on DuckDB.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from qunkpi.engine.api import metrics_for_periods, staff_ids_of
from qunkpi.engine.lake import export_lake
from qunkpi.engine.periods import parse_period
from qunkpi.engine.runner import RunOptions, run_metrics
from qunkpi.workspace import Workspace
from qunkpi.workspace.config import Settings

pytest.importorskip("pyspark", reason="pyspark is installed by `make test` (the spark extra)")
pytestmark = [pytest.mark.spark, pytest.mark.slow]

if shutil.which("java") is None:  # pragma: no cover - make test installs Java 17
    pytest.skip("Java 17 is needed for Spark (make test installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    from qunkpi.engine.spark import spark_session

    s = spark_session("local[2]")
    yield s
    s.stop()


def _compare(ws: Workspace, lake: Path, spark, labels: list[str]) -> int:  # type: ignore[no-untyped-def]
    from qunkpi.engine.spark import spark_backend

    periods = [parse_period(x) for x in labels]
    duck = metrics_for_periods(ws, periods)
    backend, manifest = spark_backend(lake, spark)
    opts = RunOptions(settings=Settings.model_validate(manifest["settings"]), staff_ids=manifest["staff_ids"])
    sp = run_metrics(backend, periods, opts)
    key = ["community_id", "period", "metric", "breakdown"]
    d = {tuple(r[k] for k in key): r["value"] for r in duck.to_dict("records")}
    s = {tuple(r[k] for k in key): r["value"] for r in sp.to_dict("records")}
    assert d.keys() == s.keys()
    bad = []
    for k, dv in d.items():
        sv = s[k]
        if dv is None or sv is None:
            if not (dv is None and sv is None):
                bad.append((k, dv, sv))
        elif not math.isclose(dv, sv, rel_tol=1e-9, abs_tol=1e-12):
            bad.append((k, dv, sv))
    assert not bad, bad[:20]
    return len(d)


def test_tiny_fixture_parity(tiny_ws: Workspace, tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    export_lake(tiny_ws, tmp_path / "lake")
    assert staff_ids_of(tiny_ws) == []
    n = _compare(tiny_ws, tmp_path / "lake", spark, ["2026-10", "2026-11"])
    assert n > 50


def test_tiny_demo_parity(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    """The demo data set (classified): every catalog metric for one month, DuckDB vs Spark."""
    from qunkpi.classify.engine import classify_workspace
    from qunkpi.demo.generator import generate
    from qunkpi.importers.canonical import import_path

    generate(tmp_path / "data", scale="tiny", seed=7, end_month="2026-10")
    ws = Workspace.init(tmp_path / "ws")
    import_path(ws, tmp_path / "data")
    classify_workspace(ws, full=True)
    # DuckDB reads the stored countable messages (message_facts); Spark builds the block from the lake
    from qunkpi.engine.facts import facts_table, refresh_facts

    refresh_facts(ws)
    assert facts_table(ws) is not None
    export_lake(ws, tmp_path / "lake")
    n = _compare(ws, tmp_path / "lake", spark, ["2026-10"])
    assert n > 500
