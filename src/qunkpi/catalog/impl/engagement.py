"""Engagement (活跃与参与度), SPEC §3 and the message classes of §4.

Conventions used throughout (docs/members.md explains them to users):

- *member messages* are countable messages (not recalled, not system) whose sender is not staff in that
  community; a sender with no membership row still counts as a member here (SPEC §3).
- *effective* = the stored label's ``is_effective`` (question, answer, checkin, share, chat, vote); *UGC* =
  ``is_ugc`` (question, answer, checkin, share). A message without a stored label counts as neither.
- the *length* of a message is the classifier's ``chars`` (characters of substance) where stored, else the
  length of its text, else 0.
- a *day* is a local calendar day (timestamps are stored as workspace wall-clock time).

``member_activity`` and ``member_score_table`` are shared with :mod:`qunkpi.members`, so that the member lists
and the community aggregates (``koc_count``, ``high_value_share``) can never disagree.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from qunkpi.catalog.impl import impl
from qunkpi.engine.context import Ctx, ratio
from qunkpi.errors import ConfigError
from qunkpi.i18n import tr

KEYS = ["community_id", "period"]
KOC_MIN_SCORE = 80.0
KOC_MIN_DAYS = 4
HIGH_VALUE_MIN_SCORE = 80.0
COCREATION_MIN_CHARS = 20
COCREATION_TYPES = ("link", "file", "video")
BURST_WINDOW_MIN = 60
BURST_MIN_MESSAGES = 5
BURST_MIN_MEMBERS = 3


# -- shared blocks ------------------------------------------------------------------------------------------
def grid(ctx: Ctx) -> ir.Table:
    """Every community × period: the left side of ratios, so that empty numerators give 0 and empty
    denominators give null (never a missing row that could be mistaken for either)."""
    return ctx.community_ids.cross_join(ctx.periods_t).select("community_id", "period", "p_start", "p_end", "p_days")


def _attach(base: ir.Table, part: ir.Table, name: str) -> ir.Table:
    """Left-join ``part`` (community_id, period, value) onto ``base`` as column ``name`` (missing → 0)."""
    p = part.select("community_id", "period", **{f"__{name}": part.value})
    j = base.left_join(p, KEYS)
    j = j.drop(*[c for c in j.columns if c.endswith("_right")])
    return j.mutate(**{name: j[f"__{name}"].fill_null(0)}).drop(f"__{name}")


def _count(t: ir.Table) -> ir.Table:
    return t.group_by(KEYS).aggregate(value=t.count())


def msg_length(t: ir.Table) -> ir.IntegerValue:
    """Characters of a message: the classifier's ``chars`` where stored, else the text length, else 0."""
    text_len = t.text.length()
    if "chars" in t.columns:
        return t.chars.cast("int64").coalesce(text_len.cast("int64"), ibis.literal(0, "int64"))
    return text_len.cast("int64").fill_null(0)


def effective_member_messages(ctx: Ctx) -> ir.Table:
    m = ctx.member_messages
    return m.filter(m.is_effective.fill_null(False))


def member_messages_in_period(ctx: Ctx) -> ir.Table:
    return ctx.in_period(ctx.member_messages, "sent_at")


def present_at_end(ctx: Ctx) -> ir.Table:
    """Distinct non-staff people present at each period's end (``members_end``'s population)."""
    s, p = ctx.spells, ctx.periods_t
    j = s.join(p, [s.joined_at <= p.p_end, s.left > p.p_end])
    return j.select("community_id", "period", "member_id").distinct()


def present_any(ctx: Ctx) -> ir.Table:
    """Distinct non-staff people present at any instant of [P.start, P.end): joined_at < end and left > start."""
    s, p = ctx.spells, ctx.periods_t
    j = s.join(p, [s.joined_at < p.p_end, s.left > p.p_start])
    return j.select("community_id", "period", "member_id").distinct()


def score_weights(ctx: Ctx) -> tuple[float, float, float]:
    w = getattr(getattr(ctx.settings, "metrics", None), "member_score_weights", None) or (1.0, 1.0, 1.0)
    weights = tuple(float(x) for x in w)
    if len(weights) != 3 or any(x < 0 for x in weights) or sum(weights) <= 0:
        raise ConfigError(
            tr(
                f"metrics.member_score_weights 应为三个非负数且和大于 0（互动次数、互动天数、文字量），当前为 {list(w)}",
                f"metrics.member_score_weights must be three non-negative numbers with a positive sum "
                f"(interactions, active days, text volume); got {list(w)}",
            )
        )
    return weights  # type: ignore[return-value]


