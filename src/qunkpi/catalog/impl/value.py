"""Value and conversion (价值与转化), SPEC §3.

Conventions encoded once here: an order's net amount is ``amount − refund_amount`` and counts in the period of its
``paid_at`` (a later refund changes that period, not the refund's); an order with an empty ``community_id`` belongs
to no community; staff orders, staff survey answers and staff leads are left out. Activity-driven metrics attribute
orders by ``campaign_code`` in the window [start_at, end_at + 7 days), whatever the order's community_id.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from qunkpi.catalog.impl import impl
from qunkpi.catalog.impl.engagement import present_any
from qunkpi.engine.context import FAR_FUTURE, Ctx, ratio

CAMPAIGN_GRACE = ibis.interval(days=7)
TOTAL = "__total__"
KEYS = ["community_id", "period"]


def _blank(col: ir.StringValue) -> ir.BooleanValue:
    return col.isnull() | (col.strip() == "")


def net_amount(o: ir.Table) -> ir.NumericValue:
    return o.amount.cast("float64") - o.refund_amount.cast("float64").fill_null(0)


def global_staff(ctx: Ctx) -> ir.Table:
    """``person_id`` of everyone who is staff somewhere (a staff spell in any community, the staff table, settings)."""
    m = ctx.table("members")
    out = m.filter(m.is_staff.fill_null(False) | (m.role == "staff")).select(person_id=m.member_id)
    if ctx.has("staff"):
        s = ctx.table("staff")
        out = out.union(s.select(person_id=s.staff_id))
    if ctx.staff_ids:
        import pandas as pd

        ids = ibis.memtable(pd.DataFrame({"person_id": pd.Series(ctx.staff_ids, dtype="string")}))
        out = out.union(ids.select(person_id=ids.person_id.cast("string")))
    return out.distinct()


def attributed_orders(ctx: Ctx) -> ir.Table:
    """Non-staff orders attributed to a community (blank community_id = no community), with ``net``."""
    o = ctx.t("orders")
    o = o.filter(~_blank(o.community_id))
    o = ctx.non_staff(o, "customer_id")
    return o.mutate(net=net_amount(o))


def all_orders(ctx: Ctx) -> ir.Table:
    """Every order of the workspace (whatever its community, not filtered to the selected communities)."""
    o = ctx.table("orders")
    return o.mutate(net=net_amount(o))


def _orders_in_p(ctx: Ctx) -> ir.Table:
    return ctx.in_period(attributed_orders(ctx), "paid_at")


@impl("gmv")
def gmv(ctx: Ctx) -> ir.Table:
    t = _orders_in_p(ctx)
    return t.group_by(KEYS).aggregate(value=t.net.sum())


@impl("orders")
def orders(ctx: Ctx) -> ir.Table:
    t = _orders_in_p(ctx)
    return t.group_by(KEYS).aggregate(value=t.count())


@impl("buyers")
def buyers(ctx: Ctx) -> ir.Table:
    t = _orders_in_p(ctx)
    return t.group_by(KEYS).aggregate(value=t.customer_id.nunique())


@impl("repurchase_rate")
def repurchase_rate(ctx: Ctx) -> ir.Table:
    t = _orders_in_p(ctx)
    per = t.group_by([*KEYS, "customer_id"]).aggregate(n=t.count())
    g = per.group_by(KEYS).aggregate(b=per.count(), r=(per.n >= 2).cast("int64").sum())
    return g.select(*KEYS, value=ratio(g.r, g.b))


@impl("arpu")
def arpu(ctx: Ctx) -> ir.Table:
    pres = present_any(ctx)  # distinct (community, period, member): the people present at any time in P
    mem = pres.group_by(KEYS).aggregate(n=pres.member_id.count())
    g = gmv(ctx).rename(g="value")
    j = mem.left_join(g, KEYS)
    return j.select(*KEYS, value=ratio(j.g.fill_null(0), j.n))


# -- cost and the ratios over it ---------------------------------------------------------------------------
@impl("cost")
def cost(ctx: Ctx) -> ir.Table:
    """Monthly costs prorated by the days of each month the period covers (whole months → the full amount)."""
    c = ctx.t("costs")
    c = c.mutate(m_start=c.month.concat("-01").cast("date").cast("timestamp"))
    c = c.mutate(m_end=c.m_start + ibis.interval(months=1))
    p = ctx.periods_t
    j = c.join(p, [c.m_start < p.p_end, c.m_end > p.p_start])
    lo = ibis.greatest(j.p_start, j.m_start).epoch_seconds()
    hi = ibis.least(j.p_end, j.m_end).epoch_seconds()
    month_s = j.m_end.epoch_seconds() - j.m_start.epoch_seconds()
    j = j.mutate(part=j.amount.cast("float64") * (hi - lo).cast("float64") / month_s.cast("float64"))
    return j.group_by(KEYS).aggregate(value=j.part.sum())


# -- member value --------------------------------------------------------------------------------------------
def member_orders(ctx: Ctx) -> ir.Table:
    """Orders (any community_id) a non-staff member paid while present in a community, up to the as-of time.

    Columns: community_id, member_id, order_id, paid_at, net. An order paid during two overlapping spells of the same
    person counts once.
    """
    s = ctx.spells.select("community_id", "member_id", "joined_at", "left")
    o = all_orders(ctx)
    o = o.filter(o.paid_at < ctx.as_of_literal()).select(o_cust="customer_id", order_id="order_id", paid_at="paid_at", net="net")
    j = s.join(o, [s.member_id == o.o_cust, o.paid_at >= s.joined_at, o.paid_at < s.left])
    return j.select("community_id", "member_id", "order_id", "paid_at", "net").distinct()


def member_values(ctx: Ctx) -> ir.Table:
    """Per (community, non-staff member): first_joined_at, orders and ltv (Σ net while present, to as-of)."""
    s = ctx.spells
    s = s.filter(s.joined_at <= ctx.as_of_literal())
    first = s.group_by(["community_id", "member_id"]).aggregate(first_joined_at=s.joined_at.min())
    mo = member_orders(ctx)
    per = mo.group_by(["community_id", "member_id"]).aggregate(n_orders=mo.count(), ltv=mo.net.sum())
    j = first.left_join(per, ["community_id", "member_id"])
    return j.select(
        "community_id",
        "member_id",
        "first_joined_at",
        n_orders=j.n_orders.fill_null(0),
        ltv=j.ltv.fill_null(0.0),
    )


@impl("ltv")
def ltv(ctx: Ctx) -> ir.Table:
    mv = member_values(ctx)
    t = ctx.in_period(mv, "first_joined_at")
    return t.group_by(KEYS).aggregate(value=t.ltv.mean())


@impl("community_revenue_per_customer")
def community_revenue_per_customer(ctx: Ctx) -> ir.Table:
    s = ctx.spells.select("community_id", "member_id", "joined_at", "left")
    o = all_orders(ctx).select(o_cust="customer_id", order_id="order_id", paid_at="paid_at", net="net")
    j = s.join(o, [s.member_id == o.o_cust, o.paid_at >= s.joined_at, o.paid_at < s.left])
    j = j.select("community_id", "member_id", "order_id", "paid_at", "net").distinct()
    t = ctx.in_period(j, "paid_at")
    g = t.group_by(KEYS).aggregate(rev=t.net.sum(), n=t.member_id.nunique())
    return g.select(*KEYS, value=ratio(g.rev, g.n))


@impl("noncommunity_revenue_per_customer")
def noncommunity_revenue_per_customer(ctx: Ctx) -> ir.Table:
    m = ctx.table("members")
    m = m.select(m_id="member_id", m_join="joined_at", m_left=m.left_at.fill_null(ibis.literal(FAR_FUTURE)))
    o = all_orders(ctx)
    o = o.anti_join(m, [o.customer_id == m.m_id, o.paid_at >= m.m_join, o.paid_at < m.m_left])
    staff = global_staff(ctx)
    o = o.anti_join(staff, o.customer_id == staff.person_id)
    t = ctx.in_period(o, "paid_at")
    g = t.group_by("period").aggregate(rev=t.net.sum(), n=t.customer_id.nunique())
    v = g.select("period", value=ratio(g.rev, g.n))
    return ctx.community_ids.cross_join(v).select(*KEYS, "value")


# -- surveys -------------------------------------------------------------------------------------------------
def _survey(ctx: Ctx, kind: str) -> ir.Table:
    s = ctx.t("surveys")
    s = ctx.non_staff(s.filter(s.kind == kind), "member_id")
    return ctx.in_period(s, "answered_at")


@impl("nps")
def nps(ctx: Ctx) -> ir.Table:
    t = _survey(ctx, "nps")
    g = t.group_by(KEYS).aggregate(
        n=t.count(), pro=(t.score >= 9).cast("int64").sum(), det=(t.score <= 6).cast("int64").sum()
    )
    return g.select(*KEYS, value=ratio((g.pro - g.det) * 100, g.n))


@impl("csat_share")
def csat_share(ctx: Ctx) -> ir.Table:
    t = _survey(ctx, "csat")
    g = t.group_by(KEYS).aggregate(n=t.count(), ok=(t.score >= 4).cast("int64").sum())
    return g.select(*KEYS, value=ratio(g.ok, g.n))


# -- leads ---------------------------------------------------------------------------------------------------
def _leads(ctx: Ctx) -> ir.Table:
    return ctx.non_staff(ctx.t("leads"), "member_id")


@impl("leads")
def leads(ctx: Ctx) -> ir.Table:
    t = ctx.in_period(_leads(ctx), "created_at")
    return t.group_by(KEYS).aggregate(value=t.count())


@impl("qualified_leads")
def qualified_leads(ctx: Ctx) -> ir.Table:
    t = ctx.in_period(_leads(ctx), "created_at")
    return t.group_by(KEYS).aggregate(value=t.qualified.fill_null(False).cast("int64").sum())


def _lead_flows(ctx: Ctx, by: list[str]) -> ir.Table:
    """created / converted counts per community × period (× ``by``), one row per group with either flow."""
    lt = _leads(ctx)
    created = ctx.in_period(lt, "created_at")
    created = created.select(*KEYS, *by, cr=ibis.literal(1), cv=ibis.literal(0))
    conv = lt.filter(lt.converted_at.notnull())
    conv = ctx.in_period(conv, "converted_at")
    conv = conv.select(*KEYS, *by, cr=ibis.literal(0), cv=ibis.literal(1))
    u = created.union(conv)
    return u.group_by([*KEYS, *by]).aggregate(cr=u.cr.sum(), cv=u.cv.sum())


@impl("lead_conversion_rate")
def lead_conversion_rate(ctx: Ctx) -> ir.Table:
    g = _lead_flows(ctx, [])
    return g.select(*KEYS, value=ratio(g.cv, g.cr))


@impl("lead_conversion_rate_by_source")
def lead_conversion_rate_by_source(ctx: Ctx) -> ir.Table:
    g = _lead_flows(ctx, ["source"])
    return g.select(*KEYS, breakdown=g.source.fill_null("other"), value=ratio(g.cv, g.cr))


# -- activity-driven -----------------------------------------------------------------------------------------
def campaign_activities(ctx: Ctx) -> ir.Table:
    """Activities with a campaign code, joined to the period their start_at falls in."""
    a = ctx.t("activities")
    a = a.filter(~_blank(a.campaign_code))
    return ctx.in_period(a, "start_at")


def _code_orders(ctx: Ctx, acts: ir.Table, orders_t: ir.Table | None = None) -> ir.Table:
    """``acts`` × orders carrying its code paid in [start_at, end_at + 7 d), staff of the activity's community out."""
    o = orders_t if orders_t is not None else all_orders(ctx)
    o = o.filter(~_blank(o.campaign_code)).select(o_code="campaign_code", o_cust="customer_id", o_id="order_id", o_paid="paid_at")
    j = acts.join(o, [acts.campaign_code == o.o_code, o.o_paid >= acts.start_at, o.o_paid < acts.end_at + CAMPAIGN_GRACE])
    sp = ctx.staff_people
    return j.anti_join(sp, [j.community_id == sp.community_id, j.o_cust == sp.person_id])


