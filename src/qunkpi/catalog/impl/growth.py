"""Growth and health (增长与健康度), SPEC §3."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from qunkpi.catalog.impl import impl
from qunkpi.catalog.impl.engagement import present_at_end
from qunkpi.engine.context import Ctx, ratio

DAY = ibis.interval(days=1)


def _present_at(ctx: Ctx, at: str) -> ir.Table:
    """Distinct non-staff people present at each period's ``p_start`` or ``p_end``."""
    s, p = ctx.spells, ctx.periods_t
    j = s.join(p, [s.joined_at <= p[at], s.left > p[at]])
    return j.select("community_id", "period", "member_id").distinct()


@impl("members_start")
def members_start(ctx: Ctx) -> ir.Table:
    t = _present_at(ctx, "p_start")
    return t.group_by(["community_id", "period"]).aggregate(value=t.member_id.count())


@impl("members_end")
def members_end(ctx: Ctx) -> ir.Table:
    t = present_at_end(ctx)  # the shared block: the same people as _present_at(ctx, "p_end")
    return t.group_by(["community_id", "period"]).aggregate(value=t.member_id.count())


@impl("joins")
def joins(ctx: Ctx) -> ir.Table:
    t = ctx.in_period(ctx.spells, "joined_at")
    return t.group_by(["community_id", "period"]).aggregate(value=t.count())


@impl("leaves")
def leaves(ctx: Ctx) -> ir.Table:
    s = ctx.spells.filter(ctx.spells.left_at.notnull())
    t = ctx.in_period(s, "left_at")
    return t.group_by(["community_id", "period"]).aggregate(value=t.count())


@impl("source_share")
def source_share(ctx: Ctx) -> ir.Table:
    t = ctx.in_period(ctx.spells, "joined_at")
    t = t.mutate(breakdown=t.source_channel.fill_null("unknown"))
    per = t.group_by(["community_id", "period", "breakdown"]).aggregate(n=t.count())
    tot = per.group_by(["community_id", "period"]).aggregate(total=per.n.sum())
    j = per.join(tot, ["community_id", "period"])
    return j.select("community_id", "period", "breakdown", value=ratio(j.n, j.total))


@impl("join_rate")
def join_rate(ctx: Ctx) -> ir.Table:
    """Joins from a channel / reach of that channel in P, per channel; the total over channels with reach."""
    r = ctx.t("reach")
    p = ctx.periods_t
    rr = r.join(p, [r.day.cast("timestamp") >= p.p_start, r.day.cast("timestamp") < p.p_end])
    reach = rr.group_by(["community_id", "period", rr.channel.name("breakdown")]).aggregate(reached=rr.reached.sum())
    t = ctx.in_period(ctx.spells, "joined_at")
    t = t.mutate(breakdown=t.source_channel.fill_null("unknown"))
    js = t.group_by(["community_id", "period", "breakdown"]).aggregate(n=t.count())
    j = reach.left_join(js, ["community_id", "period", "breakdown"])
    j = j.select("community_id", "period", "breakdown", "reached", n=j.n.fill_null(0))
    per = j.select("community_id", "period", "breakdown", value=ratio(j.n, j.reached))
    tot = j.group_by(["community_id", "period"]).aggregate(n=j.n.sum(), reached=j.reached.sum())
    total = tot.select("community_id", "period", breakdown=ibis.literal("__total__"), value=ratio(tot.n, tot.reached))
    return per.union(total)


@impl("silent_ratio")
def silent_ratio(ctx: Ctx) -> ir.Table:
    """Members present at P.end with tenure ≥ N days who sent nothing and joined no activity in the last N days."""
    n = int(getattr(getattr(ctx.settings, "metrics", None), "silent_days", 14) or 14)
    s, p = ctx.spells, ctx.periods_t
    window = ibis.interval(days=n)
    cur = s.join(p, [s.joined_at <= p.p_end, s.left > p.p_end])
    cur = cur.filter(cur.joined_at <= cur.p_end - window)
    base = cur.select("community_id", "period", "member_id", "p_end").distinct()
    # Who sent a message or joined an activity in each period's window [P.end − N days, P.end): the events are
    # joined to the windows once (a range join on the small periods table) and the members matched to them by
    # equality — rather than every member joined to all their messages, each checked against the window.
    w = p.mutate(w_start=p.p_end - window)
    m = ctx.messages
    sent = m.join(w, [m.sent_at >= w.w_start, m.sent_at < w.p_end])
    keys = sent.select(k_comm=sent.community_id, k_id=sent.sender_id, k_period=sent.period)
    if ctx.has("activity_participants", "activities"):
        a = ctx.t("activities").select("activity_id", a_comm="community_id")
        ap = ctx.table("activity_participants")
        apc = ap.join(a, "activity_id")
        took = apc.join(w, [apc.participated_at >= w.w_start, apc.participated_at < w.p_end])
        keys = keys.union(took.select(k_comm=took.a_comm, k_id=took.member_id, k_period=took.period), distinct=False)
    active = base.semi_join(keys, [base.community_id == keys.k_comm, base.member_id == keys.k_id, base.period == keys.k_period])
    nb = base.group_by(["community_id", "period"]).aggregate(n=base.member_id.count())
    na = active.group_by(["community_id", "period"]).aggregate(a=active.member_id.count())
    j = nb.left_join(na, ["community_id", "period"])
    return j.select("community_id", "period", value=ratio(j.n - j.a.fill_null(0), j.n))