def member_activity(ctx: Ctx) -> ir.Table:
    """Per community × period × member with ≥ 1 effective message in P: the three member-score inputs.

    ``effective_messages``, ``active_days`` (distinct local days with an effective message), ``chars``
    (characters of effective text), ``answers_shares`` (effective messages of class answer or share),
    ``last_effective_at``.
    """
    e = ctx.in_period(effective_member_messages(ctx), "sent_at")
    e = e.mutate(__len=msg_length(e), __day=e.sent_at.date(), __as=e.cls.isin(["answer", "share"]).fill_null(False))
    return e.group_by(["community_id", "period", e.sender_id.name("member_id")]).aggregate(
        effective_messages=e.count(),
        active_days=e["__day"].nunique(),
        chars=e["__len"].sum(),
        answers_shares=e["__as"].cast("int64").sum(),
        last_effective_at=e.sent_at.max(),
    )


def member_score_table(ctx: Ctx) -> ir.Table:
    """``member_activity`` plus the three percentile ranks and ``member_score`` (0–100).

    Percentile rank = ``cume_dist`` within the community and period among the members ranked (those with ≥ 1
    effective message): the share of them whose value is ≤ this member's (ties share the highest rank; the
    top member gets 1). Score = weighted mean of the three ranks × 100, rounded to 6 decimals so that a
    threshold such as 80 is not missed by floating-point noise. Members with no effective message in P are
    not ranked; their score is 0 by definition.
    """
    a = member_activity(ctx)
    w1, w2, w3 = score_weights(ctx)

    def cd(col: str) -> ir.FloatingValue:
        return a[col].cume_dist().over(ibis.window(group_by=KEYS, order_by=a[col]))

    a = a.mutate(pr_messages=cd("effective_messages"), pr_days=cd("active_days"), pr_chars=cd("chars"))
    total = w1 + w2 + w3
    score = (a.pr_messages * w1 + a.pr_days * w2 + a.pr_chars * w3) / total * 100.0
    a = a.mutate(member_score=score.round(6))
    return a.mutate(
        is_koc=(a.member_score >= KOC_MIN_SCORE) & (a.active_days >= KOC_MIN_DAYS) & (a.answers_shares >= 1)
    )


def kocs(ctx: Ctx) -> ir.Table:
    s = member_score_table(ctx)
    return s.filter(s.is_koc)


# -- engagement metrics --------------------------------------------------------------------------------------
@impl("active_members")
def active_members(ctx: Ctx) -> ir.Table:
    t = member_messages_in_period(ctx)
    return t.group_by(KEYS).aggregate(value=t.sender_id.nunique())


@impl("engaged_members")
def engaged_members(ctx: Ctx) -> ir.Table:
    t = ctx.in_period(effective_member_messages(ctx), "sent_at")
    return t.group_by(KEYS).aggregate(value=t.sender_id.nunique())


@impl("engaged_rate")
def engaged_rate(ctx: Ctx) -> ir.Table:
    """engaged_members / members present at any time in P (distinct people with a non-staff spell)."""
    g = _attach(grid(ctx), engaged_members(ctx), "eng")
    pa = present_any(ctx)
    g = _attach(g, pa.group_by(KEYS).aggregate(value=pa.member_id.count()), "den")
    return g.select(*KEYS, value=ratio(g.eng, g.den))


@impl("effective_message_share")
def effective_message_share(ctx: Ctx) -> ir.Table:
    """Effective member messages / all countable messages (staff included)."""
    allm = ctx.in_period(ctx.messages, "sent_at")
    eff = ctx.in_period(effective_member_messages(ctx), "sent_at")
    g = _attach(_attach(grid(ctx), _count(eff), "num"), _count(allm), "den")
    return g.select(*KEYS, value=ratio(g.num, g.den))


def _ugc(ctx: Ctx) -> ir.Table:
    m = member_messages_in_period(ctx)
    return m.filter(m.is_ugc.fill_null(False))


@impl("ugc_count")
def ugc_count(ctx: Ctx) -> ir.Table:
    return _count(_ugc(ctx))


@impl("cocreation_share")
def cocreation_share(ctx: Ctx) -> ir.Table:
    """UGC / (UGC + staff messages of ≥ 20 characters or of type link/file/video)."""
    s = ctx.in_period(ctx.messages, "sent_at")
    s = s.filter(s.is_staff_person)
    s = s.filter((msg_length(s) >= COCREATION_MIN_CHARS) | s.msg_type.isin(list(COCREATION_TYPES)))
    g = _attach(_attach(grid(ctx), _count(_ugc(ctx)), "ugc"), _count(s), "staff")
    return g.select(*KEYS, value=ratio(g.ugc, g.ugc + g.staff))