def _with_total(per: ir.Table, num: str, den: str) -> ir.Table:
    """Per-activity rows plus a ``__total__`` row per community × period (Σ num / Σ den)."""
    rows = per.select(*KEYS, breakdown=per.activity_id, value=ratio(per[num], per[den]))
    tot = per.group_by(KEYS).aggregate(n=per[num].sum(), d=per[den].sum())
    total = tot.select(*KEYS, breakdown=ibis.literal(TOTAL), value=ratio(tot.n, tot.d))
    return rows.union(total)


@impl("campaign_conversion_rate")
def campaign_conversion_rate(ctx: Ctx) -> ir.Table:
    acts = campaign_activities(ctx)
    j = _code_orders(ctx, acts)
    nb = j.group_by([*KEYS, "activity_id"]).aggregate(b=j.o_cust.nunique())
    base = acts.select(*KEYS, "activity_id", "notified_count")
    per = base.left_join(nb, [*KEYS, "activity_id"])
    per = per.select(*KEYS, "activity_id", b=per.b.fill_null(0), d=per.notified_count)
    return _with_total(per, "b", "d")


@impl("coupon_redemption_rate")
def coupon_redemption_rate(ctx: Ctx) -> ir.Table:
    acts = campaign_activities(ctx)
    ap = ctx.table("activity_participants").select(p_act="activity_id", p_member="member_id")
    parts = acts.join(ap, acts.activity_id == ap.p_act)
    sp = ctx.staff_people
    parts = parts.anti_join(sp, [parts.community_id == sp.community_id, parts.p_member == sp.person_id])
    parts = parts.select(*KEYS, "activity_id", "p_member").distinct()
    j = _code_orders(ctx, acts).select(r_act="activity_id", r_cust="o_cust")
    red = parts.semi_join(j, [parts.activity_id == j.r_act, parts.p_member == j.r_cust])
    npart = parts.group_by([*KEYS, "activity_id"]).aggregate(d=parts.count())
    nred = red.group_by([*KEYS, "activity_id"]).aggregate(r=red.count())
    base = acts.select(*KEYS, "activity_id")
    per = base.left_join(npart, [*KEYS, "activity_id"]).left_join(nred, [*KEYS, "activity_id"])
    per = per.select(*KEYS, "activity_id", r=per.r.fill_null(0), d=per.d.fill_null(0))
    return _with_total(per, "r", "d")


@impl("cac")
def cac(ctx: Ctx) -> ir.Table:
    acts = campaign_activities(ctx)
    acts = acts.filter(acts.cost.notnull())
    o = all_orders(ctx)
    firsts = o.group_by("customer_id").aggregate(f_paid=o.paid_at.min())
    first_orders = o.join(firsts, [o.customer_id == firsts.customer_id, o.paid_at == firsts.f_paid]).select(o.columns)
    j = _code_orders(ctx, acts, first_orders)
    nb = j.group_by([*KEYS, "activity_id"]).aggregate(b=j.o_cust.nunique())
    base = acts.select(*KEYS, "activity_id", c=acts.cost.cast("float64"))
    per = base.left_join(nb, [*KEYS, "activity_id"])
    per = per.select(*KEYS, "activity_id", c=per.c, b=per.b.fill_null(0))
    return _with_total(per, "c", "b")
