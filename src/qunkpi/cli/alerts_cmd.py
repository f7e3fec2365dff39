"""``qunkpi alerts`` (diagnosis rules, SPEC §6) and ``qunkpi review`` (bi-weekly top-3 review). Thin over qunkpi.alerts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table

from qunkpi.cli.common import WorkspaceOpt, console, err_console, json_value, print_json, user_errors
from qunkpi.i18n import tr

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "green"}


def _sev(s: str) -> str:
    names = {"critical": tr("严重", "critical"), "high": tr("高", "high"), "medium": tr("中", "medium"), "low": tr("低", "low"), "info": tr("提示", "info")}
    return f"[{SEVERITY_STYLE.get(s, 'white')}]{names.get(s, s)}[/]"


def alert_record(a: Any) -> dict[str, Any]:
    d = asdict(a)
    for ev in d["evidence"]:
        ev["rows"] = [[json_value(v) for v in row] for row in ev["rows"]]
    return d


def print_alert(a: Any, idx: int | None = None, max_rows: int = 10) -> None:
    from qunkpi.plans.targets import fmt

    head = f"{idx}. " if idx is not None else ""
    console.print(f"{head}{_sev(a.severity)} [bold]{a.title}[/] — {a.community_name} ({a.community_id}) · {a.period}", highlight=False)
    console.print(f"   {a.metric} = {fmt(a.value, a.unit)}  {tr('阈值', 'threshold')} {a.op} {fmt(a.threshold, a.unit)}"
                  + (f"  · {tr('影响分', 'impact')} {a.impact:.2f}" if a.kind == "problem" else ""), highlight=False)
    if a.series:
        console.print("   " + tr("逐期：", "by period: ") + "，".join(f"{lab} {fmt(v, a.unit)}" for lab, v in a.series), highlight=False)
    console.print(f"   [bold]{tr('建议行动', 'action')}[/]: {a.action}", highlight=False)
    for ev in a.evidence:
        if not ev.total:
            console.print(f"   [dim]{ev.title}: {tr('无', 'none')}[/]", highlight=False)
            continue
        t = Table(title=f"{ev.title} ({min(len(ev.rows), max_rows)}/{ev.total})", title_justify="left")
        for c in ev.columns:
            t.add_column(c, overflow="fold", max_width=48)
        for row in ev.rows[:max_rows]:
            t.add_row(*["" if v is None else str(v) for v in row])
        console.print(t)


def register(app: typer.Typer) -> None:
    @app.command("alerts", help=tr(
        "诊断预警：按规则（SPEC §6 与工作区 rules/*.yaml）评估每个社群，列出数值、阈值、背后的数据行与建议行动",
        "diagnosis alerts: evaluate the rules (SPEC §6 and the workspace's rules/*.yaml) per community, with value, threshold, the rows behind it and the action",
    ))
    def alerts_cmd(
        workspace: WorkspaceOpt,
        period: Annotated[str | None, typer.Option("--period", "-p", help=tr("周期：2026-10、2026-W43、2026-10-01..2026-10-14", "period: 2026-10, 2026-W43, 2026-10-01..2026-10-14"))] = None,
        community: Annotated[list[str] | None, typer.Option("--community", "-c", help=tr("社群 ID（可多次）", "community id (repeatable)"))] = None,
        limit: Annotated[int, typer.Option("--rows", help=tr("每条证据最多显示的行数", "evidence rows shown per alert"))] = 10,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table|json")] = "table",
        rules_only: Annotated[bool, typer.Option("--rules", help=tr("只列出生效的规则", "list the rules in force and stop"))] = False,
    ) -> None:
        from qunkpi.alerts import evaluate_alerts, load_rules
        from qunkpi.workspace import Workspace

        with user_errors():
            rs = load_rules(workspace)
            if rules_only:
                _print_rules(rs)
                return
            if period is None:
                from qunkpi.errors import QunkpiError

                raise QunkpiError(tr("需要 --period（如 2026-10）", "--period is required (e.g. 2026-10)"))
            ws = Workspace.open(workspace, read_only=True)
            notes: list[str] = []
            alerts = evaluate_alerts(ws, period, community or None, rules=rs, evidence_limit=max(limit, 1), problems=notes)
            ws.close()
        if fmt == "json":
            print_json([alert_record(a) for a in alerts])
            for n in notes:
                err_console.print(n, highlight=False)
            return
        if not alerts:
            console.print(tr(f"{period}：没有触发任何规则", f"{period}: no rule fired"))
        for a in alerts:
            print_alert(a, max_rows=limit)
        for w in rs.warnings:
            console.print(f"[dim]{tr('规则未生效', 'rule skipped')}: {w.format()}[/]", highlight=False)
        for n in notes:
            console.print(f"[yellow]{n}[/]", highlight=False)

    @app.command("review", help=tr(
        "双周复盘：按严重度与影响挑出前 3 个问题，附证据与行动（周标签 = 截至该周的两周）",
        "bi-weekly review: the top 3 problems by severity and impact, with evidence and actions (a week label = the fortnight ending that week)",
    ))
    def review_cmd(
        workspace: WorkspaceOpt,
        period: Annotated[str, typer.Option("--period", "-p", help=tr("2026-W43（两周）、2026-10-12..2026-10-25 或 2026-10", "2026-W43 (fortnight), 2026-10-12..2026-10-25 or 2026-10"))],
        community: Annotated[list[str] | None, typer.Option("--community", "-c", help=tr("社群 ID（可多次）", "community id (repeatable)"))] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table|json")] = "table",
    ) -> None:
        from qunkpi.alerts import review
        from qunkpi.workspace import Workspace

        with user_errors():
            ws = Workspace.open(workspace, read_only=True)
            rv = review(ws, period, community or None)
            ws.close()
        if fmt == "json":
            print_json([{"period": rv.period, "total_problems": rv.total_problems, "by_severity": rv.by_severity,
                         "top": [alert_record(a) for a in rv.top], "marks": [alert_record(a) for a in rv.marks]}])
            return
        console.print(f"[bold]{tr('双周复盘', 'Bi-weekly review')} {rv.period}[/] — "
                      + tr(f"共 {rv.total_problems} 个问题，聚焦前 {len(rv.top)} 个", f"{rv.total_problems} problems; focus on the top {len(rv.top)}"),
                      highlight=False)
        for i, a in enumerate(rv.top, 1):
            print_alert(a, i)
        if rv.others:
            console.print(tr("其余问题：", "other problems: ") + "；".join(f"{a.community_id} {a.title}" for a in rv.others), highlight=False)
        if rv.marks:
            console.print(tr("亮点：", "highlights: ") + "；".join(f"{a.community_id} {a.title}" for a in rv.marks), highlight=False)
        for n in rv.notes:
            console.print(f"[yellow]{n}[/]", highlight=False)


def _print_rules(rs: Any) -> None:
    from qunkpi.catalog import load_catalog
    from qunkpi.plans.targets import fmt, unit_of

    cat = load_catalog()
    t = Table(title=tr("诊断规则", "Diagnosis rules"))
    for col in ("id", tr("指标", "metric"), tr("条件", "condition"), tr("持续", "persistence"), tr("严重度", "severity"), tr("用途", "purposes"), tr("行动", "action")):
        t.add_column(col, overflow="fold")
    for r in rs.rules:
        if not r.enabled:
            continue
        pers = f"{r.persistence.count}×{r.persistence.grain}" if r.persistence else ""
        unit = unit_of(cat[r.metric]) if r.metric in cat else "ratio"
        t.add_row(r.id, r.metric, f"{r.op} {fmt(r.threshold, unit)}", pers, _sev(r.severity), ",".join(r.purposes) or "*", r.action())
    console.print(t)

