"""Workspace administration: ``export`` (Parquet lake for Spark), ``backup``, ``restore``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qunkpi.cli.common import WorkspaceOpt, console, user_errors
from qunkpi.i18n import tr


def register(app: typer.Typer) -> None:
    @app.command("export", help=tr("把工作区导出为分区 Parquet 数据湖（供 Spark 计算）；不导出密钥", "export the workspace as a partitioned Parquet lake (for Spark); the key is never exported"))
    def export_cmd(
        workspace: WorkspaceOpt,
        to: Annotated[str, typer.Option("--to", help=tr("导出格式（parquet）", "format (parquet)"))],
        out: Annotated[Path, typer.Argument(help=tr("目标文件夹", "target folder"))],
        overwrite: Annotated[bool, typer.Option("--overwrite", help=tr("覆盖已有内容", "replace existing content"))] = False,
    ) -> None:
        from qunkpi.engine.lake import export_lake
        from qunkpi.errors import QunkpiError
        from qunkpi.workspace import Workspace

        with user_errors():
            if to != "parquet":
                raise QunkpiError(tr("目前只支持 --to parquet", "only --to parquet is supported"))
            ws = Workspace.open(workspace, read_only=True)
            counts = export_lake(ws, out, overwrite=overwrite)
            ws.close()
        console.print(tr(f"已导出到 {out}：", f"exported to {out}: ") + ", ".join(f"{k} {v:,}" for k, v in counts.items() if v))

    @app.command("backup", help=tr("备份整个工作区为一个 .tar.gz（含密钥，请妥善保管）", "back up the whole workspace as one .tar.gz (contains the key: keep it safe)"))
    def backup_cmd(
        workspace: WorkspaceOpt,
        out: Annotated[Path, typer.Argument(help=tr("备份文件", "backup file"))],
    ) -> None:
        from qunkpi.workspace import Workspace
        from qunkpi.workspace.backup import backup

        with user_errors():
            path = backup(Workspace.open(workspace), out)
        console.print(tr(f"已备份到 {path}（权限 0600）", f"backed up to {path} (mode 0600)"))

    @app.command("restore", help=tr("从备份恢复工作区到新文件夹", "restore a workspace from a backup into a new folder"))
    def restore_cmd(
        archive: Annotated[Path, typer.Argument(help=tr("备份文件", "backup file"))],
        target: Annotated[Path, typer.Argument(help=tr("目标工作区文件夹", "target workspace folder"))],
        force: Annotated[bool, typer.Option("--force", help=tr("覆盖已有文件夹", "replace an existing folder"))] = False,
    ) -> None:
        from qunkpi.workspace.backup import restore

        with user_errors():
            ws = restore(archive, target, force=force)
            counts = ws.table_counts()
            ws.close()
        console.print(tr(f"已恢复到 {target}：", f"restored into {target}: ") + ", ".join(f"{k} {v:,}" for k, v in counts.items() if v))
