"""SMART checks of a plan (SPEC §5): every problem at once, errors stop a load, warnings carry evidence.

- S/M: each target names a catalog metric (unknown ids are errors, with the closest known ids as a hint).
- T: each target has a target value and a deadline (its own or the plan's) that is not before the plan starts.
- A: each target links actions (free text, or ids of process metrics); none → warning.
- R: each supporting target states its relation to the North Star; none → warning.
- Range: ratios in [0, 1], NPS in [−100, 100], counts and money ≥ 0 (errors).
- Direction: a target worse than its baseline → warning.
- Achievable: a target that needs more improvement than the metric's own history supports → warning with the
  evidence (see :func:`qunkpi.plans.targets.plausibility`).
- Shape: the plan covers the three families and has at least one process metric → warnings.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qunkpi.engine.periods import Period, parse_period, period_of
from qunkpi.errors import PeriodError
from qunkpi.i18n import tr
from qunkpi.plans.model import Issue, Plan, Target
from qunkpi.plans.targets import bounds, fmt, mean, plausibility, sign, unit_of

if TYPE_CHECKING:
    from qunkpi.catalog.model import MetricDef

FAMILY_GROUPS = {
    "growth": "growth",
    "engagement": "engagement",
    "value": "value",
    "service": "value",
    "content": "content",
}
SALES_METRICS = {"gmv", "buyers", "orders", "aov", "repurchase_rate", "campaign_conversion_rate", "roi",
                 "output_input_ratio", "arpu", "coupon_redemption_rate"}
PRECONDITION_METRIC = "csat_share"
PRECONDITION_VALUE = 0.85


@dataclass
class History:
    """One scope's metric values at the plan grain, oldest first, up to the period before the plan starts."""

    labels: list[str] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)

    def of(self, metric: str) -> list[float | None]:
        return self.values.get(metric, [None] * len(self.labels))

    def baseline(self, metric: str, n: int = 3) -> tuple[float | None, list[str]]:
        vals = self.of(metric)[-n:]
        return mean(vals), self.labels[-n:]


def plan_periods(plan: Plan, deadline_label_of: Target | None = None) -> list[Period]:
    """The plan's periods from ``start`` to the period containing the (target's) deadline."""
    start = parse_period(plan.start)
    if start.grain != plan.grain:
        start = period_of(plan.grain, start.start)
    dl = plan.deadline_of(deadline_label_of) if deadline_label_of is not None else plan.deadline
    out = [start]
    if dl is None:
        return out
    from datetime import datetime

    end = datetime(dl.year, dl.month, dl.day)
    while out[-1].end <= end:
        out.append(out[-1].next())
    return out


def suggest_ids(mid: str, known: dict[str, MetricDef]) -> str:
    close = difflib.get_close_matches(mid, list(known), n=3, cutoff=0.5)
    if close:
        return tr(f"是否想用：{', '.join(close)}？", f"did you mean: {', '.join(close)}?")
    return tr("用 `qunkpi catalog` 查看可用指标", "see `qunkpi catalog`")


def check_plan(plan: Plan, known: dict[str, MetricDef], history: History | None = None, where: str = "plan",
               baseline_n: int = 3) -> list[Issue]:
    issues: list[Issue] = []
    try:
        start = parse_period(plan.start)
    except PeriodError as e:
        issues.append(Issue("error", f"{where}: start", str(e)))
        start = None
    if start is not None and plan.deadline < start.start.date():
        issues.append(Issue("error", f"{where}: deadline", tr(f"截止日期 {plan.deadline} 早于计划开始 {plan.start}",
                                                              f"deadline {plan.deadline} is before the plan starts ({plan.start})")))
    seen: set[str] = set()
    for path, t in plan.targets():
        w = f"{where}: {path}"
        issues += _check_target(plan, t, w, known, history, start, baseline_n, is_north_star=path == "north_star")
        if t.metric:
            if t.metric in seen:
                issues.append(Issue("warning", w, tr(f"指标 {t.metric} 在计划中出现多次", f"metric {t.metric} appears more than once")))
            seen.add(t.metric)
    # shape of the plan
    metric_defs = [known[t.metric] for _, t in plan.targets() if t.metric in known]
    groups = {FAMILY_GROUPS.get(m.family, m.family) for m in metric_defs}
    if plan.account_type is None and "content" not in groups:
        missing = [g for g in ("growth", "engagement", "value") if g not in groups]
        if missing:
            names = {"growth": tr("增长与健康度", "growth & health"), "engagement": tr("活跃与参与度", "engagement"),
                     "value": tr("价值与转化/服务", "value & conversion / service")}
            issues.append(Issue("warning", where, tr(f"支撑指标缺少这些类别：{'、'.join(names[g] for g in missing)}",
                                                     f"no supporting metric in: {', '.join(names[g] for g in missing)}"),
                                tr("三类支撑指标都要有（seed 000）", "cover all three families (seed 000)")))
    kinds = [t.kind or (known[t.metric].kind if t.metric in known else None) for _, t in plan.targets()]
    if metric_defs and "process" not in kinds:
        issues.append(Issue("warning", where, tr("计划中没有过程指标（可直接控制的动作）", "the plan has no process metric (something the team controls)"),
                            tr("日常关注过程指标，复盘看结果指标（seed 000）", "watch process metrics daily, result metrics at reviews (seed 000)")))
    if plan.purpose == "sales" and any(t.metric in SALES_METRICS for _, t in plan.targets()) and \
            not any(t.metric == PRECONDITION_METRIC for _, t in plan.targets()):
        issues.append(Issue("warning", where,
                            tr("销售指标需要前置条件“用户满意度 ≥ 85%”（csat_share），计划中没有", "sales KPIs need the precondition csat_share ≥ 85%, which the plan lacks"),
                            tr("加入 csat_share 目标，避免唯销售额论（seed 003）", "add a csat_share target so sales pressure does not burn the community (seed 003)")))
    return issues


