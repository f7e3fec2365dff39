"""Plan services: propose, validate, track, refresh and explain plans. No printing (CLI and web call these)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from qunkpi.engine.periods import Period, parse_period, period_of
from qunkpi.errors import QunkpiError
from qunkpi.i18n import get_lang, tr
from qunkpi.plans.community import communities_of_team, community_info, community_infos
from qunkpi.plans.drivers import Driver, best_lag
from qunkpi.plans.history import (
    MetricSource,
    Values,
    additive_metrics,
    collapse_breakdowns,
    data_start,
    engine_source,
    periods_between,
    rollup,
)
from qunkpi.plans.model import Issue, Plan, Target, Template, TemplateBenchmark, TemplateSet, load_templates
from qunkpi.plans.smart import (
    PRECONDITION_METRIC,
    PRECONDITION_VALUE,
    SALES_METRICS,
    History,
    check_plan,
    plan_periods,
)
from qunkpi.plans.targets import (
    BenchmarkRef,
    Projection,
    clamp_unit,
    diff_sd,
    fmt,
    mean,
    project,
    propose,
    round_for,
    sign,
    status,
    unit_of,
)

if TYPE_CHECKING:
    from qunkpi.catalog.model import MetricDef
    from qunkpi.workspace.workspace import Workspace

HISTORY_MAX = 24  # periods of history read for baselines, plausibility and seasonality
ROLLUP = "__rollup__"
ACCOUNT_PLATFORMS = ("official_account", "channels", "account")


def catalog_defs() -> dict[str, MetricDef]:
    from qunkpi.catalog import load_catalog

    return dict(load_catalog().metrics)


# -- scope and history ---------------------------------------------------------------------------------------


@dataclass
class Scope:
    kind: str  # community | team | company
    communities: list[str]
    community_id: str | None = None
    team: str | None = None

    @property
    def key(self) -> str:
        return self.community_id if self.kind == "community" and self.community_id else ROLLUP

    def label(self) -> str:
        if self.kind == "community":
            return self.community_id or "?"
        return tr(f"团队 {self.team}", f"team {self.team}") if self.kind == "team" else tr("全公司", "company")


def scope_for(ws: Workspace, community_id: str | None = None, team: str | None = None) -> Scope:
    if community_id:
        community_info(ws, community_id)  # raises a clear error for unknown ids
        return Scope("community", [community_id], community_id=community_id)
    if team:
        return Scope("team", communities_of_team(ws, team), team=team)
    return Scope("company", communities_of_team(ws, None))


def scope_of_plan(ws: Workspace, plan: Plan) -> Scope:
    return scope_for(ws, plan.community_id if plan.scope == "community" else None, plan.team if plan.scope == "team" else None)


def data_horizon(ws: Workspace) -> datetime | None:
    cands: list[datetime] = []
    for sql in ("SELECT max(joined_at), max(left_at) FROM members", "SELECT max(sent_at), NULL FROM messages",
                "SELECT max(paid_at), NULL FROM orders", "SELECT max(published_at), NULL FROM posts"):
        for v in ws.con.execute(sql).fetchall()[0]:
            if v is not None:
                cands.append(pd.Timestamp(v).to_pydatetime())
    return max(cands) if cands else None


def latest_period(ws: Workspace, grain: str = "month") -> Period:
    """The last complete period at ``grain``: the one holding the latest data if that reaches its last day."""
    h = data_horizon(ws)
    if h is None:
        raise QunkpiError(tr("工作区没有数据：先 `qunkpi import`", "the workspace has no data: run `qunkpi import` first"))
    p = period_of(grain, h)
    return p if h >= p.end - timedelta(days=1) else p.previous()


def _breakdown_filter(frame: pd.DataFrame, breakdowns: dict[str, str]) -> pd.DataFrame:
    return collapse_breakdowns(frame, breakdowns)


def fetch_history(ws: Workspace, scope: Scope, metrics: list[str], periods: list[Period],
                  source: MetricSource | None = None, breakdowns: dict[str, str] | None = None) -> tuple[History, dict[str, str]]:
    """Values of ``metrics`` for the scope over ``periods`` (a team/company scope is rolled up) + why some are missing."""
    src = source or engine_source(ws)
    bd = breakdowns or {}
    labels = [p.label for p in periods]
    metrics = list(dict.fromkeys(metrics))
    if not metrics or not periods:
        return History(labels, {m: [None] * len(labels) for m in metrics}), {}
    if scope.kind == "community":
        frame = _breakdown_filter(src(periods, metrics, scope.communities), bd)
    else:
        defs = catalog_defs()
        extra: list[str] = ["members_end"] if "members_end" in defs else []
        for m in metrics:
            if m in defs:
                extra += defs[m].depends()
        wanted = list(dict.fromkeys([*metrics, *extra]))
        raw = _breakdown_filter(src(periods, wanted, scope.communities), bd)
        units: dict[str, str] = {m: str(d.unit) for m, d in defs.items()}
        exprs = {m: d.expr for m, d in defs.items()}
        frame = rollup(raw, units, exprs, label=ROLLUP, additive=additive_metrics(defs)) if not raw.empty else raw
    vals = Values(frame)
    hist = History(labels, {m: vals.series(scope.key, labels, m) for m in metrics})
    reasons: dict[str, str] = {}
    for m in metrics:
        if all(v is None for v in hist.values[m]):
            why = vals.reason(scope.key, labels[-1], m)
            reasons[m] = why or "n/a"
    return hist, reasons


def history_periods(ws: Workspace, last: Period, grain: str, n_max: int = HISTORY_MAX) -> list[Period]:
    first = last
    for _ in range(n_max - 1):
        first = first.previous()
    ds = data_start(ws)
    if ds is not None and ds > first.start:
        first = period_of(grain, ds)
    if first.start > last.start:
        first = last
    return periods_between(first.start, last.start, grain)


# -- suggestions -------------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    plan: Plan
    issues: list[Issue]
    skipped: list[tuple[str, str]]
    context: list[str]


def _benchmark(entry_bm: TemplateBenchmark | None, m: MetricDef, purpose: str | None, stage: str | None,
               account_type: str | None, grain: str = "month") -> BenchmarkRef | None:
    """The template's benchmark, else the catalog's for this purpose/stage/account type. A catalog benchmark of a
    volume stated for another grain (topic bursts ≥ 2 per *week*) does not apply to a monthly target."""
    if entry_bm is not None:
        return BenchmarkRef(entry_bm.op, entry_bm.value, entry_bm.source)
    if m.grain != grain and unit_of(m) in ("count", "yuan"):
        return None
    for b in m.benchmarks:
        if b.op in (">=", "<=", ">", "<") and b.applies(purpose, stage, account_type):
            return BenchmarkRef(b.op, b.value, b.source)
    return None


def _lang_list(zh: list[str], en: list[str]) -> list[str]:
    return list(en if get_lang() == "en" and en else zh)


def _periods_after(p: Period, n: int) -> list[Period]:
    out = [p.next()]
    while len(out) < n:
        out.append(out[-1].next())
    return out


def suggest_plan(
    ws: Workspace,
    *,
    community_id: str | None = None,
    team: str | None = None,
    purpose: str | None = None,
    stage: str | None = None,
    template: str | None = None,
    account_type: str | None = None,
    period: str | None = None,
    horizon: int = 3,
    grain: str = "month",
    source: MetricSource | None = None,
    templates: TemplateSet | None = None,
) -> Suggestion:
    """Propose a plan: the template for the purpose (and stage), each target from its baseline and benchmark."""
    defs = catalog_defs()
    tset = templates or load_templates(ws.path, set(defs))
    scope = scope_for(ws, community_id, team)
    context: list[str] = []
    info = community_info(ws, community_id) if community_id else None
    chosen: Template | None = tset.get(template) if template else None
    if chosen is not None and chosen.kind == "account_type" and account_type is None:
        account_type = chosen.account_type
    if chosen is not None and chosen.kind == "stage":
        raise QunkpiError(tr("阶段模板会自动叠加；--template 请选用途、账号类型或示例模板",
                             "stage templates are added automatically; give --template a purpose, account-type or example template"))
    if info is not None and info.platform in ACCOUNT_PLATFORMS and account_type is None and chosen is None:
        raise QunkpiError(tr(
            f"{community_id} 是公众号/视频号：请用 --account-type media|product|sales 说明账号类型（seed 002：账号里更多是读者还是买家？）",
            f"{community_id} is an official account / Channels account: give --account-type media|product|sales (seed 002: readers or buyers?)",
        ))
    if purpose is None and info is not None and info.purpose:
        purpose = info.purpose
        context.append(tr(f"用途：{purpose}（社群资料）", f"purpose: {purpose} (from the community record)"))
    elif purpose is not None:
        context.append(tr(f"用途：{purpose}（命令行指定）", f"purpose: {purpose} (given on the command line)"))
    if purpose is None and chosen is not None and chosen.purpose:
        purpose = chosen.purpose
        context.append(tr(f"用途：{purpose}（来自模板 {chosen.id}）", f"purpose: {purpose} (from template {chosen.id})"))
    if purpose is None and account_type is None:
        where = tr(f"社群 {community_id} 没有设置用途", f"community {community_id} has no purpose set") if community_id else \
            tr("团队/公司计划需要指定用途", "a team or company plan needs a purpose")
        raise QunkpiError(tr(
            f"{where}：请加 --purpose sales|service|content|leads（导入的真实导出数据无法得知用途）",
            f"{where}: add --purpose sales|service|content|leads (imported real exports cannot know it)",
        ))
    if purpose is not None and purpose not in ("sales", "service", "content", "leads"):
        raise QunkpiError(tr(f"未知用途 {purpose}：可用 sales、service、content、leads", f"unknown purpose {purpose}: use sales, service, content or leads"))
    p = parse_period(period) if period else latest_period(ws, grain)
    if p.grain != grain:
        p = period_of(grain, p.end - timedelta(seconds=1))
    if stage is None and info is not None and account_type is None:
        stage = info.stage_at(p.end)
        if stage:
            how = tr("社群资料", "community record") if info.stage_set else tr(f"按创建时间 {info.created_at:%Y-%m-%d} 推算", f"derived from created_at {info.created_at:%Y-%m-%d}")
            context.append(tr(f"阶段：{stage}（{how}，截至 {p.label} 末）", f"stage: {stage} ({how}, at the end of {p.label})"))
    main = chosen or (tset.for_account_type(account_type) if account_type else tset.for_purpose(purpose or ""))
    if main is None or main.north_star is None:
        raise QunkpiError(tr("没有适用的模板", "no template applies"))
    stage_t = tset.for_stage(stage) if stage and account_type is None else None
    context.append(tr(f"模板：{main.id}" + (f" + {stage_t.id}" if stage_t else ""), f"templates: {main.id}" + (f" + {stage_t.id}" if stage_t else "")))

    # entries: (metric, kind, breakdown, benchmark, relation, actions)
    entries: list[tuple[str, str | None, str | None, TemplateBenchmark | None, str, list[str]]] = []
    for tpl in [main, *([stage_t] if stage_t else [])]:
        for e in tpl.supporting:
            if any(x[0] == e.metric for x in entries):
                if e.benchmark is not None:
                    entries = [(x[0], x[1], x[2], x[3] or e.benchmark, x[4], x[5]) if x[0] == e.metric else x for x in entries]
                continue
            entries.append((e.metric, e.kind, e.breakdown, e.benchmark, tr(e.relation_zh, e.relation_en), _lang_list(e.actions_zh, e.actions_en)))
    ns = main.north_star
    skipped: list[tuple[str, str]] = []
    candidates = [ns.metric, *ns.alternatives]
    wanted = [m for m in dict.fromkeys([*candidates, *(e[0] for e in entries)]) if m in defs]
    for m in dict.fromkeys([*candidates, *(e[0] for e in entries)]):
        if m not in defs:
            skipped.append((m, tr("指标目录中还没有", "not in the catalog yet")))
    hist_periods = history_periods(ws, p, grain)
    bds = {e[0]: e[2] for e in entries if e[2]}
    if ns.breakdown:
        bds[ns.metric] = ns.breakdown
    history, reasons = fetch_history(ws, scope, wanted, hist_periods, source, bds)
    n_base = ws.settings.plans.baseline_periods
    plan_ps = _periods_after(p, horizon)
    deadline = (plan_ps[-1].end - timedelta(days=1)).date()
    context.append(tr(f"基线：{', '.join(history.labels[-n_base:])} 的平均值；计划期 {plan_ps[0].label} – {plan_ps[-1].label}",
                      f"baseline: mean of {', '.join(history.labels[-n_base:])}; plan periods {plan_ps[0].label} – {plan_ps[-1].label}"))

    def make_target(mid: str, kind: str | None, bd: str | None, bm: TemplateBenchmark | None, relation: str, actions: list[str]) -> Target | None:
        m = defs[mid]
        base, base_labels = history.baseline(mid, n_base)
        if base is None:
            skipped.append((mid, tr(f"没有数据（{reasons.get(mid, 'n/a')}）", f"no data ({reasons.get(mid, 'n/a')})")))
            return None
        ref = _benchmark(bm, m, purpose, stage, account_type, grain)
        prop = propose(base, m.direction, unit_of(m), ref)
        if prop.target is None:
            skipped.append((mid, "; ".join(prop.reasoning)))
            return None
        vals = [f"{lab} {fmt(v, unit_of(m))}" for lab, v in zip(base_labels, history.of(mid)[-n_base:], strict=True)]
        reasoning = [tr(f"基线 {fmt(base, unit_of(m))} = 平均（{'，'.join(vals)}）", f"baseline {fmt(base, unit_of(m))} = mean of ({', '.join(vals)})"), *prop.reasoning]
        return Target(metric=mid, target=prop.target, baseline=round_for(base, unit_of(m)), baseline_periods=base_labels,
                      kind=kind or m.kind, breakdown=bd, actions=actions, relation=relation, reasoning=reasoning)  # type: ignore[arg-type]

    north: Target | None = None
    for i, mid in enumerate(c for c in candidates if c in defs):
        north = make_target(mid, None, ns.breakdown if mid == ns.metric else None, ns.benchmark if mid == ns.metric else None,
                            tr(ns.why_zh, ns.why_en), _lang_list(ns.actions_zh, ns.actions_en))
        if north is not None:
            if i > 0 or mid != ns.metric:
                context.append(tr(f"北极星 {ns.metric} 没有数据，改用备选 {mid}", f"North Star {ns.metric} has no data; using the alternative {mid}"))
            break
    if north is None:
        north = Target(metric=ns.metric if ns.metric in defs else next((c for c in candidates if c in defs), ns.metric),
                       relation=tr(ns.why_zh, ns.why_en), actions=_lang_list(ns.actions_zh, ns.actions_en),
                       reasoning=[tr("北极星及备选都没有数据：请导入相关数据表或手工填写目标", "no data for the North Star or its alternatives: import the tables or fill the target by hand")])
    supporting: list[Target] = []
    for ent in entries:
        if ent[0] == north.metric or ent[0] not in defs:
            continue
        tg = make_target(*ent)
        if tg is not None:
            supporting.append(tg)
    name = info.name if info else scope.label()
    plan = Plan(
        scope=scope.kind,  # type: ignore[arg-type]
        community_id=community_id,
        team=team,
        name=name,
        purpose=purpose,  # type: ignore[arg-type]
        stage=stage,  # type: ignore[arg-type]
        account_type=account_type,  # type: ignore[arg-type]
        templates=[main.id, *([stage_t.id] if stage_t else [])],
        grain=grain,  # type: ignore[arg-type]
        start=plan_ps[0].label,
        deadline=deadline,
        north_star=north,
        supporting=supporting,
    )
    issues = check_plan(plan, defs, history, where=tr("建议计划", "proposed plan"), baseline_n=n_base)
    return Suggestion(plan, issues, list(dict.fromkeys(skipped)), context)


# -- validation ------------------------------------------------------------------------------------------------


def validate_plan(ws: Workspace, plan: Plan, where: str = "plan", source: MetricSource | None = None) -> list[Issue]:
    """SMART checks with the plan scope's own history before the plan starts (for plausibility)."""
    defs = catalog_defs()
    issues: list[Issue] = []
    if plan.scope == "community" and plan.community_id and plan.community_id not in community_infos(ws, include_accounts=True):
        issues.append(Issue("error", f"{where}: community_id", tr(f"工作区没有社群 {plan.community_id}", f"no community {plan.community_id} in the workspace")))
        return issues + check_plan(plan, defs, None, where)
    try:
        start = parse_period(plan.start)
    except QunkpiError:
        return check_plan(plan, defs, None, where)
    start = period_of(plan.grain, start.start)
    metrics = [t.metric for _, t in plan.targets() if t.metric in defs]
    history = None
    if metrics and data_horizon(ws) is not None:
        scope = scope_of_plan(ws, plan)
        bds = {t.metric: t.breakdown for _, t in plan.targets() if t.metric and t.breakdown}
        history, _ = fetch_history(ws, scope, metrics, history_periods(ws, start.previous(), plan.grain), source, bds)  # type: ignore[arg-type]
    return check_plan(plan, defs, history, where, ws.settings.plans.baseline_periods)


