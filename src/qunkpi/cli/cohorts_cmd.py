"""``qunkpi cohorts`` (retention matrix or LTV per join cohort) and ``qunkpi channels`` (source-channel comparison)."""

from __future__ import annotations

import math
import sys
from datetime import datetime
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from qunkpi.cli.common import WorkspaceOpt, console, df_records, print_json, user_errors
from qunkpi.i18n import tr

FORMATS = ("table", "csv", "json")
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help=tr("截至时间（默认数据最新时间），如 2026-11-01", "as-of time (default: latest data time), e.g. 2026-11-01")),
]
CommunityOpt = Annotated[str | None, typer.Option("--community", "-c", help=tr("只看一个社群", "one community only"))]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table|csv|json")]


def _check_format(fmt: str) -> None:
    from qunkpi.errors import QunkpiError

    if fmt not in FORMATS:
        raise QunkpiError(tr("--format 应为 table、csv 或 json", "--format must be table, csv or json"))


def _as_of(text: str | None) -> datetime | None:
    from qunkpi.errors import QunkpiError

    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise QunkpiError(tr(f"--as-of 无法识别：{text}（应为 2026-11-01 或 2026-11-01T12:00）", f"cannot read --as-of {text} (use 2026-11-01 or 2026-11-01T12:00)")) from e


def _pct(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1%}"


def _num(v: Any, money: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"¥{v:,.2f}" if money else f"{v:,.0f}"


def _emit(df: pd.DataFrame, fmt: str, table: Table) -> None:
    if fmt == "json":
        print_json(df_records(df))
    elif fmt == "csv":
        df.to_csv(sys.stdout, index=False)
    else:
        console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("cohorts", help=tr(
        "入群批次分析：--kind membership（在群留存）| active（活跃留存）| ltv（人均生命周期价值），按入群月份 --from/--to",
        "join-cohort analysis: --kind membership (still in the group) | active (sending effective messages) | ltv (value per member), for join months --from/--to",
    ))
    def cohorts_cmd(
        workspace: WorkspaceOpt,
        start: Annotated[str, typer.Option("--from", help=tr("第一个入群月份，如 2026-04", "first join month, e.g. 2026-04"))],
        end: Annotated[str, typer.Option("--to", help=tr("最后一个入群月份，如 2026-10", "last join month, e.g. 2026-10"))],
        kind: Annotated[str, typer.Option("--kind", "-k", help="membership|active|ltv")] = "membership",
        community: CommunityOpt = None,
        fmt: FormatOpt = "table",
        as_of: AsOfOpt = None,
    ) -> None:
        from qunkpi.errors import QunkpiError

        with user_errors():
            _check_format(fmt)
            if kind not in ("membership", "active", "ltv"):
                raise QunkpiError(tr("--kind 应为 membership、active 或 ltv", "--kind must be membership, active or ltv"))
            from qunkpi.cohorts import ltv_by_cohort, retention_matrix
            from qunkpi.workspace import Workspace

            ws = Workspace.open(workspace, read_only=True)
            try:
                if kind == "ltv":
                    df = ltv_by_cohort(ws, start, end, community=community, as_of=_as_of(as_of))
                else:
                    df = retention_matrix(ws, kind, start, end, community=community, as_of=_as_of(as_of))  # type: ignore[arg-type]
            finally:
                ws.close()
        if kind == "ltv":
            t = Table(title=tr("入群批次 LTV（元）", "LTV by join cohort (yuan)"))
            for col in (tr("入群月份", "cohort"), tr("人数", "members"), tr("购买人数", "buyers"), tr("净收入", "revenue"),
                        tr("人均 LTV", "LTV / member"), tr("购买者人均", "LTV / buyer")):
                t.add_column(col)
            for r in df.itertuples(index=False):
                t.add_row(r.cohort, _num(r.members), _num(r.buyers), _num(r.revenue, True), _num(r.ltv_per_member, True), _num(r.ltv_per_buyer, True))
            _emit(df, fmt, t)
            return
        title = tr("在群留存（入群后第 k 个 30 天）", "Membership retention (k-th 30 days after joining)") if kind == "membership" else \
            tr("活跃留存（入群后第 k 个 30 天内发过有效消息）", "Active retention (effective message in the k-th 30 days after joining)")
        t = Table(title=title)
        t.add_column(tr("入群月份", "cohort"))
        t.add_column(tr("人数", "size"), justify="right")
        months = [c for c in df.columns if c != "size"]
        for k in months:
            t.add_column(f"M{k}", justify="right")
        for label, row in df.iterrows():
            t.add_row(str(label), _num(row["size"]), *[_pct(row[k]) for k in months])
        out = df.reset_index()
        out.columns = [str(c) if not isinstance(c, int) else f"m{c}" for c in out.columns]
        _emit(out, fmt, t)

    @app.command("channels", help=tr(
        "渠道对比：周期内各来源渠道的入群数、30日留存与 30 天内购买转化",
        "channel comparison: joins, 30-day retention and 30-day purchase conversion per source channel in a period",
    ))
    def channels_cmd(
        workspace: WorkspaceOpt,
        period: Annotated[str, typer.Option("--period", "-p", help=tr("周期标签，如 2026-10", "period label, e.g. 2026-10"))],
        community: CommunityOpt = None,
        fmt: FormatOpt = "table",
        as_of: AsOfOpt = None,
    ) -> None:
        with user_errors():
            _check_format(fmt)
            from qunkpi.cohorts import channel_comparison
            from qunkpi.workspace import Workspace

            ws = Workspace.open(workspace, read_only=True)
            try:
                df = channel_comparison(ws, period, community=community, as_of=_as_of(as_of))
            finally:
                ws.close()
        t = Table(title=tr(f"渠道对比 {period}", f"Channel comparison {period}"))
        for col in (tr("渠道", "channel"), tr("入群", "joins"), tr("占比", "share"), tr("30日留存", "D30 retention"),
                    tr("30天转化", "30-day conversion"), tr("可观察人数", "eligible"), tr("入群率", "join rate")):
            t.add_column(col)
        for r in df.itertuples(index=False):
            t.add_row(
                str(r.channel), _num(r.joins), _pct(r.share),
                f"{_pct(r.d30_retention) or 'n/a'} ({r.d30_retained}/{r.d30_eligible})",
                f"{_pct(r.conversion_rate) or 'n/a'} ({r.converted}/{r.d30_eligible})",
                _num(r.d30_eligible), _pct(r.join_rate) or "n/a",
            )
        if df.empty and fmt == "table":
            console.print(tr("周期内没有入群记录", "no joins in this period"))
            return
        _emit(df, fmt, t)
