"""Cohort analyses over a workspace (docs/cohorts.md): retention matrices, channel comparison, LTV by join cohort.

These are member-level analyses, not community × period metrics, so they live beside the catalog rather than in it;
they reuse the engine's building blocks (non-staff spells, countable messages, net order amounts) so their numbers
agree with ``retention_d30``, ``active_retention_d30`` and ``ltv``.
"""

from __future__ import annotations

from qunkpi.cohorts.channels import channel_comparison
from qunkpi.cohorts.ltv import ltv_by_cohort, member_ltv
from qunkpi.cohorts.retention import retention_matrices, retention_matrix

__all__ = ["channel_comparison", "ltv_by_cohort", "member_ltv", "retention_matrices", "retention_matrix"]
