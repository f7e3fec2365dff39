"""Actionable member lists (SPEC §6): silent members to wake up, churn risks, plus the dispatcher used by
``qunkpi members`` and the web/report layers."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

from qunkpi.engine.periods import Period, trailing
from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr
from qunkpi.members.context import as_period, member_ctx, require
from qunkpi.members.lifecycle import lifecycle
from qunkpi.members.scores import koc_candidates, member_scores

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

LIST_KINDS = ("silent", "koc", "churn-risk", "scores", "lifecycle")


def _days_between(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> pd.Series:
    return ((later - earlier).dt.total_seconds() / 86400.0).round(2)


def _with_last_message(people: ir.Table, messages: ir.Table, end: ir.Value) -> ir.Table:
    """``people`` (``community_id``, ``member_id``) with ``last_message_at``: their latest countable message in that
    community before ``end`` (null when none)."""
    before = messages.filter(messages.sent_at < end)
    last = before.group_by(["community_id", before.sender_id.name("l_id")]).aggregate(last_message_at=before.sent_at.max())
    last = last.select(l_comm="community_id", l_id="l_id", last_message_at="last_message_at")
    cond = [people.community_id == last.l_comm, people.member_id == last.l_id]
    return people.left_join(last, cond).drop("l_comm", "l_id")


def silent_members(
    ws: Workspace, period: str | Period, communities: list[str] | None = None, days: int | None = None
) -> pd.DataFrame:
    """The numerator of ``silent_ratio(N)``: members present at P.end with tenure ≥ N days (from the joined_at
    of the spell they are in) who sent no message (filler and spam included) and joined no activity in
    [P.end − N days, P.end). N defaults to ``[metrics] silent_days``. Longest tenure first."""
    p = as_period(period)
    n = int(days or ws.settings.metrics.silent_days)
    if n <= 0:
        raise QunkpiError(tr(f"沉默天数应为正整数：{n}", f"silent days must be a positive whole number: {n}"))
    with member_ctx(ws, [p], communities) as ctx:
        require(ctx, "members", "messages")
        end, since = ibis.literal(p.end), ibis.literal(p.end - timedelta(days=n))
        s = ctx.spells
        cur = s.filter((s.joined_at <= end) & (s.left > end) & (s.joined_at <= since))
        base = cur.group_by(["community_id", "member_id"]).aggregate(joined_at=cur.joined_at.max())
        m = ctx.messages
        recent = m.filter((m.sent_at >= since) & (m.sent_at < end))
        silent = base.anti_join(recent, [base.community_id == recent.community_id, base.member_id == recent.sender_id])
        if ctx.has("activities", "activity_participants"):
            a = ctx.t("activities").select("activity_id", a_comm="community_id")
            ap = ctx.table("activity_participants").join(a, "activity_id")
            ap = ap.filter((ap.participated_at >= since) & (ap.participated_at < end))
            silent = silent.anti_join(ap, [silent.community_id == ap.a_comm, silent.member_id == ap.member_id])
        out = _with_last_message(silent, m, end)
        df = ctx.backend.execute(out)
        df["period"] = p.label
        df["silent_days"] = n
        df["tenure_days"] = _days_between(pd.Timestamp(p.end), df["joined_at"])
        df = df.sort_values(["community_id", "joined_at", "member_id"], kind="stable")
        cols = ["community_id", "period", "member_id", "joined_at", "tenure_days", "last_message_at", "silent_days"]
        return df.reindex(columns=cols).reset_index(drop=True)


def churn_risk_members(
    ws: Workspace, period: str | Period, communities: list[str] | None = None, lookback: int = 1
) -> pd.DataFrame:
    """Members present at P.end who sent ≥ 1 effective message in the ``lookback`` periods before P (same
    grain) and no message at all in P: engaged before, silent now. Most engaged before first."""
    p = as_period(period)
    if lookback < 1:
        raise QunkpiError(tr(f"回看周期数应 ≥ 1：{lookback}", f"lookback must be ≥ 1: {lookback}"))
    w_start = trailing(p, lookback)[0].start
    with member_ctx(ws, [p], communities) as ctx:
        require(ctx, "members", "messages", "message_labels")
        start, end, ws_lit = ibis.literal(p.start), ibis.literal(p.end), ibis.literal(w_start)
        s = ctx.spells
        present = s.filter((s.joined_at <= end) & (s.left > end)).select("community_id", "member_id").distinct()
        mm = ctx.member_messages
        eff = mm.filter(mm.is_effective.fill_null(False) & (mm.sent_at >= ws_lit) & (mm.sent_at < start))
        eff = eff.group_by(["community_id", eff.sender_id.name("e_id")]).aggregate(
            effective_before=eff.count(), last_effective_at=eff.sent_at.max()
        )
        eff = eff.select(e_comm="community_id", e_id="e_id", effective_before="effective_before", last_effective_at="last_effective_at")
        j = present.join(eff, [present.community_id == eff.e_comm, present.member_id == eff.e_id]).drop("e_comm", "e_id")
        m = ctx.messages
        now = m.filter((m.sent_at >= start) & (m.sent_at < end))
        j = j.anti_join(now, [j.community_id == now.community_id, j.member_id == now.sender_id])
        j = _with_last_message(j, m, end)
        df = ctx.backend.execute(j)
        df["period"] = p.label
        df["days_since_last_message"] = _days_between(pd.Timestamp(p.end), df["last_message_at"])
        df = df.sort_values(["community_id", "effective_before", "member_id"], ascending=[True, False, True], kind="stable")
        cols = ["community_id", "period", "member_id", "effective_before", "last_effective_at", "last_message_at", "days_since_last_message"]
        return df.reindex(columns=cols).reset_index(drop=True)


def member_list(
    ws: Workspace,
    period: str | Period,
    kind: str,
    communities: list[str] | None = None,
    *,
    silent_days: int | None = None,
    lookback: int = 1,
) -> pd.DataFrame:
    """One of the member lists by name: silent | koc | churn-risk | scores | lifecycle."""
    if kind == "silent":
        return silent_members(ws, period, communities, days=silent_days)
    if kind == "koc":
        return koc_candidates(ws, period, communities)
    if kind == "churn-risk":
        return churn_risk_members(ws, period, communities, lookback=lookback)
    if kind == "scores":
        return member_scores(ws, period, communities)
    if kind == "lifecycle":
        return lifecycle(ws, period, communities)
    raise QunkpiError(
        tr(f"未知名单 {kind!r}：可选 {'、'.join(LIST_KINDS)}", f"unknown list {kind!r}: choose one of {', '.join(LIST_KINDS)}")
    )
