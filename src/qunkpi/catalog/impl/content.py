"""Content accounts (公众号 / 视频号), SPEC §3.

Account-level metrics: the output's ``community_id`` column holds the ``account_id``. The engine builds their grid
from the accounts in ``posts`` ∪ ``account_daily``; the community filter (``--community``) selects accounts too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from qunkpi.catalog.impl import impl
from qunkpi.engine.context import Ctx, ratio
from qunkpi.engine.periods import Period

KEYS = ["community_id", "period"]
TOTAL = "__total__"
ARTICLE_QUOTA = 5
VIDEO_QUOTA = 3


def _accounts_filter(ctx: Ctx, t: ir.Table) -> ir.Table:
    if ctx.communities is not None:
        t = t.filter(t.account_id.isin(ctx.communities))
    return t


def _posts(ctx: Ctx) -> ir.Table:
    """Posts with ``community_id`` = account_id, joined to the period containing published_at."""
    p = _accounts_filter(ctx, ctx.table("posts"))
    p = p.mutate(community_id=p.account_id)
    return ctx.in_period(p, "published_at")


def _daily(ctx: Ctx) -> ir.Table:
    d = _accounts_filter(ctx, ctx.table("account_daily"))
    d = d.mutate(community_id=d.account_id, day_ts=d.day.cast("timestamp"))
    return ctx.in_period(d, "day_ts")


def _per_post(ctx: Ctx, need: str) -> ir.Table:
    """Posts whose ``need`` column is filled (a blank input means the metric does not apply to that post)."""
    t = _posts(ctx)
    return t.filter(t[need].notnull())


# -- per post ---------------------------------------------------------------------------------------------------
@impl("open_rate")
def open_rate(ctx: Ctx) -> ir.Table:
    t = _per_post(ctx, "delivered")
    return t.select(*KEYS, breakdown=t.post_id, value=ratio(t.read_users, t.delivered))


@impl("share_rate")
def share_rate(ctx: Ctx) -> ir.Table:
    t = _per_post(ctx, "share_users")
    return t.select(*KEYS, breakdown=t.post_id, value=ratio(t.share_users, t.read_users))


@impl("favorite_rate")
def favorite_rate(ctx: Ctx) -> ir.Table:
    t = _per_post(ctx, "favorite_users")
    return t.select(*KEYS, breakdown=t.post_id, value=ratio(t.favorite_users, t.read_users))


@impl("secondary_share")
def secondary_share(ctx: Ctx) -> ir.Table:
    t = _per_post(ctx, "reads_from_share")
    return t.select(*KEYS, breakdown=t.post_id, value=ratio(t.reads_from_share, t.read_users))


@impl("completion_rate")
def completion_rate(ctx: Ctx) -> ir.Table:
    t = _per_post(ctx, "completion_rate")
    return t.select(*KEYS, breakdown=t.post_id, value=t.completion_rate.cast("float64"))


@impl("product_ctr")
def product_ctr(ctx: Ctx) -> ir.Table:
    t = _per_post(ctx, "product_impressions")
    return t.select(*KEYS, breakdown=t.post_id, value=ratio(t.product_clicks.fill_null(0), t.product_impressions))


# -- per account and period ---------------------------------------------------------------------------------------
@impl("posts")
def posts(ctx: Ctx) -> ir.Table:
    t = _posts(ctx)
    per = t.group_by([*KEYS, t.kind.name("breakdown")]).aggregate(value=t.count())
    tot = t.group_by(KEYS).aggregate(value=t.count())
    return per.union(tot.select(*KEYS, breakdown=ibis.literal(TOTAL), value=tot.value))


@impl("original_rate")
def original_rate(ctx: Ctx) -> ir.Table:
    t = _posts(ctx)
    g = t.group_by(KEYS).aggregate(n=t.count(), o=t.is_original.fill_null(False).cast("int64").sum())
    return g.select(*KEYS, value=ratio(g.o, g.n))


@impl("category_share")
def category_share(ctx: Ctx) -> ir.Table:
    t = _posts(ctx)
    t = t.mutate(breakdown=ibis.ifelse(t.category.isnull() | (t.category.strip() == ""), "unknown", t.category))
    per = t.group_by([*KEYS, "breakdown"]).aggregate(n=t.count())
    tot = per.group_by(KEYS).aggregate(total=per.n.sum())
    j = per.join(tot, KEYS)
    return j.select(*KEYS, "breakdown", value=ratio(j.n, j.total))


@impl("net_new_followers")
def net_new_followers(ctx: Ctx) -> ir.Table:
    d = _daily(ctx)
    totals = d.filter(d.source.isnull() | (d.source.strip() == ""))
    by_src = d.filter(d.source.notnull() & (d.source.strip() != ""))
    has_total = totals.select(t_acc="account_id", t_day="day").distinct()
    by_src = by_src.anti_join(has_total, [by_src.account_id == has_total.t_acc, by_src.day == has_total.t_day])
    u = totals.select(*KEYS, "new_followers", "unfollows").union(by_src.select(*KEYS, "new_followers", "unfollows"), distinct=False)
    return u.group_by(KEYS).aggregate(value=u.new_followers.sum() - u.unfollows.sum())


@impl("follower_source_share")
def follower_source_share(ctx: Ctx) -> ir.Table:
    d = _daily(ctx)
    d = d.filter(d.source.notnull() & (d.source.strip() != ""))
    per = d.group_by([*KEYS, d.source.name("breakdown")]).aggregate(n=d.new_followers.sum())
    tot = per.group_by(KEYS).aggregate(total=per.n.sum())
    j = per.join(tot, KEYS)
    return j.select(*KEYS, "breakdown", value=ratio(j.n, j.total))


@impl("open_rate_median")
def open_rate_median(ctx: Ctx) -> ir.Table:
    t = _posts(ctx)
    t = t.filter(t.delivered.notnull() & (t.delivered > 0))
    t = t.mutate(r=t.read_users.cast("float64") / t.delivered.cast("float64"))
    return t.group_by(KEYS).aggregate(value=t.r.median())


def quota_weeks(periods: list[Period], as_of: datetime | None) -> pd.DataFrame:
    """ISO weeks counted for each period: Thursday in the period, Monday not after ``as_of``."""
    rows: list[tuple[str, datetime, datetime]] = []
    for p in periods:
        start = p.start.replace(hour=0, minute=0, second=0, microsecond=0)
        if start < p.start:
            start += timedelta(days=1)
        thu = start + timedelta(days=(3 - start.weekday()) % 7)
        while thu < p.end:
            monday = thu - timedelta(days=3)
            if as_of is None or monday <= as_of:
                rows.append((p.label, monday, monday + timedelta(days=7)))
            thu += timedelta(days=7)
    df = pd.DataFrame(rows, columns=["period", "w_start", "w_end"])
    df["w_start"] = pd.to_datetime(df["w_start"]).astype("datetime64[us]")
    df["w_end"] = pd.to_datetime(df["w_end"]).astype("datetime64[us]")
    return df


def _points(count: ir.IntegerValue, quota: int) -> ir.FloatingValue:
    """Tiered points: meet → 8, +1 per extra (max 10); short → ⌊8 × count / quota⌋."""
    met = ibis.least(ibis.literal(10), count + (8 - quota)).cast("float64")
    short = (count.cast("float64") * 8.0 / float(quota)).floor().cast("float64")
    return ibis.ifelse(count >= quota, met, short)


@impl("quota_points")
def quota_points(ctx: Ctx) -> ir.Table:
    ms = getattr(ctx.settings, "metrics", None)
    qa = int(getattr(ms, "weekly_article_quota", ARTICLE_QUOTA) or ARTICLE_QUOTA)
    qv = int(getattr(ms, "weekly_video_quota", VIDEO_QUOTA) or VIDEO_QUOTA)
    weeks = ibis.memtable(quota_weeks(ctx.periods, ctx.as_of))
    p = _accounts_filter(ctx, ctx.table("posts"))
    kinds = p.group_by("account_id").aggregate(
        has_a=(p.kind == "article").cast("int64").max(), has_v=(p.kind == "video").cast("int64").max()
    )
    grid = kinds.cross_join(weeks)
    pp = p.select(c_acc="account_id", c_kind="kind", c_at="published_at")
    cnt = grid.left_join(pp, [grid.account_id == pp.c_acc, pp.c_at >= grid.w_start, pp.c_at < grid.w_end])
    wk = cnt.group_by(["account_id", "period", "w_start", "has_a", "has_v"]).aggregate(
        a=(cnt.c_kind == "article").cast("int64").fill_null(0).sum(),
        v=(cnt.c_kind == "video").cast("int64").fill_null(0).sum(),
    )
    pts = ibis.ifelse(wk.has_a == 1, _points(wk.a, qa), 0.0) + ibis.ifelse(wk.has_v == 1, _points(wk.v, qv), 0.0)
    wk = wk.mutate(w=ratio(pts, wk.has_a + wk.has_v))
    g = wk.group_by(["account_id", "period"]).aggregate(value=wk.w.mean())
    return g.select(community_id=g.account_id, period=g.period, value=g.value)
