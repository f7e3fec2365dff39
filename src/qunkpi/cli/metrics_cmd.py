"""``qunkpi metrics`` and ``qunkpi catalog``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qunkpi.cli.common import console, df_records, fmt_value, print_json, progress_bar, user_errors
from qunkpi.i18n import get_lang, tr


def explain(metric_id: str) -> None:
    from qunkpi.catalog import load_catalog
    from qunkpi.errors import QunkpiError

    cat = load_catalog()
    if metric_id not in cat:
        raise QunkpiError(tr(f"未知指标 {metric_id}（用 `qunkpi catalog` 查看全部）", f"unknown metric {metric_id} (see `qunkpi catalog`)"))
    m = cat[metric_id]
    lang = get_lang()
    console.print(f"[bold]{m.id}[/] — {m.zh} / {m.en}")
    console.print(f"{tr('定义', 'Definition')}: {m.definition(lang)}")
    console.print(f"{tr('公式', 'Formula')}: {m.expr or m.formula}")
    console.print(f"{tr('类别', 'Family')}: {m.family} · {tr('类型', 'kind')}: {m.kind} · {tr('单位', 'unit')}: {m.unit} · "
                  f"{tr('方向', 'direction')}: {m.direction} · {tr('默认粒度', 'grain')}: {m.grain} · {tr('层级', 'level')}: {m.level}")
    console.print(f"{tr('所需数据表', 'Tables')}: {', '.join(m.tables)}" + (f" (+ {', '.join(m.optional_tables)})" if m.optional_tables else ""))
    if m.depends():
        console.print(f"{tr('依赖指标', 'Depends on')}: {', '.join(m.depends())}")
    if m.breakdown:
        console.print(f"{tr('细分维度', 'Breakdown')}: {m.breakdown}")
    for b in m.benchmarks:
        scope = ", ".join(x for x in (b.purpose, b.stage, b.account_type) if x) or tr("通用", "all")
        console.print(f"{tr('基准', 'Benchmark')} [{scope}]: {b.text()} — {b.note_en if lang == 'en' else b.note_zh} ({b.source})")


def register(app: typer.Typer) -> None:
    @app.command("metrics", help=tr(
        "计算指标：--period 2026-10 | 2026-W43 | 2026-Q4 | 2026-10-05 | 2026-10-01..2026-10-15，可加 --grain 拆分",
        "compute metrics for --period 2026-10 | 2026-W43 | 2026-Q4 | 2026-10-05 | 2026-10-01..2026-10-15, split by --grain",
    ))
    def metrics_cmd(
        workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help=tr("工作区文件夹", "workspace folder"), envvar="QUNKPI_WORKSPACE")] = None,
        period: Annotated[str | None, typer.Option("--period", "-p", help=tr("周期标签", "period label"))] = None,
        grain: Annotated[str | None, typer.Option("--grain", help=tr("拆分粒度：day|week|month|quarter", "split grain: day|week|month|quarter"))] = None,
        community: Annotated[list[str] | None, typer.Option("--community", "-c", help=tr("社群 ID（可多次）", "community id (repeatable)"))] = None,
        metric: Annotated[list[str] | None, typer.Option("--metric", "-m", help=tr("指标 ID（可多次）", "metric id (repeatable)"))] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table|json|csv")] = "table",
        as_of: Annotated[str | None, typer.Option("--as-of", help=tr("留存类指标的截至时间（默认数据最新时间）", "as-of time of retention metrics (default: latest data time)"))] = None,
        explain_id: Annotated[str | None, typer.Option("--explain", help=tr("显示某个指标的定义、公式、数据表与基准", "show a metric's definition, formula, tables and benchmarks"))] = None,
        engine: Annotated[str, typer.Option("--engine", help=tr("计算引擎：duckdb（默认，读工作区）或 spark（读 --lake）", "engine: duckdb (default, reads the workspace) or spark (reads --lake)"))] = "duckdb",
        lake: Annotated[Path | None, typer.Option("--lake", help=tr("qunkpi export 导出的 Parquet 数据湖", "Parquet lake written by qunkpi export"))] = None,
        spark_master: Annotated[str | None, typer.Option("--spark-master", help=tr("Spark master，如 local[2] 或 spark://host:7077", "Spark master, e.g. local[2] or spark://host:7077"))] = None,
        spark_remote: Annotated[str | None, typer.Option("--spark-remote", help=tr("Spark Connect 地址，如 sc://host:15002", "Spark Connect address, e.g. sc://host:15002"))] = None,
    ) -> None:
        from qunkpi.errors import QunkpiError

        with user_errors():
            if explain_id:
                explain(explain_id)
                return
            if fmt not in ("table", "json", "csv"):
                raise QunkpiError(tr("--format 应为 table、json 或 csv", "--format must be table, json or csv"))
            if period is None:
                raise QunkpiError(tr("需要 --period", "--period is required"))
            if engine == "spark":
                df = _spark_metrics(lake, period, grain, community, metric, as_of, spark_master, spark_remote)
                _emit(df, fmt)
                return
            if engine != "duckdb":
                raise QunkpiError(tr("--engine 应为 duckdb 或 spark", "--engine must be duckdb or spark"))
            if workspace is None:
                raise QunkpiError(tr("需要 --workspace", "--workspace is required"))
            from qunkpi.engine.api import metrics_frame
            from qunkpi.workspace import Workspace

            ws = Workspace.open(workspace, read_only=True)
            with progress_bar(tr("计算指标", "computing metrics")) as advance:
                df = metrics_frame(
                    ws, period, grain=grain, communities=community or None, metrics=metric or None,
                    as_of=datetime.fromisoformat(as_of) if as_of else None,
                    progress=lambda mid, i, n: advance(mid, done=i, total_=n),
                )
            ws.close()
        _emit(df, fmt)

    @app.command("catalog", help=tr("列出全部指标（中英文名称、类别、单位）", "list every metric (zh/en names, family, unit)"))
    def catalog_cmd(
        family: Annotated[str | None, typer.Option("--family", help="growth|engagement|value|service|content")] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table|json")] = "table",
    ) -> None:
        from qunkpi.catalog import load_catalog

        cat = load_catalog()
        rows = [m for m in cat if family is None or m.family == family]
        if fmt == "json":
            print_json([m.model_dump() for m in rows])
            return
        t = Table(title=tr("指标目录", "Metric catalog"))
        for col in ("id", tr("中文名", "zh"), tr("英文名", "en"), tr("类别", "family"), tr("类型", "kind"), tr("单位", "unit"), tr("层级", "level")):
            t.add_column(col)
        for m in rows:
            t.add_row(m.id, m.zh, m.en, m.family, m.kind, m.unit, m.level)
        console.print(t)


def _emit(df, fmt: str) -> None:  # type: ignore[no-untyped-def]
    if fmt == "json":
        out = df_records(df)
        for rec in out:
            if rec.get("breakdown") is None:
                rec.pop("breakdown", None)
        print_json(out)
    elif fmt == "csv":
        df.to_csv(sys.stdout, index=False)
    else:
        _print_table(df)


def _spark_metrics(lake, period, grain, community, metric, as_of, master, remote):  # type: ignore[no-untyped-def]
    from qunkpi.engine.periods import periods_for
    from qunkpi.engine.runner import RunOptions, run_metrics
    from qunkpi.engine.spark import spark_backend, spark_session
    from qunkpi.errors import QunkpiError
    from qunkpi.workspace.config import Settings

    if lake is None:
        raise QunkpiError(tr("--engine spark 需要 --lake（先运行 qunkpi export --to parquet DIR）", "--engine spark needs --lake (run qunkpi export --to parquet DIR first)"))
    with progress_bar(tr("启动 Spark", "starting Spark")):
        session = spark_session(master, remote)
        backend, manifest = spark_backend(lake, session)
    settings = Settings.model_validate(manifest["settings"])
    opts = RunOptions(metrics=metric or None, communities=community or None,
                      as_of=datetime.fromisoformat(as_of) if as_of else None, settings=settings,
                      staff_ids=list(manifest.get("staff_ids", [])))
    return run_metrics(backend, periods_for(period, grain), opts)


def _print_table(df) -> None:  # type: ignore[no-untyped-def]
    from qunkpi.catalog import load_catalog

    cat = load_catalog()
    lang = get_lang()
    t = Table(title=tr("指标", "Metrics"))
    for col in (tr("社群", "community"), tr("周期", "period"), tr("指标", "metric"), tr("细分", "breakdown"), tr("数值", "value"), tr("说明", "note")):
        t.add_column(col)
    for r in df.itertuples(index=False):
        name = cat[r.metric].name(lang) if r.metric in cat else r.metric
        note = "" if r.reason in (None, "n/a") else str(r.reason)
        t.add_row(str(r.community_id), str(r.period), name, "" if r.breakdown is None else str(r.breakdown), fmt_value(r.value, r.unit), note)
    console.print(t)
