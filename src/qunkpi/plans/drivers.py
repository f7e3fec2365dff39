"""Driver analysis: which supporting metrics moved with the North Star (evidence, not causality).

For every community the series are turned into period-to-period changes (so that a big community does not
correlate with itself by size), then the pairs (Δ supporting at t − lag, Δ North Star at t) of all communities
are pooled and their Pearson correlation is reported with the number of pairs. Lag 1 = the supporting metric
moved one period before the North Star.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

MIN_PAIRS = 4


@dataclass
class Driver:
    metric: str
    lag: int
    r: float | None
    pairs: int
    communities: int


def deltas(values: list[float | None]) -> list[float | None]:
    return [None if a is None or b is None else b - a for a, b in itertools.pairwise(values)]


def pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / math.sqrt(sxx * syy)


def lagged_pairs(north: list[float | None], support: list[float | None], lag: int) -> list[tuple[float, float]]:
    dn, ds = deltas(north), deltas(support)
    out = []
    for t in range(lag, len(dn)):
        x, y = ds[t - lag], dn[t]
        if x is not None and y is not None:
            out.append((x, y))
    return out


def lagged_correlation(series: dict[str, tuple[list[float | None], list[float | None]]], lag: int, metric: str = "") -> Driver:
    """``series``: community → (North Star values, supporting values), same periods, oldest first."""
    pairs: list[tuple[float, float]] = []
    used = 0
    for north, support in series.values():
        p = lagged_pairs(north, support, lag)
        if p:
            used += 1
        pairs += p
    r = pearson([a for a, _ in pairs], [b for _, b in pairs]) if len(pairs) >= MIN_PAIRS else None
    return Driver(metric, lag, r, len(pairs), used)


def best_lag(series: dict[str, tuple[list[float | None], list[float | None]]], metric: str, lags: tuple[int, ...] = (0, 1, 2)) -> list[Driver]:
    return [lagged_correlation(series, lag, metric) for lag in lags]
