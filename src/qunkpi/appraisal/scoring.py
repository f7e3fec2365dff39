"""Scoring functions: an item's value and target → points on the seeds' 10-point scale.

- ``achievement`` = value / target (higher is better) or target / value (lower is better).
- ``linear``: points = 10 × min(achievement, cap) — linear to target with a cap (cap 1.0: meeting the target
  gives 10 and over-achievement gives no more; cap 1.2 lets 120 % give 12).
- ``tiers``: the first tier whose ``at_least`` the achievement reaches (seed 004: meet → 8–10, below → less).
- ``threshold``: 10 when the target is met, else ``below_points``.
- The system score is ``10 × Σ weight × points / Σ weight`` over the items that could be measured (0–100).
"""

from __future__ import annotations

from collections.abc import Sequence

from qunkpi.appraisal.scorecard import MAX_POINTS, Scoring, Tier


def achievement(value: float, target: float, direction: str = "higher") -> float:
    if direction == "lower":
        if value <= 0:
            return float("inf")  # nothing at all of a lower-is-better quantity beats any target
        return target / value
    return value / target


def points(scoring: Scoring, value: float, target: float, direction: str, default_tiers: Sequence[Tier]) -> float:
    a = achievement(value, target, direction)
    if scoring.fn == "linear":
        return max(0.0, MAX_POINTS * min(a, scoring.cap))
    if scoring.fn == "threshold":
        return MAX_POINTS if a >= 1.0 else scoring.below_points
    tiers = scoring.tiers if scoring.tiers is not None else default_tiers
    for t in tiers:
        if a >= t.at_least:
            return t.points
    return 0.0


def system_score(weighted: Sequence[tuple[float, float | None]]) -> float | None:
    """(weight %, points or None) → 0–100 over the measurable items; None when nothing could be measured."""
    got = [(w, p) for w, p in weighted if p is not None]
    wsum = sum(w for w, _ in got)
    if not got or wsum <= 0:
        return None
    return MAX_POINTS * sum(w * p for w, p in got) / wsum


def blend(parts: Sequence[tuple[float, float | None]]) -> float | None:
    """(share, score or None) → Σ share × score / Σ share of the parts present (7-2-1 with a missing part)."""
    got = [(s, v) for s, v in parts if v is not None and s > 0]
    ssum = sum(s for s, _ in got)
    if not got or ssum <= 0:
        return None
    return sum(s * v for s, v in got) / ssum
