"""``qunkpi demo``: generate the realistic demo data set, and with ``--run`` the whole path to a report."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qunkpi.cli.common import console, fmt_value, progress_bar, user_errors
from qunkpi.i18n import get_lang, tr

SUMMARY_METRICS = [
    "members_end",
    "net_growth_rate",
    "engaged_rate",
    "effective_message_share",
    "response_30m_rate",
    "gmv",
    "nps",
]


def summary_table(df, period: str, names: dict[str, str]) -> Table:  # type: ignore[no-untyped-def]
    """The main KPIs of each community (not content accounts) for one period, as a Rich table."""
    from qunkpi.catalog import load_catalog

    cat = load_catalog()
    lang = get_lang()
    sel = df[(df.period == period) & df.breakdown.isna() & df.community_id.isin(list(names))]
    metrics = [m for m in SUMMARY_METRICS if m in set(sel.metric)]
    t = Table(title=tr(f"主要指标 · {period}", f"Main KPIs · {period}"), show_lines=False)
    t.add_column(tr("社群", "community"), overflow="fold", max_width=18)
    for m in metrics:
        t.add_column(cat[m].name(lang), justify="right", overflow="fold")
    for cid, g in sel.groupby("community_id", sort=True):
        vals = dict(zip(g.metric, g.value, strict=True))
        units = dict(zip(g.metric, g.unit, strict=True))
        t.add_row(names.get(str(cid), str(cid)), *[fmt_value(vals.get(m), units.get(m, "")) for m in metrics])
    return t


def register(app: typer.Typer) -> None:
    @app.command("demo", help=tr(
        "生成逼真的演示数据集（标准格式）；加 --run 则同时建工作区、导入、分类、计算指标并输出报告",
        "generate the realistic demo data set (canonical layout); with --run also create a workspace, import, classify, compute metrics and write the report",
    ))
    def demo_cmd(
        out: Annotated[Path, typer.Option("--out", help=tr("数据输出文件夹", "output folder for the data"))] = Path("demo-data"),
        scale: Annotated[str, typer.Option("--scale", help="tiny|small|medium|large")] = "small",
        seed: Annotated[int, typer.Option("--seed", help=tr("随机种子", "random seed"))] = 7,
        end: Annotated[str | None, typer.Option("--end", help=tr("最后一个完整月份 YYYY-MM（默认上个月）", "last month included, YYYY-MM (default: last complete month)"))] = None,
        run: Annotated[bool, typer.Option("--run", help=tr("同时导入并计算、出报告", "also import, compute and report"))] = False,
        workspace: Annotated[Path, typer.Option("--workspace", "-w", help=tr("--run 使用的工作区（会重建）", "workspace used by --run (recreated)"))] = Path("demo-workspace"),
    ) -> None:
        from qunkpi.demo.generator import generate

        with user_errors():
            with progress_bar(tr("生成演示数据", "generating demo data")) as advance:
                counts = generate(out, scale=scale, seed=seed, end_month=end,
                                  progress=lambda label, done, total: advance(label, done=done, total_=total))
            t = Table(title=tr(f"演示数据 → {out}", f"demo data → {out}"))
            t.add_column(tr("表", "table"))
            t.add_column(tr("行数", "rows"), justify="right")
            for name, n in counts.items():
                t.add_row(name, f"{n:,}")
            console.print(t)
            if run:
                run_pipeline(out, workspace, end)


def run_pipeline(data: Path, workspace: Path, end: str | None) -> None:
    """init → import → classify → metrics → report, printing where the results are."""
    from qunkpi.cli.import_cmd import classify_after_import, print_report
    from qunkpi.engine.api import metrics_for_periods
    from qunkpi.engine.periods import parse_period
    from qunkpi.importers.canonical import import_path
    from qunkpi.workspace import Workspace

    if workspace.exists() and (workspace / "qunkpi.toml").exists():
        shutil.rmtree(workspace)
    ws = Workspace.init(workspace)
    with progress_bar(tr("导入", "importing")) as advance:
        report = import_path(ws, data, progress=lambda m: advance(m))
    print_report([report])
    classify_after_import(ws)
    last = _last_month(ws) if end is None else parse_period(end)
    periods = []
    p = last
    for _ in range(6):
        periods.append(p)
        p = p.previous()
    periods.reverse()
    with progress_bar(tr("计算指标", "computing metrics")) as advance:
        df = metrics_for_periods(ws, periods, progress=lambda mid, i, n: advance(mid, done=i, total_=n))
    out_dir = workspace / "out"
    out_dir.mkdir(exist_ok=True)
    csv = out_dir / "metrics.csv"
    df.to_csv(csv, index=False)
    names = dict(ws.con.execute("SELECT community_id, name FROM communities ORDER BY community_id").fetchall())
    console.print(summary_table(df, last.label, names))
    console.print(tr(f"全部指标（6 个月）：{csv}", f"all metrics (6 months): {csv}"))
    from qunkpi.reports.html import write_html_report

    with progress_bar(tr("生成报告", "writing the report")):
        html = write_html_report(ws, last.label, out_dir / f"report-{last.label}.html")
    console.print(tr(f"月度报告（可直接转发）：{html}", f"monthly report (ready to forward): {html}"))
    console.print(tr(
        f"下一步：qunkpi metrics -w {workspace} --period {last.label}；qunkpi serve -w {workspace}",
        f"next: qunkpi metrics -w {workspace} --period {last.label}; qunkpi serve -w {workspace}",
    ))
    ws.close()


def _last_month(ws):  # type: ignore[no-untyped-def]
    """The month of the latest message (or join): the demo's data ends with the last complete month."""
    from qunkpi.engine.periods import period_of
    from qunkpi.workspace.workspace import first

    row = first(ws.con.execute("SELECT coalesce((SELECT max(sent_at) FROM messages), (SELECT max(joined_at) FROM members))"))
    if row is None or row[0] is None:
        from qunkpi.errors import QunkpiError

        raise QunkpiError(tr("工作区没有数据", "the workspace has no data"))
    return period_of("month", row[0])
