"""``qunkpi plan``: templates, suggest, set, show, check, refresh, drivers (SPEC §5). Thin over qunkpi.plans."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from qunkpi.cli.common import WorkspaceOpt, console, print_json, user_errors
from qunkpi.i18n import tr

STATUS_STYLE = {"on-track": "green", "at-risk": "yellow", "off-track": "red", "unknown": "dim"}
CommunityOpt = Annotated[str | None, typer.Option("--community", "-c", help=tr("社群 ID（社群计划）", "community id (community plan)"))]
TeamOpt = Annotated[str | None, typer.Option("--team", help=tr("团队名（团队计划，汇总其负责人所在团队的社群）", "team name (team plan rolling up the communities its staff own)"))]
CompanyOpt = Annotated[bool, typer.Option("--company", help=tr("全公司计划（汇总全部社群）", "company plan (rolls up every community)"))]
PeriodOpt = Annotated[str | None, typer.Option("--period", "-p", help=tr("截至周期（默认：数据中最近的完整周期）", "as-of period (default: the latest complete period in the data)"))]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table|json")]


def _status_text(s: str) -> str:
    names = {"on-track": tr("正常", "on-track"), "at-risk": tr("有风险", "at-risk"), "off-track": tr("偏离", "off-track"), "unknown": tr("未知", "unknown")}
    return f"[{STATUS_STYLE.get(s, 'white')}]{names.get(s, s)}[/]"


def _key(community: str | None, team: str | None, company: bool) -> str:
    from qunkpi.errors import QunkpiError
    from qunkpi.plans.store import key_for

    if sum(bool(x) for x in (community, team, company)) != 1:
        raise QunkpiError(tr("请指定且只指定一个：--community ID、--team 名称 或 --company", "give exactly one of --community ID, --team NAME or --company"))
    return key_for(community, team)


def _print_issues(issues: list[Any]) -> None:
    for i in issues:
        style = "red" if i.level == "error" else "yellow"
        label = tr("错误", "error") if i.level == "error" else tr("警告", "warning")
        console.print(f"[{style}]{label}[/] ", end="")
        console.print(i.format(), markup=False, highlight=False)


def _metric_name(mid: str | None) -> str:
    from qunkpi.catalog import load_catalog
    from qunkpi.i18n import get_lang

    cat = load_catalog()
    if mid and mid in cat:
        return f"{cat[mid].name(get_lang())} ({mid})"
    return mid or "?"


def _print_plan(plan: Any) -> None:
    from qunkpi.catalog import load_catalog
    from qunkpi.plans.targets import fmt, unit_of

    cat = load_catalog()
    console.print(f"[bold]{plan.name or plan.key()}[/] · {plan.scope} · {tr('用途', 'purpose')} {plan.purpose or '-'} · "
                  f"{tr('阶段', 'stage')} {plan.stage or '-'} · {plan.grain} · {plan.start} → {plan.deadline}", highlight=False)
    t = Table(title=tr("KPI 计划", "KPI plan"))
    for col in ("", tr("指标", "metric"), tr("类型", "kind"), tr("基线", "baseline"), tr("目标", "target"), tr("截止", "deadline"), tr("行动", "actions")):
        t.add_column(col)
    for path, tg in plan.targets():
        unit = unit_of(cat[tg.metric]) if tg.metric in cat else "ratio"
        kind = tg.kind or (cat[tg.metric].kind if tg.metric in cat else "")
        t.add_row("★" if path == "north_star" else "", _metric_name(tg.metric), kind, fmt(tg.baseline, unit), fmt(tg.target, unit),
                  str(plan.deadline_of(tg) or ""), "；".join(tg.actions))
    console.print(t)


def _print_reasoning(plan: Any) -> None:
    for path, tg in plan.targets():
        if tg.reasoning:
            console.print(f"[bold]{'★ ' if path == 'north_star' else ''}{_metric_name(tg.metric)}[/]", highlight=False)
            for line in tg.reasoning:
                console.print(f"  · {line}", markup=False, highlight=False)


def _on_stored_plan(workspace: Path, key: str, fn: Any, arg: Any) -> tuple[Any, Any]:
    """Load the stored plan, run ``fn(ws, plan, arg)`` on the workspace read-only, close it."""
    from qunkpi.plans.store import load_stored
    from qunkpi.workspace import Workspace

    plan, _ = load_stored(workspace, key)
    ws = Workspace.open(workspace, read_only=True)
    try:
        return plan, fn(ws, plan, arg)
    finally:
        ws.close()


def register(app: typer.Typer) -> None:
    plan_app = typer.Typer(help=tr("KPI 计划：模板、建议目标、SMART 校验、进度与预测、季度刷新、驱动因素",
                                   "KPI plans: templates, proposed targets, SMART checks, progress and projection, refresh, drivers"),
                           no_args_is_help=True)
    app.add_typer(plan_app, name="plan")

    @plan_app.command("templates", help=tr("列出计划模板（用途、阶段、账号类型、示例）", "list plan templates (purpose, stage, account type, examples)"))
    def templates_cmd(
        workspace: Annotated[Path | None, typer.Option("--workspace", "-w", envvar="QUNKPI_WORKSPACE", help=tr("工作区（含自定义模板）", "workspace (with its own templates)"))] = None,
        fmt: FormatOpt = "table",
    ) -> None:
        from qunkpi.plans.model import load_templates

        with user_errors():
            ts = load_templates(workspace)
        if fmt == "json":
            print_json([t.model_dump() for t in ts.templates.values()])
            return
        t = Table(title=tr("计划模板", "Plan templates"))
        for col in ("id", tr("类型", "kind"), tr("名称", "name"), tr("北极星", "North Star"), tr("支撑指标", "supporting"), tr("来源", "source")):
            t.add_column(col)
        for tp in ts.templates.values():
            t.add_row(tp.id, tp.kind, tp.name(), tp.north_star.metric if tp.north_star else "-",
                      ", ".join(m.metric for m in tp.supporting), tp.source)
        console.print(t)
        for w in ts.issues:
            console.print(f"[yellow]{tr('警告', 'warning')}[/] {w.format()}", highlight=False)

    @plan_app.command("suggest", help=tr(
        "按用途与阶段模板建议计划：每个目标由该指标近 3 期基线与阶段基准算出，并显示理由",
        "propose a plan from the purpose and stage templates: each target from the metric's trailing-3-period baseline and the stage benchmark, with the reasoning",
    ))
    def suggest_cmd(
        workspace: WorkspaceOpt,
        community: CommunityOpt = None,
        team: TeamOpt = None,
        company: CompanyOpt = False,
        purpose: Annotated[str | None, typer.Option("--purpose", help="sales|service|content|leads")] = None,
        stage: Annotated[str | None, typer.Option("--stage", help=tr("startup|growth|mature（默认按社群资料/创建时间）", "startup|growth|mature (default: stored or derived)"))] = None,
        template: Annotated[str | None, typer.Option("--template", help=tr("模板 ID（如 fitness_checkin、mother_baby、paid_course）", "template id (e.g. fitness_checkin, mother_baby, paid_course)"))] = None,
        account_type: Annotated[str | None, typer.Option("--account-type", help=tr("公众号/视频号类型：media|product|sales", "account type: media|product|sales"))] = None,
        period: PeriodOpt = None,
        horizon: Annotated[int, typer.Option("--horizon", help=tr("计划期数", "number of plan periods"))] = 3,
        grain: Annotated[str, typer.Option("--grain", help="month|week|quarter")] = "month",
        out: Annotated[Path | None, typer.Option("--out", "-o", help=tr("把建议计划写入 YAML 文件（可编辑后 plan set）", "write the proposal to a YAML file (edit, then plan set)"))] = None,
        save: Annotated[bool, typer.Option("--save", help=tr("直接保存为工作区计划", "store it as the workspace's plan"))] = False,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table|yaml|json")] = "table",
    ) -> None:
        from qunkpi.plans.model import raise_errors
        from qunkpi.plans.service import suggest_plan
        from qunkpi.plans.store import save_plan
        from qunkpi.workspace import Workspace

        with user_errors():
            _key(community, team, company)
            ws = Workspace.open(workspace, read_only=True)
            s = suggest_plan(ws, community_id=community, team=team, purpose=purpose, stage=stage, template=template,
                             account_type=account_type, period=period, horizon=horizon, grain=grain)
            ws.close()
            if out is not None:
                out.write_text(s.plan.to_yaml(), encoding="utf-8")
            if save:
                raise_errors(s.issues, "plan")
                path = save_plan(workspace, s.plan)
        if fmt == "yaml":
            sys.stdout.write(s.plan.to_yaml())
            return
        if fmt == "json":
            print_json([{"plan": s.plan.model_dump(mode="json"), "issues": [asdict(i) for i in s.issues],
                         "skipped": [{"metric": m, "reason": r} for m, r in s.skipped], "context": s.context}])
            return
        for line in s.context:
            console.print(f"· {line}", markup=False, highlight=False)
        _print_plan(s.plan)
        console.print(f"[bold]{tr('目标理由', 'Why these targets')}[/]")
        _print_reasoning(s.plan)
        for m, r in s.skipped:
            console.print(f"[dim]{tr('未纳入', 'left out')} {m}: {r}[/]", highlight=False)
        _print_issues(s.issues)
        if out is not None:
            console.print(tr(f"已写入 {out}：编辑后用 `qunkpi plan set {out}` 保存", f"written to {out}: edit it, then `qunkpi plan set {out}`"))
        if save:
            console.print(tr(f"已保存计划 {path}", f"plan stored in {path}"))

    @plan_app.command("set", help=tr("校验并保存计划文件（YAML，可由 suggest --out 生成后编辑）", "validate and store a plan file (YAML, e.g. from suggest --out)"))
    def set_cmd(
        file: Annotated[Path, typer.Argument(help=tr("计划 YAML 文件", "plan YAML file"))],
        workspace: WorkspaceOpt,
    ) -> None:
        from qunkpi.plans.model import raise_errors, read_plan_file
        from qunkpi.plans.service import validate_plan
        from qunkpi.plans.store import save_plan
        from qunkpi.workspace import Workspace

        with user_errors():
            plan, issues = read_plan_file(file)
            raise_errors(issues, "plan")
            assert plan is not None
            ws = Workspace.open(workspace, read_only=True)
            issues = validate_plan(ws, plan, where=file.name)
            ws.close()
            raise_errors(issues, "plan")
            path = save_plan(workspace, plan)
        _print_issues(issues)
        console.print(tr(f"计划已保存：{path}", f"plan stored: {path}"))

    @plan_app.command("show", help=tr("显示已保存的计划", "show a stored plan"))
    def show_cmd(
        workspace: WorkspaceOpt,
        community: CommunityOpt = None,
        team: TeamOpt = None,
        company: CompanyOpt = False,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table|yaml|json")] = "table",
    ) -> None:
        from qunkpi.plans.store import load_stored

        with user_errors():
            plan, _ = load_stored(workspace, _key(community, team, company))
        if fmt == "yaml":
            sys.stdout.write(plan.to_yaml())
        elif fmt == "json":
            print_json([plan.model_dump(mode="json")])
        else:
            _print_plan(plan)
            _print_reasoning(plan)

    @plan_app.command("check", help=tr(
        "SMART 校验 + 进度：实际 vs 目标、进度、到截止期的预测与区间、状态（正常/有风险/偏离）",
        "SMART checks + progress: actual vs target, pace, projection to the deadline with a band, status on-track / at-risk / off-track",
    ))
    def check_cmd(
        workspace: WorkspaceOpt,
        community: CommunityOpt = None,
        team: TeamOpt = None,
        company: CompanyOpt = False,
        period: PeriodOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        from qunkpi.plans.service import plan_progress
        from qunkpi.plans.targets import fmt as vfmt

        with user_errors():
            _, rep = _on_stored_plan(workspace, _key(community, team, company), plan_progress, period)
        if fmt == "json":
            print_json([{
                "as_of": rep.as_of, "issues": [asdict(i) for i in rep.issues],
                "precondition": None if rep.precondition is None else {"csat_share": rep.precondition[0], "met": rep.precondition[1]},
                "targets": [{**{k: v for k, v in asdict(r).items() if k != "projection"},
                             "projection": asdict(r.projection), "deadline": str(r.deadline)} for r in rep.rows],
            }])
            return
        console.print(tr(f"截至 {rep.as_of}", f"as of {rep.as_of}"))
        for n in rep.notes:
            console.print(f"· {n}", markup=False, highlight=False)
        t = Table(title=tr("计划进度", "Plan progress"))
        for col in ("", tr("指标", "metric"), tr("基线", "baseline"), tr("实际", "actual"), tr("目标", "target"), tr("按进度应达", "expected now"),
                    tr("预测（80% 区间）", "projection (80% band)"), tr("状态", "status")):
            t.add_column(col)
        for r in rep.rows:
            pace = vfmt(r.expected_now, r.unit) + ("" if r.ahead is None else (tr(" 领先", " ahead") if r.ahead else tr(" 落后", " behind")))
            pace += f" ({r.time_share:.0%})"
            proj = f"{vfmt(r.projection.value, r.unit)} [{vfmt(r.projection.low, r.unit)}, {vfmt(r.projection.high, r.unit)}]"
            t.add_row("★" if r.path == "north_star" else "", _metric_name(r.metric) + (f"\n[dim]{r.precondition}[/]" if r.precondition else ""),
                      vfmt(r.baseline, r.unit), f"{vfmt(r.actual, r.unit)} ({r.actual_period or '-'})", vfmt(r.target, r.unit),
                      pace, proj, _status_text(r.status))
        console.print(t)
        _print_issues(rep.issues)

    @plan_app.command("refresh", help=tr(
        "季度刷新：按上季达成率浮动目标（最多 ±15%，seed 003），并按历史季节性（双11、618、寒暑假）调整各月目标",
        "quarterly refresh: move targets by last quarter's achievement (at most ±15%, seed 003) and adjust months for seasonality seen in the history",
    ))
    def refresh_cmd(
        workspace: WorkspaceOpt,
        community: CommunityOpt = None,
        team: TeamOpt = None,
        company: CompanyOpt = False,
        quarter: Annotated[str | None, typer.Option("--quarter", help=tr("评估达成率的季度（默认：计划截止所在季度）", "quarter whose achievement is assessed (default: the plan deadline's)"))] = None,
        save: Annotated[bool, typer.Option("--save", help=tr("保存刷新后的计划", "store the refreshed plan"))] = False,
        out: Annotated[Path | None, typer.Option("--out", "-o", help=tr("写入 YAML 文件", "write to a YAML file"))] = None,
        fmt: FormatOpt = "table",
    ) -> None:
        from qunkpi.plans.service import refresh_plan
        from qunkpi.plans.store import save_plan

        with user_errors():
            _, res = _on_stored_plan(workspace, _key(community, team, company), refresh_plan, quarter)
            if out is not None:
                out.write_text(res.plan.to_yaml(), encoding="utf-8")
            if save:
                save_plan(workspace, res.plan)
        if fmt == "json":
            print_json([{"quarter": res.quarter, "next_quarter": res.next_quarter, "rows": [asdict(r) for r in res.rows],
                         "plan": res.plan.model_dump(mode="json")}])
            return
        console.print(tr(f"{res.quarter} 达成情况 → {res.next_quarter} 目标", f"{res.quarter} achievement → {res.next_quarter} targets"))
        for r in res.rows:
            console.print(f"[bold]{_metric_name(r.metric)}[/]", highlight=False)
            for line in r.reasoning:
                console.print(f"  · {line}", markup=False, highlight=False)
        if save:
            console.print(tr("已保存刷新后的计划", "refreshed plan stored"))

    @plan_app.command("drivers", help=tr(
        "驱动因素：哪些支撑指标与北极星同向变动（跨期、跨社群的滞后相关；是证据，不是因果）",
        "drivers: which supporting metrics moved with the North Star (lagged correlation across periods and communities; evidence, not causality)",
    ))
    def drivers_cmd(
        workspace: WorkspaceOpt,
        community: CommunityOpt = None,
        team: TeamOpt = None,
        company: CompanyOpt = False,
        period: PeriodOpt = None,
        fmt: FormatOpt = "table",
    ) -> None:
        from qunkpi.plans.service import plan_drivers

        with user_errors():
            plan, ds = _on_stored_plan(workspace, _key(community, team, company), plan_drivers, period)
        if fmt == "json":
            print_json([asdict(d) for d in ds])
            return
        t = Table(title=tr(f"与北极星 {plan.north_star.metric} 的滞后相关（证据，不是因果）",
                           f"Lagged correlation with the North Star {plan.north_star.metric} (evidence, not causality)"))
        for col in (tr("支撑指标", "supporting metric"), tr("滞后期", "lag"), "r", tr("配对数", "pairs"), tr("社群数", "communities")):
            t.add_column(col)
        best: dict[str, Any] = {}
        for d in ds:  # the lag with the strongest correlation per metric
            cur = best.get(d.metric)
            if cur is None or (d.r is not None and (cur.r is None or abs(d.r) > abs(cur.r))):
                best[d.metric] = d
        for d in sorted(best.values(), key=lambda x: -abs(x.r) if x.r is not None else 1.0):
            t.add_row(_metric_name(d.metric), str(d.lag), "n/a" if d.r is None else f"{d.r:+.2f}", str(d.pairs), str(d.communities))
        console.print(t)
        console.print(tr("每个指标显示相关最强的滞后期（0–2）；滞后 1 = 支撑指标先于北极星一期变动；配对数少于 4 不计算；--format json 给出全部滞后期。",
                         "each metric shows its strongest lag (0–2); lag 1 = the supporting metric moved one period before the North Star; "
                         "fewer than 4 pairs → n/a; --format json lists every lag."))
