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

import itertools
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
def burst_stream(ctx: Ctx) -> ir.Table:
    """Every countable message up to the last period's end (+ 60 min for followers), in timeline order
    (community, sent_at, message_id), with ``eff`` = effective member message. The one query of topic_bursts."""
    end = ibis.literal(max(p.end for p in ctx.periods)) + ibis.interval(minutes=BURST_WINDOW_MIN)
    m = ctx.messages
    m = m.filter(m.sent_at <= end)
    eff = ~m.is_staff_person & m.is_effective.fill_null(False)
    m = m.select("community_id", "message_id", "sent_at", "sender_id", eff=eff)
    return m.order_by(["community_id", "sent_at", "message_id"])


def burst_triggers(times: np.ndarray, eff: np.ndarray, sender: np.ndarray) -> np.ndarray:
    """For one community's ordered stream: which messages are followed within 60 min (≤) by ≥ 5 effective
    member messages from ≥ 3 distinct members ("followed" = later in the stream order). Vectorised, exact.

    ``times``: int64 nanoseconds (non-decreasing); ``eff``: bool; ``sender``: int codes. Followers of message i
    are the effective messages at stream positions > i with time ≤ times[i] + 60 min: index range [f, r] of the
    effective sub-stream. Their count is r − f + 1. Distinct senders ≥ 3 is decided on *runs* (maximal blocks of
    one sender) of the effective sub-stream: the second sender starts the run after f's run (r1 + 1); while runs
    only alternate between those two senders, run k repeats the sender of run k − 2, so the third sender's first
    message starts the first run k > r1 + 1 whose sender differs from run k − 2's. That run is found for every
    i at once with a reverse running minimum.
    """
    n = len(times)
    out = np.zeros(n, dtype=bool)
    pos = np.flatnonzero(eff)
    if len(pos) < BURST_MIN_MESSAGES:
        return out
    te, se = times[pos], sender[pos]
    window = np.int64(BURST_WINDOW_MIN * 60 * 1_000_000_000)
    f = np.searchsorted(pos, np.arange(n), side="right")  # first follower (index into the effective stream)
    r = np.searchsorted(te, times + window, side="right") - 1  # last follower within the window
    count = r - f + 1
    new_run = np.r_[True, se[1:] != se[:-1]]
    run_id = np.cumsum(new_run) - 1
    run_start = np.flatnonzero(new_run)
    nr = len(run_start)
    run_sender = se[run_start]
    alternates = np.zeros(nr, dtype=bool)
    alternates[2:] = run_sender[2:] == run_sender[:-2]
    ks = np.where(alternates, nr, np.arange(nr))
    next_new = np.minimum.accumulate(ks[::-1])[::-1]  # first k' ≥ k that brings a sender new to its two neighbours
    m = len(pos)
    r1 = run_id[np.minimum(f, m - 1)]
    k3 = np.where(r1 + 2 < nr, next_new[np.minimum(r1 + 2, nr - 1)], nr)
    third = np.where(k3 < nr, run_start[np.minimum(k3, nr - 1)], m)  # first message of the third sender
    out = (count >= BURST_MIN_MESSAGES) & (f < m) & (third <= r)
    return out


def burst_candidates(stream: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``burst_stream`` that qualify as burst triggers (before non-overlap is applied)."""
    if stream.empty:
        return stream.assign(sent_at=pd.Series(dtype="datetime64[us]"))[["community_id", "message_id", "sent_at"]]
    times = stream["sent_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    eff = stream["eff"].to_numpy(dtype=bool)
    codes = pd.factorize(stream["sender_id"])[0].astype(np.int64)
    comm = stream["community_id"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, comm[1:] != comm[:-1], True])
    mask = np.zeros(len(stream), dtype=bool)
    for a, b in itertools.pairwise(bounds):
        mask[a:b] = burst_triggers(times[a:b], eff[a:b], codes[a:b])
    return stream.loc[mask, ["community_id", "message_id", "sent_at"]].reset_index(drop=True)


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
    df = candidates.sort_values(["community_id", "sent_at"], kind="stable")
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
    starts = burst_starts(burst_candidates(ctx.backend.execute(burst_stream(ctx))))
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

