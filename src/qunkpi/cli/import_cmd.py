"""``qunkpi import``: canonical files, or real export formats with ``--format``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qunkpi.cli.classify_cmd import classify_mode, print_facts, refresh_facts_step
from qunkpi.cli.common import WorkspaceOpt, console, progress_bar, user_errors
from qunkpi.i18n import tr


def print_report(reports: list) -> None:  # type: ignore[type-arg]
    t = Table(title=tr("导入结果", "Import summary"))
    for col in (tr("文件", "file"), tr("表", "table"), tr("读取", "read"), tr("新增", "inserted"), tr("更新", "updated"), tr("其他→other", "→other")):
        t.add_column(col)
    skipped: dict[str, int] = {}
    for rep in reports:
        if rep.file and rep.file_rows_read is not None:
            console.print(tr(f"{rep.file}（{rep.format}）：读取 {rep.file_rows_read} 条记录", f"{rep.file} ({rep.format}): {rep.file_rows_read} records read"))
        for tr_ in rep.tables:
            t.add_row(tr_.file, tr_.table, str(tr_.rows_read), str(tr_.inserted), str(tr_.updated), str(tr_.open_enum_other))
        for k, v in rep.skipped.items():
            skipped[k] = skipped.get(k, 0) + v
        if rep.recalls_applied or rep.recalls_audit_only:
            console.print(tr(f"撤回记录：标记 {rep.recalls_applied} 条原消息，{rep.recalls_audit_only} 条仅存审计",
                             f"recalls: {rep.recalls_applied} originals marked, {rep.recalls_audit_only} kept for audit only"))
        if rep.service_messages:
            console.print(tr(f"一对一服务消息：{rep.service_messages} 条", f"one-to-one service messages: {rep.service_messages}"))
    console.print(t)
    for k, v in sorted(skipped.items()):
        console.print(tr(f"{k}：{v} 行", f"{k}: {v} rows"))


def register(app: typer.Typer) -> None:
    @app.command("import", help=tr(
        "导入数据：标准格式文件夹/文件（CSV、TSV、Parquet、JSON Lines、XLSX；自动识别 UTF-8/BOM/GBK/GB18030），或用 --format 导入企业微信、公众号、个人微信等导出文件",
        "import data: a canonical folder or file (CSV, TSV, Parquet, JSON Lines, XLSX; UTF-8/BOM/GBK/GB18030 detected), or real exports with --format",
    ))
    def import_cmd(
        path: Annotated[Path, typer.Argument(help=tr("文件或文件夹", "file or folder"))],
        workspace: WorkspaceOpt,
        table: Annotated[str | None, typer.Option("--table", help=tr("目标表（单个文件且文件名不是表名时）", "target table (single file not named after its table)"))] = None,
        fmt: Annotated[str | None, typer.Option("--format", help=tr("导出格式：wecom-archive、wecom-groups、wecom-group-events、mp-datacube、mp-excel、channels、wechat-history；不填则自动识别", "export format: wecom-archive, wecom-groups, wecom-group-events, mp-datacube, mp-excel, channels, wechat-history; detected when omitted"))] = None,
        mapping: Annotated[Path | None, typer.Option("--mapping", help=tr("列映射文件（视频号等）", "column mapping file (Channels etc.)"))] = None,
        community: Annotated[str | None, typer.Option("--community", help=tr("社群 ID（文件中没有时）", "community id when the file has none"))] = None,
        account: Annotated[str | None, typer.Option("--account", help=tr("账号 ID（公众号/视频号数据）", "account id (official-account / Channels data)"))] = None,
        as_of: Annotated[str | None, typer.Option("--as-of", help=tr("成员快照时间：快照中缺失的成员视为已在此时退群", "snapshot time: members missing from the snapshot left at this time"))] = None,
        self_is_member: Annotated[bool, typer.Option("--self-is-member", help=tr("个人微信导出：导出账号算普通成员而非员工", "personal WeChat export: the exporting account is a member, not staff"))] = False,
        no_classify: Annotated[bool, typer.Option("--no-classify", help=tr("导入后不自动分类消息", "do not classify messages after importing"))] = False,
    ) -> None:
        from qunkpi.workspace import Workspace

        with user_errors():
            ws = Workspace.open(workspace)
            with progress_bar(tr("导入", "importing")) as advance:
                if fmt is None and _looks_canonical(path, table):
                    from qunkpi.importers.canonical import import_path

                    reports = [import_path(ws, path, table, progress=lambda m: advance(m))]
                else:
                    from qunkpi.importers.base import ConvertOptions
                    from qunkpi.importers.dispatch import import_with_format

                    opts = ConvertOptions(
                        timezone=ws.settings.timezone,
                        community=community,
                        account=account,
                        as_of=datetime.fromisoformat(as_of) if as_of else None,
                        mapping=mapping,
                        staff_ids=frozenset(ws.settings.staff_ids),
                        self_is_member=self_is_member,
                    )
                    reports = import_with_format(ws, path, fmt, opts)
            print_report(reports)
            if not no_classify and ws.has_rows("messages"):
                classify_after_import(ws)
            ws.close()


def _looks_canonical(path: Path, table: str | None) -> bool:
    from qunkpi.importers.readers import file_kind, table_name_for
    from qunkpi.workspace.schema import TABLES

    if table:
        return True
    files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path]
    return any(file_kind(p) is not None and table_name_for(p) in TABLES for p in files)


def classify_after_import(ws: object) -> None:
    from qunkpi.classify.engine import classify_workspace

    with progress_bar(tr("分类消息", "classifying messages")) as advance:
        stats = classify_workspace(ws, full=False, progress=lambda done, total: advance(done=done, total_=total))
    mode_zh, mode_en = classify_mode(stats)
    console.print(
        tr(
            f"消息分类：共 {stats['total']:,} 条消息，本次分类 {stats['classified']:,} 条（{mode_zh}），"
            f"用时 {stats['elapsed_ms'] / 1000:.1f} 秒",
            f"message classification: {stats['total']:,} messages, {stats['classified']:,} classified ({mode_en}) "
            f"in {stats['elapsed_ms'] / 1000:.1f} s",
        )
    )
    print_facts(refresh_facts_step(ws))