# -- progress ---------------------------------------------------------------------------------------------------


@dataclass
class TargetProgress:
    path: str
    metric: str
    unit: str
    direction: str
    kind: str
    baseline: float | None
    target: float
    deadline: date
    periods: list[tuple[str, float | None, float]]  # label, actual, target of that period
    actual: float | None
    actual_period: str | None
    elapsed: int
    total: int
    pace: float | None  # share of the way from baseline to target covered so far
    time_share: float  # share of the plan periods elapsed
    expected_now: float | None  # where a straight path from baseline to target would be after the elapsed periods
    ahead: bool | None  # the actual is at or better than expected_now
    projection: Projection
    status: str
    explanation: str
    precondition: str | None = None


@dataclass
class PlanReport:
    plan: Plan
    as_of: str
    rows: list[TargetProgress]
    issues: list[Issue]
    precondition: tuple[float | None, bool | None] | None = None
    notes: list[str] = field(default_factory=list)


def _target_for(t: Target, label: str) -> float:
    return t.schedule.get(label, t.target if t.target is not None else math.nan)


def plan_progress(ws: Workspace, plan: Plan, period: str | None = None, source: MetricSource | None = None,
                  check: bool = True) -> PlanReport:
    """Actual vs target, pace, projection to the deadline with an 80 % band, and a status per target."""
    defs = catalog_defs()
    scope = scope_of_plan(ws, plan)
    start = period_of(plan.grain, parse_period(plan.start).start)
    all_ps = plan_periods(plan)
    for _, t in plan.targets():
        ps = plan_periods(plan, t)
        if len(ps) > len(all_ps):
            all_ps = ps
    as_of = parse_period(period) if period else latest_period(ws, plan.grain)
    as_of = period_of(plan.grain, as_of.end - timedelta(seconds=1))
    pre = history_periods(ws, start.previous(), plan.grain)
    elapsed_ps = [q for q in all_ps if q.end <= as_of.end]
    metrics = [t.metric for _, t in plan.targets() if t.metric in defs]
    want = list(dict.fromkeys([*metrics, *([PRECONDITION_METRIC] if plan.purpose == "sales" and PRECONDITION_METRIC in defs else [])]))
    bds = {t.metric: t.breakdown for _, t in plan.targets() if t.metric and t.breakdown}
    history, _ = fetch_history(ws, scope, want, [*pre, *elapsed_ps], source, bds)  # type: ignore[arg-type]
    n_pre = len(pre)
    n_base = ws.settings.plans.baseline_periods
    issues = check_plan(plan, defs, History(history.labels[:n_pre], {m: v[:n_pre] for m, v in history.values.items()}),
                        baseline_n=n_base) if check else []
    precondition = None
    if plan.purpose == "sales" and PRECONDITION_METRIC in want:
        cv = next((v for v in reversed(history.of(PRECONDITION_METRIC)) if v is not None), None)
        precondition = (cv, None if cv is None else cv >= PRECONDITION_VALUE)
    rows: list[TargetProgress] = []
    for path, t in plan.targets():
        if t.metric not in defs or t.target is None:
            continue
        m = defs[t.metric]
        ps = plan_periods(plan, t)
        total = len(ps)
        vals_pre = history.of(m.id)[:n_pre]
        vals_plan = history.of(m.id)[n_pre:]
        done = [(q.label, vals_plan[i] if i < len(vals_plan) else None) for i, q in enumerate(ps) if q.end <= as_of.end]
        baseline = t.baseline if t.baseline is not None else mean(vals_pre[-n_base:])
        xs: list[float] = []
        ys: list[float] = []
        for k, v in enumerate(vals_pre[-n_base:]):
            if v is not None:
                xs.append(float(k - len(vals_pre[-n_base:]) + 1))  # … −1, 0 = the baseline periods
                ys.append(v)
        for k, (_, v) in enumerate(done):
            if v is not None:
                xs.append(float(k + 1))
                ys.append(v)
        hsd = diff_sd(vals_pre)
        final_target = _target_for(t, ps[-1].label)
        actual_pair = next(((lab, v) for lab, v in reversed(done) if v is not None), None)
        if actual_pair is None:  # not started yet (or no data in it): the latest value before the plan
            actual_pair = next(((lab, v) for lab, v in reversed(list(zip(history.labels[:n_pre], vals_pre, strict=True))) if v is not None), None)
        actual = actual_pair[1] if actual_pair else None
        if len(done) >= total:
            last = done[-1][1]
            proj = Projection(last, last, last, "final value")
            st = "unknown" if last is None else ("on-track" if sign(m.direction) * (last - final_target) >= 0 or m.direction == "neutral" else "off-track")
            expl = tr("截止期已过：按最终实际值判断", "deadline passed: judged on the final actual value")
        else:
            proj = project(xs, ys, float(total), hsd)
            if proj.value is not None:
                proj = Projection(clamp_unit(proj.value, unit_of(m)), None if proj.low is None else clamp_unit(proj.low, unit_of(m)),
                                  None if proj.high is None else clamp_unit(proj.high, unit_of(m)), proj.method)
            st = status(final_target, proj, m.direction) if m.direction != "neutral" else "on-track"
            expl = tr(
                f"线性趋势（{len(xs)} 个点）外推到 {ps[-1].label}：{fmt(proj.value, unit_of(m))}，80% 区间 [{fmt(proj.low, unit_of(m))}, {fmt(proj.high, unit_of(m))}]",
                f"linear trend ({len(xs)} points) projected to {ps[-1].label}: {fmt(proj.value, unit_of(m))}, 80% band [{fmt(proj.low, unit_of(m))}, {fmt(proj.high, unit_of(m))}]",
            )
        pace = None
        if baseline is not None and actual is not None and final_target != baseline:
            pace = (actual - baseline) / (final_target - baseline)
        time_share = len(done) / total if total else 1.0
        expected_now = None if baseline is None else baseline + (final_target - baseline) * time_share
        ahead = None if expected_now is None or actual is None else sign(m.direction) * (actual - expected_now) >= 0
        pre_txt = None
        if precondition is not None and m.id in SALES_METRICS:
            cv, ok = precondition
            pre_txt = tr(f"前置条件 满意度 {fmt(cv, 'ratio')} {'≥' if ok else '<'} 85%{'' if ok else '：未满足，先修复服务再冲销售'}",
                         f"precondition csat {fmt(cv, 'ratio')} {'≥' if ok else '<'} 85%{'' if ok else ': not met — fix service before pushing sales'}") \
                if cv is not None else tr("前置条件 满意度 ≥ 85%：没有数据", "precondition csat ≥ 85%: no data")
        rows.append(TargetProgress(
            path=path, metric=m.id, unit=unit_of(m), direction=m.direction, kind=t.kind or m.kind, baseline=baseline,
            target=final_target, deadline=plan.deadline_of(t) or plan.deadline,
            periods=[(lab, v, _target_for(t, lab)) for lab, v in done], actual=actual,
            actual_period=actual_pair[0] if actual_pair else None, elapsed=len(done), total=total, pace=pace,
            time_share=time_share, expected_now=expected_now, ahead=ahead, projection=proj, status=st, explanation=expl,
            precondition=pre_txt,
        ))
    notes = []
    if as_of.end <= start.start:
        notes.append(tr(f"计划从 {plan.start} 开始，{as_of.label} 时尚未开始：预测基于基线期趋势",
                        f"the plan starts at {plan.start}; at {as_of.label} it has not started, so projections follow the baseline trend"))
    return PlanReport(plan, as_of.label, rows, issues, precondition, notes)


