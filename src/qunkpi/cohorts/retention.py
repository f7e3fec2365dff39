"""Cohort retention matrices (docs/cohorts.md).

Rows are join-month cohorts: the non-staff people whose *first* join of the community falls in that month (a person in
two communities is in two cohorts). Column k is "month k since join", the 30-day window
W_k = [j + 30k days, j + 30(k+1) days) after the first join j:

- ``membership``: share of the cohort present at the instant j + 30k days (any spell counts, so rejoiners return);
  column 0 is 100% by construction and column 1 equals ``retention_d30``.
- ``active``: share of the cohort who sent at least one effective message (§4) in that community during W_k.

A cell is filled only when it is observable for *every* member of its cohort by the as-of time (membership:
j + 30k ≤ as-of; active: the window has ended, j + 30(k+1) ≤ as-of); otherwise it is empty (NaN). Filling a cell from
the early joiners alone would make the heatmap's last columns jump up and down with who happened to join first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import ibis
import pandas as pd

from qunkpi.cohorts.base import (
    DAY_S,
    WINDOW_DAYS,
    first_joins,
    make_ctx,
    month_of,
    months_between,
    present_at,
    spells_frame,
)
from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr

if TYPE_CHECKING:
    from qunkpi.engine.context import Ctx
    from qunkpi.engine.periods import Period
    from qunkpi.workspace.workspace import Workspace

Kind = Literal["membership", "active"]


def _active_windows(ctx, cohort: pd.DataFrame) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Distinct (community_id, member_id, k): an effective message in window k after the first join."""
    if not ctx.has("messages"):
        raise QunkpiError(tr("没有消息数据（messages），无法计算活跃留存", "no messages data: active retention needs messages"))
    if not ctx.has("message_labels"):
        raise QunkpiError(
            tr("消息尚未分类：先运行 `qunkpi classify`，活跃留存只算有效消息", "messages are not classified yet: run `qunkpi classify` first (active retention counts effective messages)")
        )
    m = ctx.member_messages
    m = m.filter(m.is_effective.fill_null(False)).select(c="community_id", who="sender_id", at="sent_at")
    fj = ibis.memtable(cohort[["community_id", "member_id", "first_joined_at"]].astype({"first_joined_at": "datetime64[us]"}))
    j = m.join(fj, [m.c == fj.community_id, m.who == fj.member_id, m.at >= fj.first_joined_at])
    k = ((j.at.epoch_seconds() - j.first_joined_at.epoch_seconds()) // (WINDOW_DAYS * DAY_S)).cast("int64")
    out = j.select("community_id", "member_id", k=k).distinct()
    return ctx.backend.execute(out)


def retention_matrix(
    ws: Workspace,
    kind: Kind = "membership",
    start_month: str | Period = "",
    end_month: str | Period = "",
    community: str | None = None,
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """Cohort × months-since-join shares. Index ``cohort`` (YYYY-MM); columns ``size`` then 0..N (N = months in range − 1).

    Without ``community`` the cohorts of every community are pooled (a person in two communities is in two cohorts);
    :func:`retention_matrices` gives one matrix per community instead."""
    months = _months(kind, start_month, end_month)
    with make_ctx(ws, months, community, as_of) as ctx:
        return _matrices(ctx, kind, months, by_community=False)[None]


def retention_matrices(
    ws: Workspace,
    kind: Kind = "membership",
    start_month: str | Period = "",
    end_month: str | Period = "",
    communities: list[str] | None = None,
    as_of: datetime | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`retention_matrix` for every community (or those in ``communities``) in one pass: one engine context,
    one read of the spells and one grouping for all of them. ``result[c]`` equals
    ``retention_matrix(ws, kind, start_month, end_month, community=c, as_of=as_of)``; a community without a member in
    the cohorts gets the all-empty matrix (size 0) that call returns."""
    months = _months(kind, start_month, end_month)
    with make_ctx(ws, months, None, as_of) as ctx:
        known = [str(c) for c in ctx.backend.execute(ctx.table("communities").select("community_id"))["community_id"]]
        if communities is None:
            communities = known
        missing = sorted(set(communities) - set(known))
        if missing:
            raise QunkpiError(tr(f"没有社群 {missing[0]}（用 `qunkpi metrics` 查看社群 ID）", f"no community {missing[0]} (see the ids in `qunkpi metrics`)"))
        got = _matrices(ctx, kind, months, by_community=True)
        empty = _empty_matrix(months)
        return {c: got[c] if c in got else empty.copy() for c in communities}


def _months(kind: str, start_month: str | Period, end_month: str | Period) -> list[Period]:
    if kind not in ("membership", "active"):
        raise QunkpiError(tr(f"未知留存类型 {kind}：应为 membership 或 active", f"unknown retention kind {kind}: use membership or active"))
    return months_between(month_of(start_month), month_of(end_month))


def _empty_matrix(months: list[Period]) -> pd.DataFrame:
    labels = [m.label for m in months]
    out = pd.DataFrame(index=pd.Index(labels, name="cohort"))
    out["size"] = pd.Series(0, index=out.index, dtype="int64")
    for k in range(len(months)):
        out[k] = pd.Series(dtype="float64").reindex(labels)
    return out


def _matrices(ctx: Ctx, kind: str, months: list[Period], *, by_community: bool) -> dict[str | None, pd.DataFrame]:
    """The matrices of the cohorts in ``ctx``: keyed by community (``by_community``) or one pooled under None."""
    as_of_t = pd.Timestamp(ctx.as_of)
    n_cols = len(months)
    fj = first_joins(ctx)
    lo, hi = pd.Timestamp(months[0].start), pd.Timestamp(months[-1].end)
    cohort = fj[(fj.first_joined_at >= lo) & (fj.first_joined_at < hi)].copy()
    cohort["cohort"] = cohort.first_joined_at.dt.strftime("%Y-%m")
    keys = ["community_id", "cohort"] if by_community else ["cohort"]
    win = timedelta(days=WINDOW_DAYS)
    cells: dict[int, pd.Series] = {}
    if kind == "membership":
        spells = spells_frame(ctx)
        for k in range(n_cols):
            at = cohort.first_joined_at + k * win
            who = cohort.assign(at=at)
            seen = at <= as_of_t
            ok = present_at(spells, who[seen], "at")
            cells[k] = _share(cohort, seen, ok, keys)
    else:
        act = _active_windows(ctx, cohort) if len(cohort) else pd.DataFrame(columns=["community_id", "member_id", "k"])
        keyed = set(zip(act.community_id, act.member_id, act.k, strict=True))
        for k in range(n_cols):
            seen = cohort.first_joined_at + (k + 1) * win <= as_of_t
            sub = cohort[seen]
            ok = pd.Series([(c, m, k) in keyed for c, m in zip(sub.community_id, sub.member_id, strict=True)], index=sub.index, dtype=bool)
            cells[k] = _share(cohort, seen, ok, keys)
    labels = [m.label for m in months]
    sizes = cohort.groupby(keys).size()
    if not by_community:
        return {None: _assemble(labels, sizes, cells)}
    if cohort.empty:
        return {}
    # one table keyed (community, cohort), cut by community once: every cell series has every group of the cohort
    table = pd.concat([sizes.rename("size"), *[cells[k].rename(k) for k in range(n_cols)]], axis=1)
    out: dict[str | None, pd.DataFrame] = {}
    for cid, g in table.groupby(level="community_id", sort=True):
        g = g.droplevel("community_id")
        out[str(cid)] = _assemble(labels, g["size"], {k: g[k] for k in range(n_cols)})
    return out


def _assemble(labels: list[str], sizes: pd.Series, cells: dict[int, pd.Series]) -> pd.DataFrame:
    out = pd.DataFrame(index=pd.Index(labels, name="cohort"))
    out["size"] = sizes.reindex(labels, fill_value=0).astype("int64")
    for k in range(len(cells)):
        out[k] = cells[k].reindex(labels)
    return out


def _share(cohort: pd.DataFrame, seen: pd.Series, ok: pd.Series, keys: list[str]) -> pd.Series:
    """Per cohort (``keys``: cohort, or community and cohort): members who satisfy ``ok`` / members, only for
    cohorts whose members are all observable."""
    if cohort.empty:
        return pd.Series(dtype="float64")
    g = cohort[keys].assign(seen=seen.astype(bool), ok=ok.reindex(cohort.index, fill_value=False).astype(float))
    agg = g.groupby(keys).agg(all_seen=("seen", "all"), share=("ok", "mean"))
    return agg.share.where(agg.all_seen).astype("float64")
