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
