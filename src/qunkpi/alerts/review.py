"""The bi-weekly review (seed 003 "双周数据复盘会：聚焦3问题改进"): the top 3 problems with evidence and actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from qunkpi.alerts.evaluate import evaluate_alerts
from qunkpi.alerts.model import Alert, RuleSet
from qunkpi.engine.periods import Period, parse_period, range_period
from qunkpi.plans.history import MetricSource

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

TOP_N = 3


@dataclass
class Review:
    period: str
    top: list[Alert]
    total_problems: int
    by_severity: dict[str, int] = field(default_factory=dict)
    marks: list[Alert] = field(default_factory=list)  # positive findings (quality content)
    others: list[Alert] = field(default_factory=list)  # the problems below the top 3
    notes: list[str] = field(default_factory=list)  # rules that could not be evaluated


def review_period(label: str) -> Period:
    """A week label means the fortnight ending with that week; any other label is used as given."""
    p = parse_period(label)
    if p.grain == "week":
        return range_period((p.start - timedelta(days=7)).date(), (p.end - timedelta(days=1)).date())
    return p


def review(ws: Workspace, period: str, communities: list[str] | None = None, *, rules: RuleSet | None = None,
           source: MetricSource | None = None, top_n: int = TOP_N) -> Review:
    p = review_period(period)
    notes: list[str] = []
    alerts = evaluate_alerts(ws, p, communities, rules=rules, source=source, problems=notes)
    problems = [a for a in alerts if a.kind == "problem"]
    marks = [a for a in alerts if a.kind != "problem"]
    counts: dict[str, int] = {}
    for a in problems:
        counts[a.severity] = counts.get(a.severity, 0) + 1
    return Review(p.label, problems[:top_n], len(problems), counts, marks, problems[top_n:], notes)
