"""Diagnosis (SPEC §6): rules as data, their evaluation per community and period, evidence rows, the review."""

from __future__ import annotations

from qunkpi.alerts.evaluate import evaluate_alerts, persistence_periods, persistence_windows
from qunkpi.alerts.model import Alert, Evidence, Rule, RuleSet, load_rules
from qunkpi.alerts.review import Review, review

__all__ = ["Alert", "Evidence", "Review", "Rule", "RuleSet", "evaluate_alerts", "load_rules", "persistence_periods", "persistence_windows", "review"]