# -- refresh -------------------------------------------------------------------------------------------------------

SEASON_EVENTS = {
    1: ("寒假/春节", "winter holiday / Spring Festival"),
    2: ("寒假/春节", "winter holiday / Spring Festival"),
    6: ("618 大促", "618 shopping festival"),
    7: ("暑假", "summer holiday"),
    8: ("暑假", "summer holiday"),
    11: ("双11", "Double 11"),
    12: ("双12/年末", "Double 12 / year end"),
}
SEASON_MIN = 0.10  # a month 10 % or more off its preceding quarter counts as seasonal
SEASON_UNITS = ("count", "yuan", "per_member_day", "per_100_day")  # volumes; rates are not scaled by a factor
SEASON_CAP = (0.5, 2.0)


@dataclass
class RefreshRow:
    metric: str
    old_target: float
    actual: float | None
    achievement: float | None
    move: float
    new_target: float
    schedule: dict[str, float]
    reasoning: list[str]


@dataclass
class Refreshed:
    plan: Plan
    rows: list[RefreshRow]
    quarter: str
    next_quarter: str


def achievement(actual: float | None, target: float, direction: str) -> float | None:
    """Share of the target achieved: actual/target (higher is better) or target/actual (lower is better)."""
    if actual is None or target <= 0 or actual < 0:
        return None
    if direction == "lower":
        return None if actual == 0 else target / actual
    return actual / target


