"""``qunkpi report``: the weekly / bi-weekly / monthly report as HTML, Excel or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qunkpi.cli.common import WorkspaceOpt, console, user_errors
from qunkpi.i18n import get_lang, tr

FORMATS = ("html", "xlsx", "pdf")


def default_out(period: str, fmt: str, communities: list[str] | None) -> Path:
    safe = period.replace("..", "_to_").replace("+", "plus").replace("/", "-")
    suffix = ("_" + "-".join(communities)) if communities else ""
    return Path(f"qunkpi-report_{safe}{suffix}.{fmt}")


def register(app: typer.Typer) -> None:
    @app.command(
        "report",
        help=tr(
            "生成报告：--period 2026-W43（周报）| 2026-W43+2（双周，含下一周）| 2026-10（月报）| 2026-10-01..2026-10-14；--format html|xlsx|pdf",
            "write a report: --period 2026-W43 (weekly) | 2026-W43+2 (two weeks from that week) | 2026-10 (monthly) | 2026-10-01..2026-10-14; --format html|xlsx|pdf",
        ),
    )
    def report_cmd(
        workspace: WorkspaceOpt,
        period: Annotated[str, typer.Option("--period", "-p", help=tr("周期标签", "period label"))],
        community: Annotated[
            list[str] | None,
            typer.Option(
                "--community",
                "-c",
                help=tr("社群 ID（可多次；默认全部）", "community id (repeatable; default all)"),
            ),
        ] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="html | xlsx | pdf")] = "html",
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                help=tr(
                    "输出文件（默认 qunkpi-report_<周期>.<格式>）",
                    "output file (default qunkpi-report_<period>.<format>)",
                ),
            ),
        ] = None,
    ) -> None:
        from qunkpi.errors import QunkpiError
        from qunkpi.reports.data import parse_period_arg
        from qunkpi.workspace import Workspace

        with user_errors():
            if fmt not in FORMATS:
                raise QunkpiError(
                    tr(
                        f"未知格式 {fmt}：可用 html、xlsx、pdf",
                        f"unknown format {fmt}: use html, xlsx or pdf",
                    )
                )
            parse_period_arg(period)  # a bad label fails before the workspace is opened
            target = out or default_out(period, fmt, community)
            with Workspace.open(workspace, read_only=True) as ws:
                if community:
                    known = {
                        str(r[0]) for r in ws.con.execute("SELECT community_id FROM communities").fetchall()
                    }
                    unknown = [c for c in community if c not in known]
                    if unknown:
                        raise QunkpiError(
                            tr(
                                f"没有这些社群：{', '.join(unknown)}",
                                f"no such communities: {', '.join(unknown)}",
                            )
                        )
                if fmt == "html":
                    from qunkpi.reports.html import write_html_report as write
                elif fmt == "xlsx":
                    from qunkpi.reports.xlsx import write_xlsx_report as write
                else:
                    from qunkpi.reports.pdf import write_pdf_report as write
                path = write(ws, period, target, community, lang=get_lang())
        console.print(tr(f"已写出报告：{path.resolve()}", f"report written: {path.resolve()}"))
