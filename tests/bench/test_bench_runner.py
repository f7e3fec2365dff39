"""Bench plumbing: a subset of steps, CPU and peak memory per step, the 1m scale (figures: docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from qunkpi.bench.runner import markdown, run_bench
from qunkpi.demo.spec import SCALES


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qunkpi.demo.generator import generate

    out = tmp_path_factory.mktemp("bench") / "tiny"
    generate(out, scale="tiny", seed=7, end_month="2026-10")
    return out


def test_import_step_alone_reports_cpu_memory_and_messages(tiny_data: Path, tmp_path: Path) -> None:
    months = ["2026-09", "2026-10"]
    rep = run_bench("tiny", tiny_data, tmp_path / "ws", months, baseline=False, steps=["import"])
    assert list(rep["steps"]) == ["import"]
    step = rep["steps"]["import"]
    assert step["messages"] == pq.read_metadata(tiny_data / "messages.parquet").num_rows
    assert step["cpu_seconds"] > 0 and step["peak_rss_mb"] > 0
    assert "pandas" not in rep and "sql" not in rep
    md = markdown(rep)
    assert "| step | seconds | CPU seconds | peak RSS (MiB) |" in md and "| import |" in md


def test_unknown_step_is_refused() -> None:
    from qunkpi.cli.main import app

    res = CliRunner().invoke(app, ["--lang", "en", "bench", "--scale", "tiny", "--steps", "import,nap"])
    assert res.exit_code != 0
    assert "unknown steps: nap" in res.output


def test_1m_scale_sits_between_small_and_medium() -> None:
    # messages grow with copies × members × rate: the 1m scale is about a fifth of medium (5.36M messages)
    def units(name: str) -> float:
        s = SCALES[name]
        return s.copies * s.member_mult * s.rate_mult

    assert units("small") < units("1m") < units("medium")
    assert 0.15 < units("1m") / units("medium") < 0.25


def test_baselines_agree_and_repeat_reports_medians(tiny_data: Path, tmp_path: Path) -> None:
    import statistics

    months = ["2026-09", "2026-10"]
    rep = run_bench(
        "tiny", tiny_data, tmp_path / "ws", months, baseline=True, steps=["import", "classify", "facts"], repeat=2
    )
    p, s, f = rep["pandas"], rep["sql"], rep["sql_facts"]
    # the engine and the pandas / SQL baselines compute the same values on the same data (the engine reads the
    # stored message_facts; the SQL reference once joins the raw tables, once reads message_facts)
    assert p["values_compared"] > 0 and p["mismatches"] == []
    assert s["values_compared"] > 0 and s["mismatches"] == []
    assert f["values_compared"] == s["values_compared"] and f["mismatches"] == []
    for r, other in ((p, "pandas_runs_seconds"), (s, "sql_runs_seconds"), (f, "sql_runs_seconds")):
        assert r["rounds"] == 2 and len(r["engine_runs_seconds"]) == 2 and len(r[other]) == 2
        assert r["engine_seconds"] == pytest.approx(statistics.median(r["engine_runs_seconds"]), abs=1e-3)
    assert p["pandas_seconds"] == pytest.approx(statistics.median(p["pandas_runs_seconds"]), abs=1e-3)
    assert p["speedup"] == pytest.approx(p["pandas_seconds"] / p["engine_seconds"], abs=0.01)
    md = markdown(rep)
    assert "median of 2 alternating rounds" in md and "Runs: qunkpi" in md
    assert "over `message_facts`" in md and "| facts |" in md
