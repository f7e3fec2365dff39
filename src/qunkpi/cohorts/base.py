"""Shared pieces of the cohort analyses: an engine context over a workspace, month arithmetic, first joins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from qunkpi.engine.context import Ctx
from qunkpi.engine.periods import Period, parse_period
from qunkpi.errors import PeriodError, QunkpiError
from qunkpi.i18n import tr

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

DAY_S = 86400
WINDOW_DAYS = 30  # "a month since join" is a 30-day window, so month 1 agrees with retention_d30


def month_of(label: str | Period) -> Period:
    """A month period from ``2026-04`` (or a Period that must be a month)."""
    p = parse_period(label) if isinstance(label, str) else label
    if p.grain != "month":
        raise PeriodError(tr(f"应为月份（如 2026-04），而不是 {p.label}", f"expected a month such as 2026-04, not {p.label}"))
    return p


def months_between(first: Period, last: Period) -> list[Period]:
    if last.start < first.start:
        raise PeriodError(tr(f"结束月份 {last.label} 早于开始月份 {first.label}", f"end month {last.label} is before start month {first.label}"))
    out: list[Period] = []
    cur = first
    while cur.start <= last.start:
        out.append(cur)
        cur = cur.next()
    return out


def make_ctx(ws: Workspace, periods: list[Period], community: str | None, as_of: datetime | None) -> Ctx:
    """An engine context over ``ws`` limited to ``community`` (as-of defaults to the data horizon)."""
    from qunkpi.engine.api import workspace_inputs
    from qunkpi.engine.runner import available_tables, data_horizon

    backend = ws.ibis()
    available = available_tables(backend)
    if "members" not in available:
        raise QunkpiError(tr("工作区没有成员数据（members），请先导入", "the workspace has no members data; import members first"))
    if community is not None:
        ids = set(backend.execute(backend.table("communities").select("community_id"))["community_id"].astype(str))
        if community not in ids:
            raise QunkpiError(tr(f"没有社群 {community}（用 `qunkpi metrics` 查看社群 ID）", f"no community {community} (see the ids in `qunkpi metrics`)"))
    return Ctx(
        backend=backend,
        periods=periods,
        communities=[community] if community is not None else None,
        as_of=as_of or data_horizon(backend, available) or datetime.now(),
        available=available,
        **workspace_inputs(ws),
    )


def first_joins(ctx: Ctx) -> pd.DataFrame:
    """community_id, member_id, first_joined_at (earliest non-staff spell start), source_channel of that spell."""
    s = ctx.spells
    df = ctx.backend.execute(s.select("community_id", "member_id", "joined_at", "left", "source_channel"))
    df = df.sort_values(["community_id", "member_id", "joined_at"], kind="stable")
    first = df.groupby(["community_id", "member_id"], as_index=False).first()
    return first.rename(columns={"joined_at": "first_joined_at"})[["community_id", "member_id", "first_joined_at", "source_channel"]]


def spells_frame(ctx: Ctx) -> pd.DataFrame:
    s = ctx.spells
    return ctx.backend.execute(s.select("community_id", "member_id", "joined_at", "left"))


def present_at(spells: pd.DataFrame, who: pd.DataFrame, at_col: str) -> pd.Series:
    """For each row of ``who`` (community_id, member_id, ``at_col``): is the person present at that instant?"""
    if who.empty:
        return pd.Series([], dtype=bool, index=who.index)
    w = who[["community_id", "member_id", at_col]].reset_index()
    j = w.merge(spells, on=["community_id", "member_id"], how="left")
    hit = (j["joined_at"] <= j[at_col]) & (j["left"] > j[at_col])
    per = hit.groupby(j["index"]).any()
    return per.reindex(who.index, fill_value=False).astype(bool)