def _check_target(plan: Plan, t: Target, w: str, known: dict[str, MetricDef], history: History | None,
                  start: Period | None, baseline_n: int, is_north_star: bool) -> list[Issue]:
    out: list[Issue] = []
    m = None
    if not t.metric:
        out.append(Issue("error", w, tr("目标没有指标（S/M：要提升哪个指标？）", "the target names no metric (S/M: which metric?)")))
    elif t.metric not in known:
        out.append(Issue("error", w, tr(f"指标目录中没有 {t.metric}", f"metric {t.metric} is not in the catalog"), suggest_ids(t.metric, known)))
    else:
        m = known[t.metric]
    if t.target is None:
        out.append(Issue("error", w, tr("没有目标值", "no target value"), tr("写上 target: 数值", "add target: <value>")))
    dl = plan.deadline_of(t)
    if dl is None:
        out.append(Issue("error", w, tr("没有截止日期（T）", "no deadline (T)")))
    elif start is not None and dl < start.start.date():
        out.append(Issue("error", w, tr(f"截止日期 {dl} 早于计划开始", f"deadline {dl} is before the plan starts")))
    if not t.actions:
        out.append(Issue("warning", w, tr("没有关联行动（A：靠什么动作达成？）", "no linked actions (A: which actions get there?)"),
                         tr("写上 actions：活动或过程指标", "add actions: activities or process metrics")))
    else:
        for a in t.actions:
            if a in known and known[a].kind != "process":
                out.append(Issue("warning", w, tr(f"行动 {a} 是结果指标，不是过程指标", f"action {a} is a result metric, not a process metric")))
    if not is_north_star and not t.relation.strip():
        out.append(Issue("warning", w, tr("没有说明与北极星指标的关系（R）", "no relation to the North Star (R)")))
    if m is None or t.target is None:
        return out
    lo, hi = bounds(unit_of(m))
    if (lo is not None and t.target < lo) or (hi is not None and t.target > hi):
        rng = f"[{fmt(lo, unit_of(m)) if lo is not None else '−∞'}, {fmt(hi, unit_of(m)) if hi is not None else '∞'}]"
        extra = tr("（比率写成小数：30% → 0.30）", " (write rates as fractions: 30% → 0.30)") if unit_of(m) == "ratio" and t.target > 1 else ""
        out.append(Issue("error", w, tr(f"目标 {t.target:g} 超出 {m.id} 的取值范围 {rng}{extra}",
                                        f"target {t.target:g} is outside the range of {m.id} {rng}{extra}")))
        return out
    baseline = t.baseline
    if baseline is None and history is not None:
        baseline, _ = history.baseline(m.id, baseline_n)
    if baseline is None:
        return out
    if m.direction != "neutral" and sign(m.direction) * (t.target - baseline) < 0:
        out.append(Issue("warning", w, tr(f"目标 {fmt(t.target, unit_of(m))} 比基线 {fmt(baseline, unit_of(m))} 还差（{m.id} 越{'高' if m.direction == 'higher' else '低'}越好）",
                                          f"target {fmt(t.target, unit_of(m))} is worse than the baseline {fmt(baseline, unit_of(m))} ({m.id}: {m.direction} is better)")))
        return out
    if m.direction == "neutral" or start is None or dl is None:
        return out
    n_periods = len(plan_periods(plan, t))
    labels = history.labels if history is not None else []
    vals = history.of(m.id) if history is not None else []
    pl = plausibility(baseline, t.target, n_periods, m.direction, unit_of(m), labels, vals)
    if not pl.plausible:
        out.append(Issue("warning", w, tr(f"目标不现实：{m.zh} 从 {fmt(baseline, unit_of(m))} 到 {fmt(t.target, unit_of(m))}（截至 {dl}）",
                                          f"implausible target: {m.en} from {fmt(baseline, unit_of(m))} to {fmt(t.target, unit_of(m))} by {dl}"),
                         pl.evidence))
    return out
