"""``qunkpi bench``: benchmark the pipeline on demo data (see docs/benchmarks.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from qunkpi.cli.common import console, progress_bar, user_errors
from qunkpi.i18n import tr


def register(app: typer.Typer) -> None:
    @app.command("bench", help=tr(
        "性能基准：生成（或复用）演示数据，分别计时导入、分类、全部指标、报告，并与 pandas 写法和手写 SQL 对比",
        "benchmark: generate (or reuse) demo data and time import, classification, all metrics and the report, "
        "against the pandas way and hand-written SQL",
    ))
    def bench_cmd(
        scale: Annotated[str, typer.Option("--scale", help="tiny|small|medium|large")] = "small",
        baseline: Annotated[str | None, typer.Option("--baseline", help=tr("对比基线：pandas（默认）或 none", "baseline: pandas (default) or none"))] = "pandas",
        data: Annotated[Path | None, typer.Option("--data", help=tr("数据文件夹（默认 bench/data/<scale>）", "data folder (default bench/data/<scale>)"))] = None,
        end: Annotated[str, typer.Option("--end", help=tr("演示数据最后一个月", "last month of the demo data"))] = "2026-10",
        json_out: Annotated[Path | None, typer.Option("--json", help=tr("把结果写成 JSON", "write the results as JSON"))] = None,
    ) -> None:
        from qunkpi.bench.runner import markdown, run_bench
        from qunkpi.demo.generator import generate
        from qunkpi.engine.periods import parse_period

        with user_errors():
            root = Path("bench")
            data_dir = data or root / "data" / scale
            if not (data_dir / "communities.csv").exists():
                with progress_bar(tr("生成演示数据", "generating demo data")) as advance:
                    generate(data_dir, scale=scale, seed=7, end_month=end,
                             progress=lambda label, done, total: advance(label, done=done, total_=total))
            last = parse_period(end)
            months = [last.label]
            p = last
            for _ in range(5):
                p = p.previous()
                months.insert(0, p.label)
            ws = root / "data" / f"ws-{scale}"
            with progress_bar(tr("基准测试", "benchmarking")) as advance:
                report = run_bench(scale, data_dir, ws, months, baseline=baseline == "pandas", progress=lambda s: advance(s))
        console.print(markdown(report))
        if json_out:
            json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