def refreshed_target(old: float, ach: float | None, direction: str, unit: str, band: float) -> tuple[float, float]:
    """Seed 003: the next quarter's target floats by the last quarter's achievement, at most ±band."""
    if ach is None or direction == "neutral":
        return old, 0.0
    move = max(-band, min(band, ach - 1.0))
    new = old * (1 + move) if direction != "lower" else old * (1 - move)
    return round_for(clamp_unit(new, unit), unit), move


def seasonal_factor(labels: list[str], values: list[float | None], month_label: str) -> tuple[float, str] | None:
    """Same month last year vs the mean of the three months before it (None if the history lacks them or any of
    those three months is empty)."""
    p = parse_period(month_label)
    ly = parse_period(f"{p.start.year - 1:04d}-{p.start.month:02d}")
    idx = {lab: i for i, lab in enumerate(labels)}
    if ly.label not in idx:
        return None
    v = values[idx[ly.label]]
    prior = []
    q = ly
    for _ in range(3):
        q = q.previous()
        if q.label in idx and values[idx[q.label]] is not None:
            prior.append(values[idx[q.label]])
    # all three months before must have volume: zeros there mean the data (or the community) had not started,
    # and a ramp-up must not pass for a season
    if v is None or len(prior) < 3 or any(x is None or x <= 0 for x in prior):
        return None
    base = sum(x for x in prior if x is not None) / len(prior)
    return v / base, ly.label


