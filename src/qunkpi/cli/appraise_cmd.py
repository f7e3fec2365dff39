"""``qunkpi appraise``: staff scorecards (SPEC §7), manual inputs with an audit trail, the forwardable workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from qunkpi.cli.common import WorkspaceOpt, console, df_records, err_console, print_json, user_errors
from qunkpi.i18n import tr

StaffOpt = Annotated[list[str] | None, typer.Option("--staff", "-s", help=tr("员工 ID 或姓名（可多次）", "staff id or name (repeatable)"))]


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "ratio":
        return f"{v:.1%}"
    if unit == "per_week":
        return tr(f"{v:.2f}/周", f"{v:.2f}/week")
    if unit == "count":
        return f"{v:,.0f}"
    if unit == "multiple":
        return f"{v:.2f}×"
    return f"{v:.4g}"


def _num(v: float | None, nd: int = 1) -> str:
    return "—" if v is None else f"{v:.{nd}f}"


def _print(results: list[Any], detail: bool) -> None:
    yes, no = tr("是", "yes"), tr("否", "no")
    if detail:
        for r in results:
            t = Table(title=f"{r.name} · {r.role_name} · {r.team or tr('未分组', 'no team')} · {r.period}", title_justify="left")
            for col in (tr("指标项", "item"), tr("数值", "value"), tr("目标", "target"), tr("达成", "achieved"),
                        tr("得分/10", "points/10"), tr("权重", "weight"), tr("说明", "notes")):
                t.add_column(col)
            for it in r.items:
                note = it.detail if it.reason is None else tr("无法测量（见下方）", "not measured (see below)")
                if it.period != r.period:
                    note = f"[{it.period}] {note}"
                t.add_row(it.name, _fmt(it.value, it.unit), _fmt(it.target, it.unit), "—" if it.achievement is None else f"{it.achievement:.0%}",
                          _num(it.points), f"{it.weight:g}%", note)
            console.print(t)
            line = tr(f"系统评分 {_num(r.system_score)}", f"system score {_num(r.system_score)}")
            if r.blending:
                line += tr(f" · 上级 {_num(r.supervisor_score)} · 自评 {_num(r.self_score)}", f" · supervisor {_num(r.supervisor_score)} · self {_num(r.self_score)}")
            console.print(line)
            for s in r.trainings:
                console.print(tr("  培训建议：", "  training: ") + s, highlight=False)
            for fl in r.flags:
                console.print(f"  [yellow]![/] {fl}", highlight=False)
            console.print()
    t = Table(title=tr("考核汇总", "Appraisal summary"))
    for col in (tr("姓名", "name"), tr("角色", "role"), tr("团队", "team"), tr("系统", "system"), tr("上级", "supervisor"),
                tr("自评", "self"), tr("总分", "total"), tr("等级", "grade"), tr("奖金系数", "bonus"),
                tr("连续>90", "streak >90"), tr("可晋升", "promotion")):
        t.add_column(col)
    for r in results:
        total = _num(r.total)
        if r.total is not None and r.bonus is not None:
            total = f"[green]{total}[/]" if r.bonus > 1 else (f"[red]{total}[/]" if r.bonus < 1 else total)
        t.add_row(r.name, r.role_name, r.team or "—", _num(r.system_score), _num(r.supervisor_score), _num(r.self_score), total,
                  r.grade or "—", "—" if r.bonus is None else f"{r.bonus:g}", str(r.streak), yes if r.promotion_eligible else no)
    console.print(t)


def register(app: typer.Typer) -> None:
    sub = typer.Typer(
        name="appraise",
        help=tr(
            "员工考核：按角色考核表计算各项得分、总分、等级、奖金系数与晋升资格；录入上级评分并留痕。",
            "staff appraisal: item points, total, grade, bonus coefficient and promotion eligibility per role scorecard; "
            "supervisor inputs with an audit trail.",
        ),
        invoke_without_command=True,
        no_args_is_help=False,
    )

    @sub.callback()
    def appraise_cmd(
        ctx: typer.Context,
        workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help=tr("工作区文件夹", "workspace folder"), envvar="QUNKPI_WORKSPACE")] = None,
        period: Annotated[str | None, typer.Option("--period", "-p", help=tr("考核周期，如 2026-10", "appraisal period, e.g. 2026-10"))] = None,
        staff: StaffOpt = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table|json")] = "table",
        xlsx: Annotated[Path | None, typer.Option("--xlsx", help=tr("另存为 Excel 工作簿（每个团队一张表，含公式）", "also write an Excel workbook (one sheet per team, formulas visible)"))] = None,
        summary: Annotated[bool, typer.Option("--summary", help=tr("只显示汇总表", "show the summary table only"))] = False,
    ) -> None:
        if ctx.invoked_subcommand is not None:
            return
        from qunkpi.errors import QunkpiError

        with user_errors():
            if workspace is None or period is None:
                raise QunkpiError(tr("需要 --workspace 和 --period（如 qunkpi appraise -w WS -p 2026-10）",
                                     "--workspace and --period are required (e.g. qunkpi appraise -w WS -p 2026-10)"))
            if fmt not in ("table", "json"):
                raise QunkpiError(tr("--format 应为 table 或 json", "--format must be table or json"))
            from qunkpi.appraisal import appraise_workspace, load_scorecards
            from qunkpi.appraisal.excel import write_workbook
            from qunkpi.workspace import Workspace

            ws = Workspace.open(workspace, read_only=True)
            try:
                cards = load_scorecards(ws.path)
                results = appraise_workspace(ws, period, staff or None, cards)
            finally:
                ws.close()
            if xlsx is not None:
                write_workbook(xlsx, results, cards, results[0].period if results else period)
        if fmt == "json":
            print_json([r.record() for r in results])
        else:
            _print(results, detail=not summary)
        if xlsx is not None:
            err_console.print(tr(f"已写入 {xlsx}", f"wrote {xlsx}"))

    @sub.command("input", help=tr(
        "录入一项考核数据（上级评分、自评、人工考核项、GMV 目标、活动创意分），记录录入人与时间",
        "record one appraisal input (supervisor/self score, a manual item, the GMV target, activity creativity) with who and when",
    ))
    def input_cmd(
        workspace: WorkspaceOpt,
        staff: Annotated[str, typer.Option("--staff", "-s", help=tr("员工 ID 或姓名", "staff id or name"))],
        period: Annotated[str, typer.Option("--period", "-p", help=tr("考核周期", "appraisal period"))],
        item: Annotated[str, typer.Option("--item", "-i", help=tr("录入项，如 supervisor_score、talent_pipeline、gmv_target", "input item, e.g. supervisor_score, talent_pipeline, gmv_target"))],
        value: Annotated[str, typer.Option("--value", "-v", help=tr("数值（可写 80%）", "value (80% allowed)"))],
        by: Annotated[str, typer.Option("--by", help=tr("录入人", "who enters it"))],
        note: Annotated[str | None, typer.Option("--note", help=tr("备注", "note"))] = None,
    ) -> None:
        from qunkpi.appraisal import inputs
        from qunkpi.appraisal.scorecard import load_scorecards
        from qunkpi.errors import QunkpiError
        from qunkpi.workspace import Workspace

        with user_errors():
            text = value.strip()
            try:
                v = float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
            except ValueError:
                raise QunkpiError(tr(f"--value 不是数字：{value}", f"--value is not a number: {value}")) from None
            ws = Workspace.open(workspace)
            try:
                cards = load_scorecards(ws.path)
                sid = inputs.resolve_staff(ws, staff)
                inputs.record(ws, [inputs.InputRow(sid, period, item, v, note)], entered_by=by, source="cli", cards=cards)
                name = inputs.known_staff(ws).get(sid, staff)
            finally:
                ws.close()
        console.print(tr(f"已记录：{name} {period} {item} = {v:g}（录入人 {by}）", f"recorded: {name} {period} {item} = {v:g} (by {by})"))

    @sub.command("import", help=tr(
        "从 CSV/Excel 批量录入：staff_id, period, item, value[, note]，或评审表格式 staff_id, period, self_score, supervisor_score",
        "record inputs from CSV/Excel: staff_id, period, item, value[, note], or the reviews layout staff_id, period, self_score, supervisor_score",
    ))
    def import_cmd(
        file: Annotated[Path, typer.Argument(help=tr("CSV 或 Excel 文件", "CSV or Excel file"))],
        workspace: WorkspaceOpt,
        by: Annotated[str, typer.Option("--by", help=tr("录入人", "who enters it"))],
    ) -> None:
        from qunkpi.appraisal import inputs
        from qunkpi.appraisal.scorecard import load_scorecards
        from qunkpi.workspace import Workspace

        with user_errors():
            ws = Workspace.open(workspace)
            try:
                n = inputs.import_file(ws, file, entered_by=by, cards=load_scorecards(ws.path))
            finally:
                ws.close()
        console.print(tr(f"已记录 {n} 项（录入人 {by}，来源 {file.name}）", f"recorded {n} inputs (by {by}, from {file.name})"))

    @sub.command("history", help=tr("录入留痕：谁在何时录入了什么", "the audit trail: who entered what, when"))
    def history_cmd(
        workspace: WorkspaceOpt,
        staff: Annotated[str | None, typer.Option("--staff", "-s", help=tr("员工 ID 或姓名", "staff id or name"))] = None,
        period: Annotated[str | None, typer.Option("--period", "-p", help=tr("考核周期", "appraisal period"))] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table|json")] = "table",
    ) -> None:
        from qunkpi.appraisal import inputs
        from qunkpi.workspace import Workspace

        with user_errors():
            ws = Workspace.open(workspace, read_only=True)
            try:
                sid = inputs.resolve_staff(ws, staff) if staff else None
                df = inputs.history(ws, sid, period)
            finally:
                ws.close()
        if fmt == "json":
            print_json(df_records(df))
            return
        t = Table(title=tr("考核录入留痕", "Appraisal input audit trail"))
        for col in ("#", tr("员工", "staff"), tr("周期", "period"), tr("录入项", "item"), tr("数值", "value"),
                    tr("录入人", "by"), tr("时间", "at"), tr("来源", "source"), tr("备注", "note")):
            t.add_column(col)
        for r in df.itertuples(index=False):
            t.add_row(str(r.seq), str(r.name or r.staff_id), str(r.period), str(r.item), f"{r.value:g}", str(r.entered_by),
                      str(r.entered_at), str(r.source), "" if r.note is None or r.note != r.note else str(r.note))
        console.print(t)

    @sub.command("check", help=tr("校验考核表（权重合计 100%、计分档位、测量项与指标目录）", "validate the scorecards (weights add to 100%, tiers, measures, catalog metrics)"))
    def check_cmd(
        workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help=tr("工作区文件夹", "workspace folder"), envvar="QUNKPI_WORKSPACE")] = None,
        file: Annotated[Path | None, typer.Option("--file", help=tr("要校验的考核表 YAML", "scorecard YAML to check"))] = None,
    ) -> None:
        from qunkpi.appraisal.scorecard import catalog_problems, load_scorecards

        with user_errors():
            cards = load_scorecards(workspace, path=file)
        warnings = catalog_problems(cards, str(file or (workspace / "scorecards.yaml" if workspace else "default.yaml")))
        for p in warnings:
            err_console.print(f"[yellow]{tr('提示', 'warning')}:[/] {p.format()}", highlight=False)
        roles = ", ".join(f"{k} ({len(c.items)})" for k, c in cards.roles.items())
        console.print(tr(f"考核表有效：{roles}", f"scorecards are valid: {roles}"))

    @sub.command("scorecard", help=tr("显示生效的考核表；--write 把默认考核表复制到工作区以便修改", "show the scorecards in effect; --write copies the defaults into the workspace to edit"))
    def scorecard_cmd(
        workspace: WorkspaceOpt,
        write: Annotated[bool, typer.Option("--write", help=tr("写出 <工作区>/scorecards.yaml", "write <workspace>/scorecards.yaml"))] = False,
    ) -> None:
        from qunkpi.appraisal.scorecard import DEFAULT_FILE, WORKSPACE_FILE, load_scorecards
        from qunkpi.errors import QunkpiError
        from qunkpi.i18n import get_lang

        with user_errors():
            if write:
                target = workspace / WORKSPACE_FILE
                if target.exists():
                    raise QunkpiError(tr(f"{target} 已存在，未覆盖", f"{target} exists; not overwritten"))
                target.write_text(DEFAULT_FILE.read_text(encoding="utf-8"), encoding="utf-8")
                console.print(tr(f"已写出 {target}，修改后用 qunkpi appraise check 校验", f"wrote {target}; check your edits with qunkpi appraise check"))
                return
            cards = load_scorecards(workspace)
        lang = get_lang()
        for role, card in cards.roles.items():
            t = Table(title=f"{role} · {card.name(lang)} · scope={card.scope}", title_justify="left")
            for col in (tr("指标项", "item"), tr("来源", "source"), tr("测量", "measure"), tr("目标", "target"), tr("权重", "weight"), tr("计分", "scoring")):
                t.add_column(col)
            for it in card.items:
                t.add_row(it.name(lang), it.source, it.measure or "", "" if it.target is None else f"{it.target:g}", f"{it.weight:g}%",
                          it.scoring.fn + (" · " + tr("销售项", "sales") if it.sales else ""))
            console.print(t)

    app.add_typer(sub, name="appraise")
