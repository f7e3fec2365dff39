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
        scale: Annotated[str, typer.Option("--scale", help=tr(
            "tiny|small|1m|medium|large（约 5 千、10 万、100 万、500 万、2000 万条消息）",
            "tiny|small|1m|medium|large (about 5k, 100k, 1M, 5M, 20M messages)",
        ))] = "small",
        baseline: Annotated[str | None, typer.Option("--baseline", help=tr("对比基线：pandas（默认）或 none", "baseline: pandas (default) or none"))] = "pandas",
        data: Annotated[Path | None, typer.Option("--data", help=tr("数据文件夹（默认 bench/data/<scale>）", "data folder (default bench/data/<scale>)"))] = None,
        end: Annotated[str, typer.Option("--end", help=tr("演示数据最后一个月", "last month of the demo data"))] = "2026-10",
        json_out: Annotated[Path | None, typer.Option("--json", help=tr("把结果写成 JSON", "write the results as JSON"))] = None,
        repeat: Annotated[int, typer.Option("--repeat", min=1, help=tr(
            "基线对比的轮数（qunkpi 与基线交替运行，取中位数；默认 1）",
            "rounds of the baseline comparisons (qunkpi and the baseline alternately; medians compared; default 1)",
        ))] = 1,
        steps: Annotated[str | None, typer.Option("--steps", help=tr(
            "只运行这些步骤，逗号分隔（import,classify,facts,metrics,report），不跑基线",
            "run only these steps (comma-separated, in order: import,classify,facts,metrics,report; no baselines)",
        ))] = None,
    ) -> None:
        from qunkpi.bench.runner import PIPELINE, markdown, run_bench
        from qunkpi.demo.generator import generate
        from qunkpi.engine.periods import parse_period
        from qunkpi.errors import QunkpiError

        with user_errors():
            chosen = [s.strip() for s in steps.split(",") if s.strip()] if steps else list(PIPELINE)
            unknown = [s for s in chosen if s not in PIPELINE]
            if unknown or not chosen:
                raise QunkpiError(tr(f"未知步骤：{', '.join(unknown)}；可选：{', '.join(PIPELINE)}",
                                     f"unknown steps: {', '.join(unknown)}; choose from {', '.join(PIPELINE)}"))
            chosen = [s for s in PIPELINE if s in chosen]
            if chosen[0] != "import" and not (Path("bench") / "data" / f"ws-{scale}").exists():
                raise QunkpiError(tr("没有可用的基准工作区：先运行含 import 的步骤",
                                     "no bench workspace yet: run the import step first"))
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
                report = run_bench(scale, data_dir, ws, months, baseline=baseline == "pandas" and chosen == PIPELINE,
                                   progress=lambda s: advance(s), steps=chosen, repeat=repeat)
        console.print(markdown(report))
        if json_out:
            json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
