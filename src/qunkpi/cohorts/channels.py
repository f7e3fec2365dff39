"""Source-channel comparison (docs/cohorts.md): joins, D30 retention and 30-day purchase conversion per channel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qunkpi.catalog.impl.value import all_orders
from qunkpi.cohorts.base import WINDOW_DAYS, make_ctx, present_at, spells_frame
from qunkpi.engine.periods import Period, parse_period

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

UNKNOWN = "unknown"
COLUMNS = [
    "channel", "joins", "share", "joiners", "d30_eligible", "d30_retained", "d30_retention",
    "converted", "conversion_rate", "reached", "join_rate",
]


def _div(a: pd.Series, b: pd.Series) -> pd.Series:
    a, b = a.astype("float64"), b.astype("float64")
    return (a / b).where(b.fillna(0) != 0)


def channel_comparison(ws: Workspace, period: str | Period, community: str | None = None, as_of: datetime | None = None) -> pd.DataFrame:
    """One row per source channel of the joins in ``period`` (blank channel = ``unknown``), biggest first.

    - joins: non-staff membership spells whose joined_at is in P (each rejoin counts, as in ``joins``); share = of all joins.
    - joiners: distinct people (per community) whose first join in P came from the channel.
    - d30: of the joiners whose join is ≥ 30 days before the as-of time (eligible), the share present 30 days after
      joining (as ``retention_d30``).
    - conversion: of the same eligible joiners, the share with an order of positive net amount paid in
      [joined_at, joined_at + 30 days] — any order of that person, whatever community it is attributed to.
    - reached / join_rate: the channel's reach in P and joins / reach, when a ``reach`` table exists.
    """
    p = parse_period(period) if isinstance(period, str) else period
    with make_ctx(ws, [p], community, as_of) as ctx:
        as_of_t = pd.Timestamp(ctx.as_of)
        spells = spells_frame(ctx)
        sp = ctx.backend.execute(ctx.spells.select("community_id", "member_id", "joined_at", "source_channel"))
        lo, hi = pd.Timestamp(p.start), pd.Timestamp(p.end)
        jp = sp[(sp.joined_at >= lo) & (sp.joined_at < hi)].copy()
        jp["channel"] = jp.source_channel.fillna(UNKNOWN).replace("", UNKNOWN)
        if jp.empty:
            return pd.DataFrame(columns=COLUMNS)
        joins = jp.groupby("channel").size()
        first = jp.sort_values("joined_at", kind="stable").groupby(["community_id", "member_id"], as_index=False).first()
        win = timedelta(days=WINDOW_DAYS)
        first["at"] = first.joined_at + win
        elig = first[first["at"] <= as_of_t].copy()
        elig["retained"] = present_at(spells, elig, "at")
        # conversion: positive net orders of the person in [joined_at, joined_at + 30 d]
        o = all_orders(ctx)
        o = o.filter(o.net > 0).select("customer_id", "paid_at")
        orders = ctx.backend.execute(o)
        if len(elig) and len(orders):
            m = elig[["community_id", "member_id", "joined_at", "at"]].reset_index().merge(orders, left_on="member_id", right_on="customer_id")
            hit = m[(m.paid_at >= m.joined_at) & (m.paid_at <= m["at"])]
            elig["converted"] = elig.index.isin(hit["index"].unique())
        else:
            elig["converted"] = False
        out = pd.DataFrame({"joins": joins})
        out["share"] = out.joins / out.joins.sum()
        out["joiners"] = first.groupby("channel").size()
        out["d30_eligible"] = elig.groupby("channel").size()
        out["d30_retained"] = elig.groupby("channel")["retained"].sum()
        out["converted"] = elig.groupby("channel")["converted"].sum()
        for c in ("joiners", "d30_eligible", "d30_retained", "converted"):
            out[c] = out[c].fillna(0).astype("int64")
        out["d30_retention"] = _div(out.d30_retained, out.d30_eligible)
        out["conversion_rate"] = _div(out.converted, out.d30_eligible)
        out["reached"] = np.nan
        if ctx.has("reach"):
            r = ctx.backend.execute(ctx.t("reach").select("channel", "day", "reached"))
            r = r[(pd.to_datetime(r.day) >= lo) & (pd.to_datetime(r.day) < hi)]
            out["reached"] = r.groupby("channel")["reached"].sum().reindex(out.index).astype("float64")
        out["join_rate"] = _div(out.joins, out.reached)
        out = out.reset_index(names="channel").sort_values(["joins", "channel"], ascending=[False, True], kind="stable")
        return out.reset_index(drop=True)[COLUMNS]
