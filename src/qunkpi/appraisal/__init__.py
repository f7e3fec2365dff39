"""Staff appraisal (SPEC §7): scorecards as data, scoring functions, 7-2-1 blending, bonus tiers, promotion streaks.

Service entry points: :func:`appraise_workspace` (``qunkpi appraise``), :func:`qunkpi.appraisal.inputs.record`
(``qunkpi appraise input``), :func:`qunkpi.appraisal.excel.write_workbook` (``--xlsx``).
"""

from __future__ import annotations

from qunkpi.appraisal.appraise import (
    ItemResult,
    StaffResult,
    appraise_all,
    appraise_staff,
    appraise_workspace,
)
from qunkpi.appraisal.scorecard import Scorecards, load_scorecards

__all__ = [
    "ItemResult",
    "Scorecards",
    "StaffResult",
    "appraise_all",
    "appraise_staff",
    "appraise_workspace",
    "load_scorecards",
]