def _per_member_day(ctx: Ctx, scale: float) -> ir.Table:
    g = _attach(grid(ctx), _count(member_messages_in_period(ctx)), "msgs")
    pe = present_at_end(ctx)
    g = _attach(g, pe.group_by(KEYS).aggregate(value=pe.member_id.count()), "members")
    return g.select(*KEYS, value=ratio(g.msgs * scale, g.members * g.p_days))


@impl("messages_per_member_day")
def messages_per_member_day(ctx: Ctx) -> ir.Table:
    return _per_member_day(ctx, 1.0)


@impl("messages_per_100_day")
def messages_per_100_day(ctx: Ctx) -> ir.Table:
    return _per_member_day(ctx, 100.0)


@impl("kol_message_share")
def kol_message_share(ctx: Ctx) -> ir.Table:
    """Messages by people with role kol in any spell of that community / member messages."""
    mem = ctx.t("members")
    kol = mem.filter(mem.role == "kol").select(k_comm=mem.community_id, k_id=mem.member_id).distinct()
    m = member_messages_in_period(ctx)
    km = m.semi_join(kol, [m.community_id == kol.k_comm, m.sender_id == kol.k_id])
    g = _attach(_attach(grid(ctx), _count(km), "kol"), _count(m), "all")
    return g.select(*KEYS, value=ratio(g.kol, g["all"]))


def _activity_counts(ctx: Ctx) -> ir.Table:
    """Activities starting in P with their distinct non-staff participants (any participation time)."""
    a = ctx.in_period(ctx.t("activities"), "start_at")
    ap = ctx.backend.table("activity_participants")
    ac = ctx.t("activities").select("activity_id", "community_id")
    apc = ap.join(ac, "activity_id")
    apc = ctx.non_staff(apc, "member_id")
    parts = apc.group_by("activity_id").aggregate(participants=apc.member_id.nunique())
    j = a.left_join(parts, "activity_id")
    j = j.drop(*[c for c in j.columns if c.endswith("_right")])
    return j.mutate(participants=j.participants.fill_null(0))


@impl("activity_participation_rate")
def activity_participation_rate(ctx: Ctx) -> ir.Table:
    a = _activity_counts(ctx)
    g = a.group_by(KEYS).aggregate(p=a.participants.sum(), n=a.notified_count.sum())
    return g.select(*KEYS, value=ratio(g.p, g.n))


@impl("activity_participation_rate_by_activity")
def activity_participation_rate_by_activity(ctx: Ctx) -> ir.Table:
    a = _activity_counts(ctx)
    return a.select(*KEYS, breakdown=a.activity_id, value=ratio(a.participants, a.notified_count))


