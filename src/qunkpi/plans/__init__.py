"""KPI plans (SPEC §5): templates as data, SMART targets, progress and projections, refresh, drivers.

Engine-free core: :mod:`.model` (templates, plans), :mod:`.targets` (proposal, plausibility, projection arithmetic),
:mod:`.smart` (checks), :mod:`.drivers` (lagged correlation). Services over a workspace: :mod:`.service`.
"""

from __future__ import annotations

from qunkpi.plans.model import Issue, Plan, Target, Template, TemplateSet, load_templates, read_plan_file
from qunkpi.plans.service import (
    PlanReport,
    Refreshed,
    Suggestion,
    TargetProgress,
    plan_drivers,
    plan_progress,
    refresh_plan,
    suggest_plan,
    validate_plan,
)
from qunkpi.plans.store import load_stored, plan_path, save_plan

__all__ = [
    "Issue",
    "Plan",
    "PlanReport",
    "Refreshed",
    "Suggestion",
    "Target",
    "TargetProgress",
    "Template",
    "TemplateSet",
    "load_stored",
    "load_templates",
    "plan_drivers",
    "plan_path",
    "plan_progress",
    "read_plan_file",
    "refresh_plan",
    "save_plan",
    "suggest_plan",
    "validate_plan",
]