def refresh_plan(ws: Workspace, plan: Plan, quarter: str | None = None, source: MetricSource | None = None,
                 band: float | None = None) -> Refreshed:
    defs = catalog_defs()
    band = ws.settings.plans.refresh_band if band is None else band
    q = parse_period(quarter) if quarter else period_of("quarter", datetime(plan.deadline.year, plan.deadline.month, plan.deadline.day))
    if q.grain != "quarter":
        q = period_of("quarter", q.start)
    nq = q.next()
    q_ps = q.split(plan.grain)
    nq_ps = nq.split(plan.grain)
    scope = scope_of_plan(ws, plan)
    hist_ps = history_periods(ws, q_ps[-1], plan.grain, n_max=HISTORY_MAX)
    metrics = [t.metric for _, t in plan.targets() if t.metric in defs]
    bds = {t.metric: t.breakdown for _, t in plan.targets() if t.metric and t.breakdown}
    history, _ = fetch_history(ws, scope, metrics, hist_ps, source, bds)  # type: ignore[arg-type]
    rows: list[RefreshRow] = []
    new_targets: dict[str, Target] = {}
    for path, t in plan.targets():
        if t.metric not in defs or t.target is None:
            continue
        m = defs[t.metric]
        idx = {lab: i for i, lab in enumerate(history.labels)}
        q_vals = [history.of(m.id)[idx[x.label]] for x in q_ps if x.label in idx]
        actual = mean(q_vals)
        ach = achievement(actual, t.target, m.direction)
        new, move = refreshed_target(t.target, ach, m.direction, unit_of(m), band)
        why = [tr(
            f"{q.label} 实际 {fmt(actual, unit_of(m))}（各期平均）/ 目标 {fmt(t.target, unit_of(m))} → 达成率 {'n/a' if ach is None else f'{ach:.0%}'}；"
            f"目标浮动 {move:+.0%}（上限 ±{band:.0%}，seed 003）→ {fmt(new, unit_of(m))}",
            f"{q.label} actual {fmt(actual, unit_of(m))} (mean of its periods) / target {fmt(t.target, unit_of(m))} → achievement "
            f"{'n/a' if ach is None else f'{ach:.0%}'}; target moves {move:+.0%} (at most ±{band:.0%}, seed 003) → {fmt(new, unit_of(m))}",
        )]
        schedule: dict[str, float] = {}
        if plan.grain == "month" and unit_of(m) in SEASON_UNITS:
            for np_ in nq_ps:
                sf = seasonal_factor(history.labels, history.of(m.id), np_.label)
                if sf is None:
                    continue
                factor, ly = sf
                if abs(factor - 1) < SEASON_MIN:
                    continue
                f = max(SEASON_CAP[0], min(SEASON_CAP[1], factor))
                schedule[np_.label] = round_for(clamp_unit(new * f, unit_of(m)), unit_of(m))
                ev = SEASON_EVENTS.get(np_.start.month)
                evt = tr(f"（{ev[0]}）", f" ({ev[1]})") if ev else ""
                why.append(tr(f"季节性{evt}：去年 {ly} 是前三个月均值的 {factor:.2f} 倍 → {np_.label} 目标 {fmt(schedule[np_.label], unit_of(m))}",
                              f"seasonality{evt}: last year {ly} was {factor:.2f}× the mean of the three months before → {np_.label} target {fmt(schedule[np_.label], unit_of(m))}"))
        rows.append(RefreshRow(m.id, t.target, actual, ach, move, new, schedule, why))
        new_targets[path] = t.model_copy(update={
            "target": new, "baseline": None if actual is None else round_for(actual, unit_of(m)),
            "baseline_periods": [x.label for x in q_ps], "deadline": None, "schedule": schedule, "reasoning": why,
        })
    ns = new_targets.get("north_star", plan.north_star)
    sup = [new_targets.get(f"supporting[{i}]", t) for i, t in enumerate(plan.supporting)]
    new_plan = plan.model_copy(update={
        "start": nq_ps[0].label, "deadline": (nq.end - timedelta(days=1)).date(), "north_star": ns, "supporting": sup,
    })
    return Refreshed(new_plan, rows, q.label, nq.label)


