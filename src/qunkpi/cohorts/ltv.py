"""Member lifetime value and its average per join cohort (docs/cohorts.md).

A member's LTV in a community = Σ net amount (amount − refund) of all their orders paid while they were present there
(every spell, from joined_at to left_at, or to the as-of time), whatever community the order is attributed to. The
same rule drives the catalog metric ``ltv`` (catalog/impl/value.py), so the two agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from qunkpi.catalog.impl.value import member_values
from qunkpi.cohorts.base import make_ctx, month_of, months_between
from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr

if TYPE_CHECKING:
    from qunkpi.engine.periods import Period
    from qunkpi.workspace.workspace import Workspace

COLUMNS = ["cohort", "members", "buyers", "revenue", "ltv_per_member", "ltv_per_buyer"]


def member_ltv(ws: Workspace, community: str | None = None, as_of: datetime | None = None) -> pd.DataFrame:
    """community_id, member_id, first_joined_at, cohort (YYYY-MM), n_orders, ltv — one row per non-staff member."""
    with make_ctx(ws, [], community, as_of) as ctx:
        if not ctx.has("orders"):
            raise QunkpiError(tr("没有订单数据（orders），无法计算 LTV", "no orders data: LTV needs orders"))
        df = ctx.backend.execute(member_values(ctx))
        df["cohort"] = pd.to_datetime(df.first_joined_at).dt.strftime("%Y-%m")
        df["n_orders"] = df.n_orders.astype("int64")
        df["ltv"] = df.ltv.astype("float64")
        return df.sort_values(["community_id", "first_joined_at", "member_id"], kind="stable").reset_index(drop=True)[
            ["community_id", "member_id", "first_joined_at", "cohort", "n_orders", "ltv"]
        ]


def ltv_by_cohort(
    ws: Workspace,
    start_month: str | Period,
    end_month: str | Period,
    community: str | None = None,
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """Per join-month cohort: members, buyers (≥ 1 order while present), revenue, LTV per member and per buyer."""
    months = months_between(month_of(start_month), month_of(end_month))
    labels = [m.label for m in months]
    df = member_ltv(ws, community, as_of)
    df = df[df.cohort.isin(labels)]
    g = df.groupby("cohort").agg(members=("member_id", "size"), buyers=("n_orders", lambda s: int((s > 0).sum())), revenue=("ltv", "sum"))
    g = g.reindex(labels)
    g["members"] = g.members.fillna(0).astype("int64")
    g["buyers"] = g.buyers.fillna(0).astype("int64")
    g["revenue"] = g.revenue.fillna(0.0)
    g["ltv_per_member"] = (g.revenue / g.members).where(g.members > 0)
    g["ltv_per_buyer"] = (g.revenue / g.buyers).where(g.buyers > 0)
    return g.reset_index(names="cohort")[COLUMNS]
