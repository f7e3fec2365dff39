"""Member-level analytics (docs/members.md): member score, KOC candidates, lifecycle states and the actionable
lists of SPEC §6 (silent members, churn risks). Member ids are the stored pseudonyms, never raw ids."""

from __future__ import annotations

from qunkpi.members.lifecycle import STATES, lifecycle, lifecycle_counts
from qunkpi.members.lists import LIST_KINDS, churn_risk_members, member_list, silent_members
from qunkpi.members.scores import koc_candidates, member_scores

__all__ = [
    "LIST_KINDS",
    "STATES",
    "churn_risk_members",
    "koc_candidates",
    "lifecycle",
    "lifecycle_counts",
    "member_list",
    "member_scores",
    "silent_members",
]