# -- drivers ---------------------------------------------------------------------------------------------------------


def plan_drivers(ws: Workspace, plan: Plan, period: str | None = None, lags: tuple[int, ...] = (0, 1, 2),
                 source: MetricSource | None = None) -> list[Driver]:
    """Lagged correlation of each supporting metric's changes with the North Star's, pooled over communities.

    Pools the communities of the plan's scope; a community plan pools every community with the same purpose
    (or all communities when the purpose is not set) so that there are enough pairs."""
    defs = catalog_defs()
    ns = plan.north_star.metric
    if ns not in defs:
        return []
    if plan.scope == "community":
        infos = community_infos(ws)
        comms = [c for c, i in infos.items() if plan.purpose is None or i.purpose == plan.purpose] or list(infos)
    else:
        comms = scope_of_plan(ws, plan).communities
    last = parse_period(period) if period else latest_period(ws, plan.grain)
    last = period_of(plan.grain, last.end - timedelta(seconds=1))
    ps = history_periods(ws, last, plan.grain)
    sup = [t.metric for t in plan.supporting if t.metric in defs and t.metric != ns]
    src = source or engine_source(ws)
    bds = {t.metric: t.breakdown for _, t in plan.targets() if t.metric and t.breakdown}
    frame = _breakdown_filter(src(ps, [ns, *sup], comms), bds)  # type: ignore[arg-type]
    vals = Values(frame)
    labels = [p.label for p in ps]
    out: list[Driver] = []
    for s in sup:
        series = {c: (vals.series(c, labels, ns), vals.series(c, labels, s)) for c in comms}
        out += best_lag(series, s, lags)
    out.sort(key=lambda d: (-(abs(d.r) if d.r is not None else -1), d.metric, d.lag))
    return out
