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


def rollup(frame: pd.DataFrame, metric_units: dict[str, str], metric_exprs: dict[str, str | None],
           weights_metric: str = "members_end", label: str = "__rollup__") -> pd.DataFrame:
    """Roll communities up into one pseudo-community ``label`` (team / company plans).

    Counts and money add up. A derived metric whose formula only uses additive metrics is recomputed from the
    summed parts (``ratio(joins - leaves, members_start)`` pooled, not averaged). Anything else is averaged,
    weighted by ``members_end`` where the frame has it (said in the reason)."""
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
            if unit in ADDITIVE_UNITS:
                value = summed(m, p)
            elif expr and _additive_formula(expr, metric_units) and all(
                d in metrics for d in _names(expr)
            ):
                env = {d: summed(d, p) for d in _names(expr)}
                value = _eval_formula(expr, env)
                reason = "pooled"
            else:
                pairs = [(vals.get(c, p, m), vals.get(c, p, weights_metric) if weights_metric in metrics else None) for c in comms]
                pairs = [(v, w) for v, w in pairs if v is not None]
                if not pairs:
                    value = None
                elif all(w is not None and w > 0 for _, w in pairs):
                    tw = sum(w for _, w in pairs if w is not None)
                    value = sum(v * (w or 0) for v, w in pairs) / tw
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


def _additive_formula(expr: str, units: dict[str, str]) -> bool:
    try:
        names = _names(expr)
    except SyntaxError:
        return False
    return bool(names) and all(units.get(n) in ADDITIVE_UNITS for n in names)


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
