"""Lifecycle state of each member per period, as product-analytics tools define it (Amplitude/Mixpanel
"lifecycle"), with *active* = at least one countable message in the period (the same rule as
``active_members``). States (docs/members.md):

- ``new`` 新成员: active in P, never active before P, and joined in P (a spell with joined_at in P);
- ``activated`` 首次发言: active in P, never active before, but joined before P (a long-time lurker's first
  words; also a sender with no membership row). Amplitude counts these as "new"; they are kept apart here
  because the operator's action differs (welcome vs. nurture);
- ``returning`` 持续活跃: active in P and in P−1 (Amplitude "current");
- ``resurrecting`` 回流: active in P, not in P−1, active at some time before P−1;
- ``dormant`` 休眠: active in P−1, not in P (whether or not still in the group: see ``present_at_end``).

Members in none of these states (inactive in both P and P−1) are not listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from qunkpi.engine.periods import Period
from qunkpi.members.context import as_period, member_ctx, require

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

STATES = ("new", "activated", "returning", "resurrecting", "dormant")
STATE_NAMES = {
    "new": ("新成员", "new"),
    "activated": ("首次发言", "activated"),
    "returning": ("持续活跃", "returning"),
    "resurrecting": ("回流", "resurrecting"),
    "dormant": ("休眠", "dormant"),
}
COLUMNS = [
    "community_id",
    "period",
    "member_id",
    "state",
    "messages_in_period",
    "messages_in_previous",
    "first_message_at",
    "last_message_at",
    "joined_in_period",
    "present_at_end",
]


def lifecycle(ws: Workspace, period: str | Period, communities: list[str] | None = None) -> pd.DataFrame:
    p = as_period(period)
    prev = p.previous()
    with member_ctx(ws, [p], communities) as ctx:
        require(ctx, "messages")
        start, end, pstart = ibis.literal(p.start), ibis.literal(p.end), ibis.literal(prev.start)
        m = ctx.member_messages
        m = m.filter(m.sent_at < end)
        in_p = (m.sent_at >= start).cast("int64")
        in_prev = ((m.sent_at >= pstart) & (m.sent_at < start)).cast("int64")
        before = (m.sent_at < pstart).cast("int64")
        agg = m.group_by(["community_id", m.sender_id.name("member_id")]).aggregate(
            messages_in_period=in_p.sum(),
            messages_in_previous=in_prev.sum(),
            messages_before=before.sum(),
            first_message_at=m.sent_at.min(),
            last_message_at=m.sent_at.max(),
        )
        agg = agg.filter((agg.messages_in_period > 0) | (agg.messages_in_previous > 0))
        s = ctx.spells
        joined = s.filter((s.joined_at >= start) & (s.joined_at < end)).select(j_comm="community_id", j_id="member_id").distinct()
        present = s.filter((s.joined_at <= end) & (s.left > end)).select(p_comm="community_id", p_id="member_id").distinct()
        a = agg.left_join(joined, [agg.community_id == joined.j_comm, agg.member_id == joined.j_id])
        a = a.left_join(present, [a.community_id == present.p_comm, a.member_id == present.p_id])
        a = a.mutate(joined_in_period=a.j_id.notnull(), present_at_end=a.p_id.notnull()).drop("j_comm", "j_id", "p_comm", "p_id")
        df = ctx.backend.execute(a)
        act, prv, bef = df["messages_in_period"] > 0, df["messages_in_previous"] > 0, df["messages_before"] > 0
        df["state"] = np.select(
            [act & prv, act & ~prv & bef, act & ~prv & ~bef & df["joined_in_period"], act & ~prv & ~bef, ~act & prv],
            ["returning", "resurrecting", "new", "activated", "dormant"],
            default="",
        )
        df["period"] = p.label
        order = {s: i for i, s in enumerate(STATES)}
        df["_o"] = df["state"].map(order)
        df = df.sort_values(["community_id", "_o", "member_id"], kind="stable")
        return df.reindex(columns=COLUMNS).reset_index(drop=True)


def lifecycle_counts(df: pd.DataFrame) -> pd.DataFrame:
    """community_id × state → number of members (every state present, 0 when none)."""
    comms = sorted(df["community_id"].unique())
    idx = pd.MultiIndex.from_product([comms, list(STATES)], names=["community_id", "state"])
    counts = df.groupby(["community_id", "state"]).size().reindex(idx, fill_value=0)
    return counts.rename("members").reset_index()