def _first_join_in_period(ctx: Ctx) -> ir.Table:
    t = ctx.in_period(ctx.spells, "joined_at")
    return t.group_by(["community_id", "period", "member_id"]).aggregate(joined_at=t.joined_at.min())


def _eligible_joins(ctx: Ctx) -> ir.Table:
    f = _first_join_in_period(ctx)
    return f.filter(f.joined_at + ibis.interval(days=30) <= ctx.as_of_literal())


@impl("retention_d30")
def retention_d30(ctx: Ctx) -> ir.Table:
    e = _eligible_joins(ctx)
    s = ctx.spells.select(s_comm="community_id", s_member="member_id", s_join="joined_at", s_left="left")
    at = e.joined_at + ibis.interval(days=30)
    kept = e.semi_join(s, [e.community_id == s.s_comm, e.member_id == s.s_member, s.s_join <= at, s.s_left > at])
    ne = e.group_by(["community_id", "period"]).aggregate(n=e.count())
    nk = kept.group_by(["community_id", "period"]).aggregate(k=kept.count())
    j = ne.left_join(nk, ["community_id", "period"])
    return j.select("community_id", "period", value=ratio(j.k.fill_null(0), j.n))


@impl("active_retention_d30")
def active_retention_d30(ctx: Ctx) -> ir.Table:
    """Retained at day 30 and sent an effective message in days 23–30 after joining ([+22 d, +30 d))."""
    e = _eligible_joins(ctx)
    s = ctx.spells.select(s_comm="community_id", s_member="member_id", s_join="joined_at", s_left="left")
    at = e.joined_at + ibis.interval(days=30)
    kept = e.semi_join(s, [e.community_id == s.s_comm, e.member_id == s.s_member, s.s_join <= at, s.s_left > at])
    m = ctx.member_messages.filter(ctx.member_messages.is_effective.fill_null(False))
    m = m.select(m_comm="community_id", m_sender="sender_id", m_at="sent_at")
    act = kept.semi_join(
        m,
        [
            kept.community_id == m.m_comm,
            kept.member_id == m.m_sender,
            m.m_at >= kept.joined_at + ibis.interval(days=22),
            m.m_at < kept.joined_at + ibis.interval(days=30),
        ],
    )
    ne = e.group_by(["community_id", "period"]).aggregate(n=e.count())
    na = act.group_by(["community_id", "period"]).aggregate(k=act.count())
    j = ne.left_join(na, ["community_id", "period"])
    return j.select("community_id", "period", value=ratio(j.k.fill_null(0), j.n))


@impl("profile_completeness")
def profile_completeness(ctx: Ctx) -> ir.Table:
    s, p = ctx.spells, ctx.periods_t
    s = s.filter(s.profile_filled.notnull() & s.profile_total.notnull())
    j = s.join(p, [s.joined_at <= p.p_end, s.left > p.p_end])
    g = j.group_by(["community_id", "period"]).aggregate(f=j.profile_filled.sum(), t=j.profile_total.sum())
    return g.select("community_id", "period", value=ratio(g.f, g.t))


@impl("referral_share")
def referral_share(ctx: Ctx) -> ir.Table:
    t = ctx.in_period(ctx.spells, "joined_at")
    inviters = ctx.spells.select(i_comm="community_id", i_id="member_id").distinct()
    t = t.left_join(inviters, [t.community_id == inviters.i_comm, t.inviter_id == inviters.i_id])
    g = t.group_by(["community_id", "period"]).aggregate(
        n=t.count(), r=(t.i_id.notnull()).cast("int64").sum()
    )
    return g.select("community_id", "period", value=ratio(g.r, g.n))