# -- topic bursts -----------------------------------------------------------------------------------------------
def burst_candidates(ctx: Ctx) -> ir.Table:
    """Every countable message (staff or member) followed within 60 minutes by ≥ 5 effective member
    messages from ≥ 3 distinct members: (community_id, message_id, sent_at, followers, members).

    "Followed" = later in the order (sent_at, message_id) and sent_at ≤ trigger + 60 min. The band join is
    made an equi-join on (community, hour bucket): a follower lies in the trigger's bucket or the next one.
    """
    end = max(p.end for p in ctx.periods)
    m = ctx.messages
    m = m.filter(m.sent_at < ibis.literal(end))
    hour = 3600
    m = m.select("community_id", "message_id", "sent_at", b=(m.sent_at.epoch_seconds() // hour).cast("int64"))
    trig = m.union(m.mutate(b=m.b + 1))
    e = effective_member_messages(ctx)
    e = e.filter(e.sent_at < ibis.literal(end) + ibis.interval(minutes=BURST_WINDOW_MIN))
    e = e.select(
        e_comm=e.community_id, e_id=e.message_id, e_at=e.sent_at, e_sender=e.sender_id,
        e_b=(e.sent_at.epoch_seconds() // hour).cast("int64"),
    )
    j = trig.join(e, [trig.community_id == e.e_comm, trig.b == e.e_b])
    j = j.filter(
        (j.e_at <= j.sent_at + ibis.interval(minutes=BURST_WINDOW_MIN))
        & ((j.e_at > j.sent_at) | ((j.e_at == j.sent_at) & (j.e_id > j.message_id)))
    )
    g = j.group_by(["community_id", "message_id", "sent_at"]).aggregate(
        followers=j.e_id.nunique(), members=j.e_sender.nunique()
    )
    return g.filter((g.followers >= BURST_MIN_MESSAGES) & (g.members >= BURST_MIN_MEMBERS))


def burst_starts(candidates: pd.DataFrame) -> pd.DataFrame:
    """Non-overlapping bursts from the candidate triggers, per community, earliest first.

    A burst started at t occupies [t, t + 60 min]; the next burst is the first candidate after that window
    closes. This greedy rule is sequential by nature (whether a candidate starts a burst depends on the
    burst before it), which SQL windows cannot express without recursion, so it runs here: one jump
    (``searchsorted``) per burst, not one step per message.
    """
    rows: list[tuple[Any, Any]] = []
    window = np.timedelta64(BURST_WINDOW_MIN, "m")
    if candidates.empty:
        return pd.DataFrame({"community_id": pd.Series(dtype="string"), "sent_at": pd.Series(dtype="datetime64[us]")})
    df = candidates.sort_values(["community_id", "sent_at", "message_id"], kind="stable")
    for comm, grp in df.groupby("community_id", sort=True):
        times = grp["sent_at"].to_numpy(dtype="datetime64[us]")
        i = 0
        while i < len(times):
            rows.append((comm, times[i]))
            i = int(np.searchsorted(times, times[i] + window, side="right"))
    return pd.DataFrame(rows, columns=["community_id", "sent_at"])


@impl("topic_bursts")
def topic_bursts(ctx: Ctx) -> ir.Table:
    """Bursts are found on each community's whole timeline (up to the last period's end) and counted in the
    period of their trigger message, so a month equals the sum of its days."""
    cand = ctx.backend.execute(burst_candidates(ctx))
    starts = burst_starts(cand)
    out: list[dict[str, Any]] = []
    for p in ctx.periods:
        s, e = np.datetime64(p.start, "us"), np.datetime64(p.end, "us")
        sel = starts[(starts.sent_at >= s) & (starts.sent_at < e)]
        for comm, n in sel.groupby("community_id").size().items():
            out.append({"community_id": str(comm), "period": p.label, "value": int(n)})
    df = pd.DataFrame(out, columns=["community_id", "period", "value"]).astype({"value": "int64"})
    return ibis.memtable(df, schema={"community_id": "string", "period": "string", "value": "int64"})


# -- member-score aggregates ---------------------------------------------------------------------------------------
@impl("koc_count")
def koc_count(ctx: Ctx) -> ir.Table:
    k = kocs(ctx)
    return k.group_by(KEYS).aggregate(value=k.member_id.count())


@impl("koc_referral_share")
def koc_referral_share(ctx: Ctx) -> ir.Table:
    """Joins in P whose inviter is a KOC of that community in the same period / joins in P."""
    j = ctx.in_period(ctx.spells, "joined_at")
    k = kocs(ctx).select(k_comm="community_id", k_period="period", k_id="member_id")
    inv = j.semi_join(k, [j.community_id == k.k_comm, j.period == k.k_period, j.inviter_id == k.k_id])
    g = _attach(_attach(grid(ctx), _count(inv), "num"), _count(j), "den")
    return g.select(*KEYS, value=ratio(g.num, g.den))


@impl("negative_share")
def negative_share(ctx: Ctx) -> ir.Table:
    """Negative effective member messages / effective member messages (a negative filler or spam message is
    outside the denominator, so it is left out of the numerator too: the share stays within [0, 1])."""
    e = ctx.in_period(effective_member_messages(ctx), "sent_at")
    neg = e.filter(e.sentiment == "negative")
    g = _attach(_attach(grid(ctx), _count(neg), "num"), _count(e), "den")
    return g.select(*KEYS, value=ratio(g.num, g.den))


@impl("staff_message_share")
def staff_message_share(ctx: Ctx) -> ir.Table:
    m = ctx.in_period(ctx.messages, "sent_at")
    g = _attach(_attach(grid(ctx), _count(m.filter(m.is_staff_person)), "num"), _count(m), "den")
    return g.select(*KEYS, value=ratio(g.num, g.den))


@impl("high_value_share")
def high_value_share(ctx: Ctx) -> ir.Table:
    """Members present at P.end whose member_score in P is ≥ 80 / members present at P.end."""
    pe = present_at_end(ctx)
    s = member_score_table(ctx)
    s = s.filter(s.member_score >= HIGH_VALUE_MIN_SCORE).select(s_comm="community_id", s_period="period", s_id="member_id")
    hv = pe.semi_join(s, [pe.community_id == s.s_comm, pe.period == s.s_period, pe.member_id == s.s_id])
    num = hv.group_by(KEYS).aggregate(value=hv.member_id.count())
    den = pe.group_by(KEYS).aggregate(value=pe.member_id.count())
    g = _attach(_attach(grid(ctx), num, "num"), den, "den")
    return g.select(*KEYS, value=ratio(g.num, g.den))

