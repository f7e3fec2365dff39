"""Member score (成员活跃分) and KOC candidates, per community and period (docs/members.md).

The expressions are the catalog's own (``qunkpi.catalog.impl.engagement``), so ``koc_count`` and
``high_value_share`` always agree with these lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from qunkpi.catalog.impl.engagement import kocs, member_score_table
from qunkpi.engine.periods import Period
from qunkpi.members.context import as_period, member_ctx, require

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

SCORE_COLUMNS = [
    "community_id",
    "period",
    "member_id",
    "effective_messages",
    "active_days",
    "chars",
    "answers_shares",
    "pr_messages",
    "pr_days",
    "pr_chars",
    "member_score",
    "is_koc",
    "last_effective_at",
]


def member_scores(ws: Workspace, period: str | Period, communities: list[str] | None = None) -> pd.DataFrame:
    """One row per community × member with ≥ 1 effective message in the period, best score first.

    Members with no effective message are not ranked (score 0 by definition) and are not listed.
    """
    p = as_period(period)
    with member_ctx(ws, [p], communities) as ctx:
        require(ctx, "messages", "message_labels")
        df = ctx.backend.execute(member_score_table(ctx))
        return _sorted(df.reindex(columns=SCORE_COLUMNS), "member_score")


def koc_candidates(ws: Workspace, period: str | Period, communities: list[str] | None = None) -> pd.DataFrame:
    """Members who meet the KOC rule in the period (score ≥ 80, ≥ 4 active days, ≥ 1 answer or share), with
    ``referred_joins``: the period's joins they invited (the numerator of koc_referral_share)."""
    p = as_period(period)
    with member_ctx(ws, [p], communities) as ctx:
        require(ctx, "messages", "message_labels")
        k = kocs(ctx)
        joins = ctx.in_period(ctx.spells, "joined_at")
        refs = joins.group_by(["community_id", "period", joins.inviter_id.name("r_id")]).aggregate(referred_joins=joins.count())
        refs = refs.select(r_comm="community_id", r_period="period", r_id="r_id", referred_joins="referred_joins")
        j = k.left_join(refs, [k.community_id == refs.r_comm, k.period == refs.r_period, k.member_id == refs.r_id])
        j = j.mutate(referred_joins=j.referred_joins.fill_null(0)).drop("r_comm", "r_period", "r_id")
        df = ctx.backend.execute(j)
        return _sorted(df.reindex(columns=[*SCORE_COLUMNS, "referred_joins"]), "member_score")


def _sorted(df: pd.DataFrame, by: str) -> pd.DataFrame:
    df = df.sort_values(["community_id", by, "member_id"], ascending=[True, False, True], kind="stable")
    return df.reset_index(drop=True)
