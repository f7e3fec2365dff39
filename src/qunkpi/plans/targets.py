"""Target arithmetic, engine-free: proposals from baseline and benchmark, plausibility, projection, status.

Everything here takes plain numbers so it can be checked by hand (tests/plans/test_targets.py).

Proposal rule (``propose``), for a metric whose higher values are better (mirrored for lower-is-better):
- no usable baseline → the benchmark if there is one, else no proposal (set it by hand);
- a benchmark the baseline misses → close the gap by at most ``GAP_STEP`` (15 %, seed 003's band) of |baseline|:
  ``min(benchmark, baseline + 15 % × |baseline|)``;
- a benchmark the baseline already meets → hold and improve by ``HOLD_STEP`` (5 %);
- no benchmark → improve by ``PLAIN_STEP`` (10 %, seed 002: "每周提升10%即可", applied per plan horizon);
- neutral metrics keep their baseline; ratios stay in [0, 1], NPS in [−100, 100].

Plausibility (``plausibility``): the improvement a target needs, ``need = (target − baseline) × direction``, is
compared with the largest improvement the metric has shown over the same number of periods in its own history
(``best``). Implausible when ``need > max(1.5 × best, 10 % × |baseline| × periods)``; with too little history the
generic limit is 50 % of |baseline| per period (floor: 0.05 per period for ratios, 5 points for NPS).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from qunkpi.i18n import tr

GAP_STEP = 0.15
HOLD_STEP = 0.05
PLAIN_STEP = 0.10
HISTORY_SLACK = 1.5
HISTORY_MIN_STEP = 0.10  # per period, relative to |baseline|
GENERIC_STEP = 0.50  # per period, relative to |baseline|, when history is too short
ABS_FLOOR = {"ratio": 0.05, "points": 5.0}
Z80 = 1.2816  # two-sided 80 % band


# Catalog "ratio" metrics that are not shares in [0, 1]: a multiple (gmv / cost), signed rates ((gmv − cost) / cost,
# (joins − leaves) / members_start).
RATIO_UNITS = {"output_input_ratio": "multiple", "roi": "signed_ratio", "net_growth_rate": "signed_ratio"}


def unit_of(m: object) -> str:
    """The unit plans use for a metric definition: the catalog unit, except for ratios that are not shares."""
    mid, unit = str(getattr(m, "id", "")), str(getattr(m, "unit", "ratio"))
    return RATIO_UNITS.get(mid, unit) if unit in ("ratio", "score") else unit


def sign(direction: str) -> int:
    return -1 if direction == "lower" else 1


def bounds(unit: str) -> tuple[float | None, float | None]:
    if unit == "ratio":
        return 0.0, 1.0
    if unit == "points":
        return -100.0, 100.0
    if unit in ("count", "yuan", "seconds", "per_member_day", "per_100_day", "multiple"):
        return 0.0, None
    return None, None


def clamp_unit(v: float, unit: str) -> float:
    lo, hi = bounds(unit)
    if lo is not None:
        v = max(lo, v)
    if hi is not None:
        v = min(hi, v)
    return v


def round_for(v: float, unit: str) -> float:
    if unit in ("ratio", "signed_ratio"):
        return round(v, 4)
    if unit == "count":
        return float(round(v))
    if unit in ("yuan", "points", "seconds"):
        return round(v, 1)
    return round(v, 3)


def fmt(v: float | None, unit: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if unit in ("ratio", "signed_ratio"):
        return f"{v:.1%}"
    if unit == "multiple":
        return f"{v:.2f}×"
    if unit == "count":
        return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.1f}"
    if unit == "yuan":
        return f"¥{v:,.0f}"
    if unit == "points":
        return f"{v:.1f}"
    return f"{v:,.2f}"


@dataclass
class BenchmarkRef:
    op: str
    value: float
    source: str

    def met(self, v: float) -> bool:
        return {">=": v >= self.value, "<=": v <= self.value, ">": v > self.value, "<": v < self.value}.get(self.op, False)

    def text(self, unit: str) -> str:
        return f"{self.op} {fmt(self.value, unit)} ({self.source})"


@dataclass
class Proposal:
    target: float | None
    reasoning: list[str] = field(default_factory=list)


def mean(xs: list[float | None]) -> float | None:
    ys = [x for x in xs if x is not None]
    return sum(ys) / len(ys) if ys else None


def propose(baseline: float | None, direction: str, unit: str, benchmark: BenchmarkRef | None) -> Proposal:
    s = sign(direction)
    why: list[str] = []
    if direction == "neutral":
        if baseline is None:
            return Proposal(None, [tr("中性指标且无基线：不设目标", "neutral metric without baseline: no target")])
        return Proposal(round_for(baseline, unit), [tr("中性指标：保持基线", "neutral metric: hold the baseline")])
    if baseline is None:
        if benchmark is not None:
            return Proposal(benchmark.value, [tr(f"没有历史基线，直接采用基准 {benchmark.text(unit)}",
                                                 f"no baseline in the history; the benchmark {benchmark.text(unit)} is the target")])
        return Proposal(None, [tr("没有历史基线也没有基准：请手工设定目标", "no baseline and no benchmark: set the target by hand")])
    scale = abs(baseline)
    if benchmark is not None and not benchmark.met(baseline):
        step = GAP_STEP * scale
        if scale == 0:
            target = benchmark.value
            why.append(tr(f"基线为 0，未达基准 {benchmark.text(unit)}：目标取基准",
                          f"baseline is 0 and misses the benchmark {benchmark.text(unit)}: the benchmark is the target"))
        else:
            stretch = baseline + s * step
            target = min(benchmark.value, stretch) if s > 0 else max(benchmark.value, stretch)
            if target == benchmark.value:
                why.append(tr(f"基线 {fmt(baseline, unit)} 未达基准 {benchmark.text(unit)}，差距在 ±15% 以内：目标取基准",
                              f"baseline {fmt(baseline, unit)} misses the benchmark {benchmark.text(unit)} by less than 15%: the benchmark is the target"))
            else:
                why.append(tr(f"基线 {fmt(baseline, unit)} 距基准 {benchmark.text(unit)} 较远：本期最多改善 15%（seed 003 浮动幅度），向基准靠拢",
                              f"baseline {fmt(baseline, unit)} is far from the benchmark {benchmark.text(unit)}: a step of at most 15% (seed 003's band) towards it"))
    elif benchmark is not None:
        target = baseline + s * HOLD_STEP * scale
        why.append(tr(f"基线 {fmt(baseline, unit)} 已达基准 {benchmark.text(unit)}：保持并改善 5%",
                      f"baseline {fmt(baseline, unit)} already meets the benchmark {benchmark.text(unit)}: hold it and improve 5%"))
    else:
        if scale == 0:
            return Proposal(None, [tr("基线为 0 且无基准：无法按比例提升，请手工设定", "baseline 0 and no benchmark: no relative step; set it by hand")])
        target = baseline + s * PLAIN_STEP * scale
        why.append(tr(f"无基准：在基线 {fmt(baseline, unit)} 上改善 10%（seed 002：稳住节奏逐步提升）",
                      f"no benchmark: improve the baseline {fmt(baseline, unit)} by 10% (seed 002: steady steps)"))
    clamped = clamp_unit(target, unit)
    if clamped != target:
        why.append(tr("目标限制在指标取值范围内", "target kept within the metric's range"))
    out = round_for(clamped, unit)
    if unit == "count" and s * (clamped - baseline) > 0 and s * (out - baseline) <= 0:
        # a small count would round back to its baseline: ask for at least one more (or one fewer)
        out = float(math.floor(baseline) + 1) if s > 0 else float(max(math.ceil(baseline) - 1, 0))
        why.append(tr("取整后至少改善 1", "rounded to an improvement of at least 1"))
    return Proposal(out, why)


@dataclass
class Improvement:
    amount: float  # signed improvement (positive = better)
    from_period: str
    to_period: str


def largest_improvement(labels: list[str], values: list[float | None], span: int, direction: str) -> Improvement | None:
    """The largest improvement between two periods at most ``span`` apart in the history (None if no pair)."""
    s = sign(direction)
    best: Improvement | None = None
    pts = [(i, lab, v) for i, (lab, v) in enumerate(zip(labels, values, strict=True)) if v is not None]
    for a in range(len(pts)):
        for b in range(a + 1, len(pts)):
            if pts[b][0] - pts[a][0] > span:
                break
            amt = s * (pts[b][2] - pts[a][2])  # type: ignore[operator]
            if best is None or amt > best.amount:
                best = Improvement(amt, pts[a][1], pts[b][1])
    return best


@dataclass
class Plausibility:
    plausible: bool
    need: float
    limit: float
    evidence: str


def plausibility(baseline: float, target: float, periods: int, direction: str, unit: str,
                 labels: list[str], history: list[float | None]) -> Plausibility:
    s = sign(direction)
    periods = max(periods, 1)
    need = s * (target - baseline)
    floor = ABS_FLOOR.get(unit, 0.0) * periods
    best = largest_improvement(labels, history, periods, direction)
    if need <= 0:
        return Plausibility(True, need, 0.0, tr("目标不要求改善", "the target needs no improvement"))
    if best is not None:
        limit = max(HISTORY_SLACK * max(best.amount, 0.0), HISTORY_MIN_STEP * abs(baseline) * periods, floor)
        ev = tr(
            f"需要在 {periods} 个周期内改善 {fmt(need, unit)}；历史上 {periods} 个周期内最大改善为 {fmt(best.amount, unit)}"
            f"（{best.from_period} → {best.to_period}），合理上限 {fmt(limit, unit)}",
            f"needs an improvement of {fmt(need, unit)} in {periods} period(s); the largest improvement this metric has ever "
            f"shown in {periods} period(s) is {fmt(best.amount, unit)} ({best.from_period} → {best.to_period}); plausible limit {fmt(limit, unit)}",
        )
    else:
        limit = max(GENERIC_STEP * abs(baseline) * periods, floor)
        ev = tr(
            f"需要在 {periods} 个周期内改善 {fmt(need, unit)}；历史太短，按通用上限（每周期基线的 50%）为 {fmt(limit, unit)}",
            f"needs an improvement of {fmt(need, unit)} in {periods} period(s); too little history, so the generic limit "
            f"(50% of the baseline per period) applies: {fmt(limit, unit)}",
        )
    return Plausibility(need <= limit + 1e-12, need, limit, ev)


# -- projection ------------------------------------------------------------------------------------------------


@dataclass
class Projection:
    value: float | None
    low: float | None
    high: float | None
    method: str


def project(xs: list[float], ys: list[float], x_at: float, history_sd: float | None = None) -> Projection:
    """Linear trend (least squares) over the points, evaluated at ``x_at``, with an 80 % prediction band.

    With ≥ 3 points the band is the regression prediction interval from the residual standard deviation
    (σ·√(1 + 1/n + (x − x̄)²/Sxx)). With 2 points the line goes through both and the band uses ``history_sd``
    (the metric's period-to-period standard deviation) × √(steps ahead). One point: flat, same band."""
    n = len(xs)
    if n == 0:
        return Projection(None, None, None, "no data")
    if n == 1:
        v = ys[0]
        sd = (history_sd or 0.0) * math.sqrt(max(x_at - xs[0], 1.0))
        return Projection(v, v - Z80 * sd, v + Z80 * sd, "flat (one point)")
    xm = sum(xs) / n
    ym = sum(ys) / n
    sxx = sum((x - xm) ** 2 for x in xs)
    if sxx == 0:
        return Projection(ym, ym, ym, "flat")
    slope = sum((x - xm) * (y - ym) for x, y in zip(xs, ys, strict=True)) / sxx
    icept = ym - slope * xm
    v = icept + slope * x_at
    if n >= 3:
        resid = [y - (icept + slope * x) for x, y in zip(xs, ys, strict=True)]
        sd = math.sqrt(sum(r * r for r in resid) / (n - 2))
        half = Z80 * sd * math.sqrt(1 + 1 / n + (x_at - xm) ** 2 / sxx)
        if sd == 0 and history_sd:
            half = Z80 * history_sd * math.sqrt(max(x_at - max(xs), 1.0))
        return Projection(v, v - half, v + half, "linear trend, residual sd")
    sd = (history_sd or 0.0) * math.sqrt(max(x_at - max(xs), 1.0))
    return Projection(v, v - Z80 * sd, v + Z80 * sd, "line through 2 points, history sd")


def diff_sd(values: list[float | None]) -> float | None:
    """Standard deviation of period-to-period changes (consecutive non-null values)."""
    ys = [v for v in values if v is not None]
    d = [b - a for a, b in itertools.pairwise(ys)]
    if len(d) < 2:
        return abs(d[0]) if d else None
    m = sum(d) / len(d)
    return math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1))


def status(target: float, proj: Projection, direction: str) -> str:
    """on-track: the projection meets the target; at-risk: the band reaches it; off-track: the band misses it."""
    if proj.value is None:
        return "unknown"
    s = sign(direction)
    if s * (proj.value - target) >= 0:
        return "on-track"
    edge = proj.high if s > 0 else proj.low
    if edge is not None and s * (edge - target) >= 0:
        return "at-risk"
    return "off-track"
