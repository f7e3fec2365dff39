"""Metric values for plans and alerts, always through the engine (``metrics_for_periods``).

A :data:`MetricSource` is any callable ``(periods, metrics, communities) -> long frame`` with the engine's output
columns; the default one runs the catalog on the workspace. Tests and the web layer may pass their own.
Metrics a source does not know come back as rows with ``value`` None and a ``reason`` instead of an exception,
so one unknown id never hides the other numbers.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from qunkpi.engine.periods import Period, period_of

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

MetricSource = Callable[[list[Period], list[str], list[str] | None], pd.DataFrame]
COLUMNS = ["community_id", "period", "metric", "value", "breakdown", "unit", "reason"]
TOTAL_BREAKDOWN = "__total__"
ADDITIVE_UNITS = {"count", "yuan"}


def engine_source(ws: Workspace, as_of: datetime | None = None) -> MetricSource:
    """The catalog engine over ``ws``; ids missing from the catalog come back as unavailable rows."""

    def fetch(periods: list[Period], metrics: list[str], communities: list[str] | None) -> pd.DataFrame:
        from qunkpi.catalog import load_catalog
        from qunkpi.engine.api import metrics_for_periods

        cat = load_catalog()
        known = [m for m in dict.fromkeys(metrics) if m in cat]
        unknown = [m for m in dict.fromkeys(metrics) if m not in cat]
        frames = []
        if known and periods:
            frames.append(metrics_for_periods(ws, periods, metrics=known, communities=communities, as_of=as_of))
        if unknown and periods:
            comms = communities if communities is not None else _all_communities(ws)
            rows = [
                {"community_id": c, "period": p.label, "metric": m, "value": None, "breakdown": None, "unit": None,
                 "reason": "not in catalog"}
                for c in comms for p in periods for m in unknown
            ]
            frames.append(pd.DataFrame(rows, columns=COLUMNS))
        if not frames:
            return pd.DataFrame(columns=COLUMNS)
        return pd.concat(frames, ignore_index=True)

    return fetch


def _all_communities(ws: Workspace) -> list[str]:
    return [str(r[0]) for r in ws.con.execute("SELECT community_id FROM communities ORDER BY 1").fetchall()]


def clean(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


class Values:
    """Lookup over a long frame: ``values.get(community, period, metric)`` → float or None (+ the reason)."""

    def __init__(self, frame: pd.DataFrame, breakdowns: dict[str, str] | None = None) -> None:
        self._v: dict[tuple[str, str, str], float | None] = {}
        self._why: dict[tuple[str, str, str], str | None] = {}
        self._units: dict[str, str] = {}
        bd = breakdowns or {}
        for r in frame.itertuples(index=False):
            m = str(r.metric)
            b = None if r.breakdown is None or (isinstance(r.breakdown, float) and math.isnan(r.breakdown)) else str(r.breakdown)
            want = bd.get(m)
            if b is not None and b != (want or TOTAL_BREAKDOWN):
                continue
            if b is None and want is not None:
                continue
            key = (str(r.community_id), str(r.period), m)
            self._v[key] = clean(r.value)
            self._why[key] = None if r.reason is None or (isinstance(r.reason, float) and math.isnan(r.reason)) else str(r.reason)
            if r.unit is not None and isinstance(r.unit, str):
                self._units[m] = r.unit

    def get(self, community: str, period: str, metric: str) -> float | None:
        return self._v.get((community, period, metric))

    def reason(self, community: str, period: str, metric: str) -> str | None:
        key = (community, period, metric)
        if key not in self._v:
            return "no data"
        return self._why.get(key)

    def series(self, community: str, labels: Iterable[str], metric: str) -> list[float | None]:
        return [self.get(community, p, metric) for p in labels]

    def unit(self, metric: str) -> str | None:
        return self._units.get(metric)


def periods_between(first: datetime, last: datetime, grain: str) -> list[Period]:
    """Whole ``grain`` periods from the one containing ``first`` to the one containing ``last``."""
    out: list[Period] = []
    cur = period_of(grain, first)
    while cur.start <= last:
        out.append(cur)
        cur = cur.next()
    return out


def data_start(ws: Workspace) -> datetime | None:
    """The earliest event in the workspace (first join, message or order): where history begins."""
    cands: list[datetime] = []
    for sql in ("SELECT min(joined_at) FROM members", "SELECT min(sent_at) FROM messages", "SELECT min(paid_at) FROM orders",
                "SELECT min(published_at) FROM posts"):
        row = ws.con.execute(sql).fetchall()
        if row and row[0][0] is not None:
            cands.append(pd.Timestamp(row[0][0]).to_pydatetime())
    return min(cands) if cands else None


def additive_metrics(defs: dict[str, Any]) -> set[str]:
    """Metrics whose community values add up: counts and money that are not themselves averages or ratios."""
    return {m for m, d in defs.items() if d.unit in ADDITIVE_UNITS and not d.expr and "/" not in d.formula}


def rollup(frame: pd.DataFrame, metric_units: dict[str, str], metric_exprs: dict[str, str | None],
           weights_metric: str = "members_end", label: str = "__rollup__", additive: set[str] | None = None) -> pd.DataFrame:
    """Roll communities up into one pseudo-community ``label`` (team / company plans).

    Counts and money add up (a person in two communities counts in both). A derived metric whose formula only
    uses additive metrics is recomputed from the summed parts (``ratio(joins - leaves, members_start)`` pooled,
    not averaged). Anything else (averages such as arpu, impl ratios such as silent_ratio) is averaged over the
    communities, weighted by ``members_end`` where the frame has it (said in the reason)."""
    if additive is None:
        additive = {m for m, u in metric_units.items() if u in ADDITIVE_UNITS and not metric_exprs.get(m)}
    vals = Values(frame)
    rows = []
    periods = sorted({str(p) for p in frame["period"]})
    comms = sorted({str(c) for c in frame["community_id"]})
    metrics = list(dict.fromkeys(str(m) for m in frame["metric"]))

    def summed(m: str, p: str) -> float | None:
        xs = [vals.get(c, p, m) for c in comms]
        xs2 = [x for x in xs if x is not None]
        return sum(xs2) if xs2 else None

    for p in periods:
        for m in metrics:
            unit = metric_units.get(m) or vals.unit(m) or "ratio"
            reason: str | None = None
            value: float | None
            expr = metric_exprs.get(m)
            if m in additive:
                value = summed(m, p)
            elif expr and _additive_formula(expr, additive) and all(
                d in metrics for d in _names(expr)
            ):
                env = {d: summed(d, p) for d in _names(expr)}
                value = _eval_formula(expr, env)
                reason = "pooled"
            else:
                pairs: list[tuple[float, float | None]] = []
                for c in comms:
                    v = vals.get(c, p, m)
                    if v is not None:
                        pairs.append((v, vals.get(c, p, weights_metric) if weights_metric in metrics else None))
                weights = [w for _, w in pairs if w is not None and w > 0]
                if not pairs:
                    value = None
                elif len(weights) == len(pairs):
                    value = sum(v * (w or 0.0) for v, w in pairs) / sum(weights)
                    reason = f"weighted by {weights_metric}"
                else:
                    value = sum(v for v, _ in pairs) / len(pairs)
                    reason = "mean of communities"
            rows.append({"community_id": label, "period": p, "metric": m, "value": value, "breakdown": None,
                         "unit": unit, "reason": reason if value is not None else "n/a"})
    return pd.DataFrame(rows, columns=COLUMNS)


def _names(expr: str) -> list[str]:
    tree = ast.parse(expr, mode="eval")
    return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"ratio", "abs", "min", "max"})


def _additive_formula(expr: str, additive: set[str]) -> bool:
    try:
        names = _names(expr)
    except SyntaxError:
        return False
    return bool(names) and all(n in additive for n in names)


def _eval_formula(expr: str, env: dict[str, float | None]) -> float | None:
    if any(v is None for v in env.values()):
        return None

    def ratio(a: float, b: float) -> float | None:
        return None if not b else a / b

    try:
        res = eval(compile(ast.parse(expr, mode="eval"), "<rollup>", "eval"),
                   {"__builtins__": {}, "ratio": ratio, "abs": abs, "min": min, "max": max}, dict(env))
    except (TypeError, ZeroDivisionError):
        return None
    return clean(res)


BREAKDOWN_AGGS = ("auto", "total", "median", "max", "min", "sum", "mean")


def collapse_breakdowns(frame: pd.DataFrame, choice: dict[str, str] | None = None) -> pd.DataFrame:
    """One value per community × period × metric from breakdown metrics.

    ``choice[metric]`` is a breakdown label (``__total__``, ``official_account`` ...) or an aggregate: ``auto``
    (the default: the ``__total__`` row when the metric has one, else the sum of the rows for counts and money and
    the median row for anything else — e.g. the median post's open rate), ``median``, ``max``, ``min``, ``sum``,
    ``mean``. Rows without a breakdown pass through unchanged."""
    if frame.empty:
        return frame
    choice = choice or {}
    bd = frame["breakdown"]
    has = bd.notna() & (bd.astype(str) != "None")
    plain = frame[~has]
    parts = [plain]
    rest = frame[has]
    if not rest.empty:
        for (c, p, m), g in rest.groupby(["community_id", "period", "metric"], sort=False):
            want = choice.get(str(m), "auto")
            unit = next((u for u in g["unit"] if isinstance(u, str)), None)
            vals = [clean(v) for v in g["value"]]
            labels = [str(b) for b in g["breakdown"]]
            value: float | None
            if want not in BREAKDOWN_AGGS:
                value = next((v for lab, v in zip(labels, vals, strict=True) if lab == want), None)
            elif want in ("auto", "total") and TOTAL_BREAKDOWN in labels:
                value = vals[labels.index(TOTAL_BREAKDOWN)]
            else:
                xs = sorted(v for v, lab in zip(vals, labels, strict=True) if v is not None and lab != TOTAL_BREAKDOWN)
                agg = want
                if want in ("auto", "total"):
                    agg = "sum" if unit in ADDITIVE_UNITS else "median"
                if not xs:
                    value = None
                elif agg == "sum":
                    value = float(sum(xs))
                elif agg == "max":
                    value = xs[-1]
                elif agg == "min":
                    value = xs[0]
                elif agg == "mean":
                    value = sum(xs) / len(xs)
                else:
                    k = len(xs)
                    value = xs[k // 2] if k % 2 else (xs[k // 2 - 1] + xs[k // 2]) / 2
            parts.append(pd.DataFrame([{"community_id": c, "period": p, "metric": m, "value": value, "breakdown": None,
                                        "unit": unit, "reason": None if value is not None else "n/a"}], columns=COLUMNS))
    out = pd.concat([x for x in parts if not x.empty], ignore_index=True) if any(not x.empty for x in parts) else plain
    out = out.copy()
    out["breakdown"] = None
    return out
