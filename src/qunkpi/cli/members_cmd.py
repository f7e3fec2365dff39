"""``qunkpi members``: member-level lists (silent, KOC candidates, churn risks, scores, lifecycle)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from qunkpi.cli.common import console, df_records, print_json, user_errors
from qunkpi.i18n import tr

FORMATS = ("table", "csv", "xlsx", "json")

# column id → (zh, en) header for the table and the Excel sheet; csv and json keep the column ids.
HEADERS: dict[str, tuple[str, str]] = {
    "community_id": ("社群", "community"),
    "period": ("周期", "period"),
    "member_id": ("成员（假名ID）", "member (pseudonym)"),
    "joined_at": ("本次入群时间", "joined at"),
    "tenure_days": ("在群天数", "tenure (days)"),
    "last_message_at": ("最后发言", "last message"),
    "silent_days": ("沉默天数 N", "silent days N"),
    "effective_messages": ("有效消息数", "effective messages"),
    "active_days": ("有效发言天数", "active days"),
    "chars": ("有效文字量", "characters"),
    "answers_shares": ("回答+分享", "answers + shares"),
    "pr_messages": ("互动次数分位", "interactions pct"),
    "pr_days": ("互动天数分位", "active-days pct"),
    "pr_chars": ("文字量分位", "text pct"),
    "member_score": ("成员活跃分", "member score"),
    "is_koc": ("KOC", "KOC"),
    "last_effective_at": ("最后有效发言", "last effective message"),
    "referred_joins": ("本期邀请入群", "joins referred"),
    "effective_before": ("前期有效消息数", "effective messages before"),
    "days_since_last_message": ("距最后发言天数", "days since last message"),
    "state": ("生命周期状态", "lifecycle state"),
    "messages_in_period": ("本期消息数", "messages in period"),
    "messages_in_previous": ("上期消息数", "messages in previous period"),
    "first_message_at": ("首次发言", "first message"),
    "joined_in_period": ("本期入群", "joined in period"),
    "present_at_end": ("期末在群", "present at end"),
}

TITLES: dict[str, tuple[str, str]] = {
    "silent": ("沉默成员（待唤醒）", "Silent members (to wake up)"),
    "koc": ("KOC 候选", "KOC candidates"),
    "churn-risk": ("流失风险成员", "Churn-risk members"),
    "scores": ("成员活跃分", "Member scores"),
    "lifecycle": ("成员生命周期", "Member lifecycle"),
}


# The terminal table shows the columns an operator acts on; csv, json and xlsx carry every column.
TABLE_COLUMNS: dict[str, list[str]] = {
    "silent": ["community_id", "member_id", "joined_at", "tenure_days", "last_message_at"],
    "koc": ["community_id", "member_id", "member_score", "active_days", "answers_shares", "referred_joins"],
    "churn-risk": ["community_id", "member_id", "effective_before", "last_message_at", "days_since_last_message"],
    "scores": ["community_id", "member_id", "effective_messages", "active_days", "chars", "member_score", "is_koc"],
    "lifecycle": ["community_id", "member_id", "state", "messages_in_period", "messages_in_previous", "last_message_at", "present_at_end"],
}


def header(col: str) -> str:
    zh, en = HEADERS.get(col, (col, col))
    return tr(zh, en)


def cell(v: Any, col: str) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d %H:%M")
    if col == "state":
        from qunkpi.members.lifecycle import STATE_NAMES

        zh, en = STATE_NAMES.get(str(v), (str(v), str(v)))
        return tr(zh, en)
    if isinstance(v, bool):
        return tr("是", "yes") if v else tr("否", "no")
    if col.startswith("pr_"):
        return f"{float(v):.0%}"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if not v.is_integer() else f"{v:,.0f}"
    return str(v)


def write_xlsx(df: pd.DataFrame, out: Path, title: str) -> None:
    shown = df.copy()
    if "state" in shown.columns:
        shown["state"] = [cell(v, "state") for v in shown["state"]]
    shown.columns = [header(c) for c in df.columns]
    with pd.ExcelWriter(out, engine="xlsxwriter") as xw:
        sheet = title[:31]
        shown.to_excel(xw, sheet_name=sheet, index=False)
        wsheet = xw.sheets[sheet]
        for i, c in enumerate(shown.columns):
            width = max([len(str(c)) * 2, *[len(str(x)) for x in shown.iloc[:, i].head(200)]])
            wsheet.set_column(i, i, min(max(width + 2, 10), 40))
        wsheet.freeze_panes(1, 0)


def print_table(df: pd.DataFrame, title: str) -> None:
    t = Table(title=title)
    for c in df.columns:
        t.add_column(header(c))
    for row in df.itertuples(index=False):
        t.add_row(*[cell(v, c) for v, c in zip(row, df.columns, strict=True)])
    console.print(t)
    console.print(tr(f"共 {len(df)} 人", f"{len(df)} members"))


def register(app: typer.Typer) -> None:
    @app.command(
        "members",
        help=tr(
            "成员名单：--list silent（沉默待唤醒）| koc（KOC 候选）| churn-risk（流失风险）| scores（成员活跃分）| lifecycle（生命周期）。"
            "成员 ID 为工作区里存储的假名。",
            "member lists: --list silent (to wake up) | koc (KOC candidates) | churn-risk | scores (member score) | lifecycle. "
            "Member ids are the stored pseudonyms.",
        ),
    )
    def members_cmd(
        workspace: Annotated[Path, typer.Option("--workspace", "-w", help=tr("工作区文件夹", "workspace folder"), envvar="QUNKPI_WORKSPACE")],
        period: Annotated[str, typer.Option("--period", "-p", help=tr("周期标签，如 2026-10、2026-W43", "period label, e.g. 2026-10, 2026-W43"))],
        list_: Annotated[str, typer.Option("--list", "-l", help="silent|koc|churn-risk|scores|lifecycle")] = "silent",
        community: Annotated[list[str] | None, typer.Option("--community", "-c", help=tr("社群 ID（可多次）", "community id (repeatable)"))] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table|csv|xlsx|json")] = "table",
        out: Annotated[Path | None, typer.Option("--out", "-o", help=tr("输出文件（xlsx 必填）", "output file (required for xlsx)"))] = None,
        silent_days: Annotated[int | None, typer.Option("--silent-days", help=tr("沉默天数 N（默认取配置 metrics.silent_days）", "N of the silent list (default: setting metrics.silent_days)"))] = None,
        lookback: Annotated[int, typer.Option("--lookback", help=tr("流失风险：回看前几个周期的有效发言", "churn-risk: previous periods to look back on"))] = 1,
    ) -> None:
        from qunkpi.errors import QunkpiError
        from qunkpi.members import LIST_KINDS, member_list
        from qunkpi.workspace import Workspace

        with user_errors():
            if list_ not in LIST_KINDS:
                raise QunkpiError(tr(f"--list 应为 {'、'.join(LIST_KINDS)} 之一", f"--list must be one of {', '.join(LIST_KINDS)}"))
            if fmt not in FORMATS:
                raise QunkpiError(tr("--format 应为 table、csv、xlsx 或 json", "--format must be table, csv, xlsx or json"))
            if fmt == "xlsx" and out is None:
                raise QunkpiError(tr("xlsx 格式需要 --out 文件名，如 --out 沉默成员.xlsx", "xlsx needs --out FILE, e.g. --out silent.xlsx"))
            if fmt == "table" and out is not None:
                raise QunkpiError(tr("--out 需要配合 --format csv、xlsx 或 json", "--out needs --format csv, xlsx or json"))
            ws = Workspace.open(workspace, read_only=True)
            try:
                df = member_list(ws, period, list_, communities=community or None, silent_days=silent_days, lookback=lookback)
            finally:
                ws.close()
            title_zh, title_en = TITLES[list_]
            title = tr(title_zh, title_en) + f" · {period}"
            if fmt == "xlsx":
                assert out is not None
                write_xlsx(df, out, tr(title_zh, title_en))
                console.print(tr(f"已写入 {out}（{len(df)} 人）", f"wrote {out} ({len(df)} members)"))
            elif fmt == "csv":
                if out is None:
                    df.to_csv(sys.stdout, index=False)
                else:
                    df.to_csv(out, index=False, encoding="utf-8-sig")  # BOM: Excel opens Chinese text correctly
                    console.print(tr(f"已写入 {out}（{len(df)} 人）", f"wrote {out} ({len(df)} members)"))
            elif fmt == "json":
                recs = df_records(df)
                if out is None:
                    print_json(recs)
                else:
                    import json

                    out.write_text(json.dumps(recs, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
                    console.print(tr(f"已写入 {out}（{len(df)} 人）", f"wrote {out} ({len(df)} members)"))
            else:
                print_table(df[[c for c in TABLE_COLUMNS[list_] if c in df.columns]], title)
