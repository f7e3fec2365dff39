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
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
BURST_LEAD = timedelta(days=1)  # topic_bursts reads the messages from this long before its first period
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
    """Characters of a message: the classifier's ``chars`` where stored, else the text length, else 0.

    ``Ctx.messages`` carries it precomputed as ``msg_len``; other tables compute it here."""
    if "msg_len" in t.columns:
        return t.msg_len
    text_len = t.text.length()
    if "chars" in t.columns:
        return t.chars.cast("int64").coalesce(text_len.cast("int64"), ibis.literal(0, "int64"))
    return text_len.cast("int64").fill_null(0)


def present_at_end(ctx: Ctx) -> ir.Table:
    """Distinct non-staff people present at each period's end (``members_end``'s population). Shared block."""

    def build() -> ir.Table:
        s, p = ctx.spells, ctx.periods_t
        j = s.join(p, [s.joined_at <= p.p_end, s.left > p.p_end])
        return j.select("community_id", "period", "member_id").distinct()

    return ctx.shared("present_at_end", build)


def present_any(ctx: Ctx) -> ir.Table:
    """Distinct non-staff people present at any instant of [P.start, P.end): joined_at < end and left > start.
    Shared block."""

    def build() -> ir.Table:
        s, p = ctx.spells, ctx.periods_t
        j = s.join(p, [s.joined_at < p.p_end, s.left > p.p_start])
        return j.select("community_id", "period", "member_id").distinct()

    return ctx.shared("present_any", build)


def sender_periods(ctx: Ctx) -> ir.Table:
    """One pass over the countable messages in each period, per community × period × sender (with
    ``is_staff_person``, a property of the sender in that community): the counts every message-volume metric
    and the member scores are built from. Shared block.

    ``n`` messages, ``n_cocreation`` of them ≥ 20 characters or of type link/file/video; with stored labels also
    ``n_effective`` effective messages, ``n_negative`` effective and negative, ``n_ugc`` UGC messages. (The
    member-score inputs are a separate pass over the effective member messages alone, ``member_activity``:
    two narrow aggregations cost less than one that carries a distinct count for every sender.)
    """

    def build() -> ir.Table:
        m = ctx.in_period(ctx.messages, "sent_at")
        cocreation = (msg_length(m) >= COCREATION_MIN_CHARS) | m.msg_type.isin(list(COCREATION_TYPES))
        aggs: dict[str, Any] = {"n": m.count(), "n_cocreation": _n(cocreation)}
        if "is_effective" in m.columns:
            eff = m.is_effective.fill_null(False)
            aggs |= {
                "n_effective": _n(eff),
                "n_negative": _n(eff & (m.sentiment == "negative")),
                "n_ugc": _n(m.is_ugc),
            }
        return m.group_by([*KEYS, "sender_id", "is_staff_person"]).aggregate(**aggs)

    return ctx.shared("sender_periods", build)


def message_counts(ctx: Ctx) -> ir.Table:
    """Per community × period with a countable message (``sender_periods`` rolled up). Shared block.

    ``n_all`` every countable message, ``n_staff`` by staff, ``n_member`` by members, ``senders`` distinct
    member senders, ``n_staff_cocreation`` staff messages of ≥ 20 characters or of type link/file/video; with
    stored labels also ``n_effective`` effective member messages, ``effective_senders`` their distinct senders,
    ``n_negative`` those of them with negative sentiment, ``n_ugc`` member UGC messages.
    """

    def build() -> ir.Table:
        sp = sender_periods(ctx)
        staff, member = sp.is_staff_person, ~sp.is_staff_person
        zero = ibis.literal(0, "int64")

        def of(cond: ir.BooleanValue, col: str) -> ir.IntegerValue:
            return ibis.ifelse(cond, sp[col], zero).sum()

        person = member & sp.sender_id.notnull()  # one row per member sender (a null sender is nobody)
        aggs: dict[str, Any] = {
            "n_all": sp.n.sum(),
            "n_staff": of(staff, "n"),
            "n_member": of(member, "n"),
            "senders": _n(person),
            "n_staff_cocreation": of(staff, "n_cocreation"),
        }
        if "n_effective" in sp.columns:
            aggs |= {
                "n_effective": of(member, "n_effective"),
                "effective_senders": _n(person & (sp.n_effective > 0)),
                "n_negative": of(member, "n_negative"),
                "n_ugc": of(member, "n_ugc"),
            }
        return sp.group_by(KEYS).aggregate(**aggs)

    return ctx.shared("message_counts", build)


def _n(cond: ir.BooleanValue) -> ir.IntegerValue:
    """How many rows meet ``cond`` (null counts as not met)."""
    return cond.fill_null(False).cast("int64").sum()


def _counted(ctx: Ctx, col: str, rows_where: str | None = None) -> ir.Table:
    """``message_counts``' column ``col`` as (community_id, period, value), keeping only the rows where
    ``rows_where`` > 0: exactly the groups a count over those messages alone would have produced."""
    c = message_counts(ctx)
    if rows_where is not None:
        c = c.filter(c[rows_where] > 0)
    return c.select(*KEYS, value=c[col])


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
    m = ctx.member_messages
    e = ctx.in_period(m.filter(m.is_effective.fill_null(False)), "sent_at")
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
    w1, w2, w3 = score_weights(ctx)
    return ctx.shared(f"member_score_table:{w1!r}:{w2!r}:{w3!r}", lambda: _member_scores(ctx, w1, w2, w3))


def _member_scores(ctx: Ctx, w1: float, w2: float, w3: float) -> ir.Table:
    a = member_activity(ctx)

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
    """Distinct member senders of countable messages in P."""
    return _counted(ctx, "senders", "n_member")


@impl("engaged_members")
def engaged_members(ctx: Ctx) -> ir.Table:
    """Distinct member senders of effective messages in P."""
    return _counted(ctx, "effective_senders", "n_effective")


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
    g = _attach(_attach(grid(ctx), _counted(ctx, "n_effective"), "num"), _counted(ctx, "n_all"), "den")
    return g.select(*KEYS, value=ratio(g.num, g.den))


@impl("ugc_count")
def ugc_count(ctx: Ctx) -> ir.Table:
    return _counted(ctx, "n_ugc", "n_ugc")


@impl("cocreation_share")
def cocreation_share(ctx: Ctx) -> ir.Table:
    """UGC / (UGC + staff messages of ≥ 20 characters or of type link/file/video)."""
    g = _attach(_attach(grid(ctx), _counted(ctx, "n_ugc"), "ugc"), _counted(ctx, "n_staff_cocreation"), "staff")
    return g.select(*KEYS, value=ratio(g.ugc, g.ugc + g.staff))


def _per_member_day(ctx: Ctx, scale: float) -> ir.Table:
    g = _attach(grid(ctx), _counted(ctx, "n_member"), "msgs")
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
    sp = sender_periods(ctx)
    sp = sp.filter(~sp.is_staff_person)
    km = sp.semi_join(kol, [sp.community_id == kol.k_comm, sp.sender_id == kol.k_id])
    km = km.group_by(KEYS).aggregate(value=km.n.sum())
    g = _attach(_attach(grid(ctx), km, "kol"), _counted(ctx, "n_member"), "all")
    return g.select(*KEYS, value=ratio(g.kol, g["all"]))


def _activity_counts(ctx: Ctx) -> ir.Table:
    """Activities starting in P with their distinct non-staff participants (any participation time)."""
    a = ctx.in_period(ctx.t("activities"), "start_at")
    ap = ctx.table("activity_participants")
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
def burst_stream(ctx: Ctx, ordered: bool = True, start: datetime | None = None) -> ir.Table:
    """Every countable message up to the last period's end (+ 60 min for followers), with ``eff`` = effective
    member message: the one query of topic_bursts. ``ordered``: in timeline order (community, sent_at,
    message_id); topic_bursts itself fetches it unordered and orders it in numpy (``_timeline_order``), which
    is several times cheaper than the engine sorting 4 million rows on string keys. ``start``: only the
    messages from then on (else every message the run reads)."""
    end = ibis.literal(max(p.end for p in ctx.periods)) + ibis.interval(minutes=BURST_WINDOW_MIN)
    m = ctx.messages
    m = m.filter(m.sent_at <= end)
    if start is not None:
        m = m.filter(m.sent_at >= ibis.literal(start))
    eff = ~m.is_staff_person & m.is_effective.fill_null(False)
    m = m.select("community_id", "message_id", "sent_at", "sender_id", eff=eff)
    return m.order_by(["community_id", "sent_at", "message_id"]) if ordered else m


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


def _segments(codes: np.ndarray) -> list[tuple[int, int]]:
    """[a, b) index ranges of the runs of equal values in ``codes`` (one per community of an ordered stream)."""
    bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True]) if len(codes) else np.array([0])
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def _trigger_mask(comm: np.ndarray, times: np.ndarray, eff: np.ndarray, sender: np.ndarray) -> np.ndarray:
    """``burst_triggers`` over an ordered stream of many communities (``comm``: one code per community)."""
    mask = np.zeros(len(times), dtype=bool)
    for a, b in _segments(comm):
        mask[a:b] = burst_triggers(times[a:b], eff[a:b], sender[a:b])
    return mask


def burst_candidates(stream: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``burst_stream`` that qualify as burst triggers (before non-overlap is applied)."""
    if stream.empty:
        return stream.assign(sent_at=pd.Series(dtype="datetime64[us]"))[["community_id", "message_id", "sent_at"]]
    times = stream["sent_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    eff = stream["eff"].to_numpy(dtype=bool)
    codes = pd.factorize(stream["sender_id"])[0].astype(np.int64)
    comm = pd.factorize(stream["community_id"])[0].astype(np.int64)
    mask = _trigger_mask(comm, times, eff, codes)
    return stream.loc[mask, ["community_id", "message_id", "sent_at"]].reset_index(drop=True)


def _greedy_starts(times: np.ndarray) -> np.ndarray:
    """Indices of the burst starts among one community's candidate times (sorted): the first candidate, then
    the first one after each window [t, t + 60 min] closes."""
    window = np.timedelta64(BURST_WINDOW_MIN, "m").astype(f"timedelta64[{np.datetime_data(times.dtype)[0]}]")
    nxt = np.searchsorted(times, times + window, side="right").tolist()  # where the jump from each candidate lands
    out: list[int] = []
    i, n = 0, len(times)
    while i < n:
        out.append(i)
        i = nxt[i]
    return np.asarray(out, dtype=np.int64)


def burst_starts(candidates: pd.DataFrame) -> pd.DataFrame:
    """Non-overlapping bursts from the candidate triggers, per community, earliest first.

    A burst started at t occupies [t, t + 60 min]; the next burst is the first candidate after that window
    closes. This greedy rule is sequential by nature (whether a candidate starts a burst depends on the
    burst before it), which SQL windows cannot express without recursion, so it runs here: one jump per
    burst (the landing point of every candidate's jump is found at once with ``searchsorted``).
    """
    if candidates.empty:
        return pd.DataFrame({"community_id": pd.Series(dtype="string"), "sent_at": pd.Series(dtype="datetime64[us]")})
    df = candidates.sort_values(["community_id", "sent_at"], kind="stable")
    parts: list[pd.DataFrame] = []
    for comm, grp in df.groupby("community_id", sort=True):
        times = grp["sent_at"].to_numpy(dtype="datetime64[us]")
        idx = _greedy_starts(times)
        parts.append(pd.DataFrame({"community_id": comm, "sent_at": times[idx]}))
    return pd.concat(parts, ignore_index=True)[["community_id", "sent_at"]]


def _codes(col: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Integer codes of a string column (nulls → −1, one code for all of them) and the distinct values."""
    d = col.dictionary_encode().unify_dictionaries()  # chunk by chunk: no copy of the strings
    if d.num_chunks == 0:
        return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    codes = [pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64) for c in d.chunks]
    return np.concatenate(codes), d.chunks[0].dictionary


def _timeline_order(comm: np.ndarray, times: np.ndarray, ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The permutation that puts a stream in timeline order: community, then time, then ``ids`` (byte order,
    as the engines sort strings) among rows of one community at the same instant. Sorting integers first and
    only the tied rows by their ids is exact and far cheaper than a sort on the string keys."""
    order = np.argsort(times, kind="stable")  # timsort: messages are stored nearly in time order already
    if comm.max(initial=0) < np.iinfo(np.int16).max:
        order = order[np.argsort(comm[order].astype(np.int16), kind="stable")]  # radix sort on small codes
    else:
        order = order[np.argsort(comm[order], kind="stable")]
    c, t = comm[order], times[order]
    tie = np.r_[False, (c[1:] == c[:-1]) & (t[1:] == t[:-1])]  # same community and instant as the row before
    if tie.any():
        pos = np.flatnonzero(tie | np.r_[tie[1:], False])  # every row of a group of ties (contiguous runs)
        group = np.cumsum(~tie)[pos]
        tied = order[pos]
        by_id = np.asarray(pc.sort_indices(ids.take(pa.array(tied)))).astype(np.int64)
        rank = np.empty(len(tied), dtype=np.int64)
        rank[by_id] = np.arange(len(tied))
        order[pos] = tied[np.lexsort((rank, group))]
    return order


def _candidates_arrow(tbl: pa.Table) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The burst triggers of a stream given as Arrow columns in any row order (``community_id``, ``message_id``,
    ``sent_at``, ``sender_id``, ``eff``), without Python strings: ids become integer codes, times int64
    nanoseconds. Returns the community names and, per trigger in timeline order, the community's code and the
    time (ns)."""
    comm, comm_names = _codes(tbl.column("community_id"))
    sender, _ = _codes(tbl.column("sender_id"))
    times = np.asarray(tbl.column("sent_at").to_numpy(), dtype="datetime64[ns]").astype(np.int64)
    eff = tbl.column("eff").to_numpy(zero_copy_only=False).astype(bool)
    order = _timeline_order(comm, times, tbl.column("message_id"))
    comm, times, eff, sender = comm[order], times[order], eff[order], sender[order]
    mask = _trigger_mask(comm, times, eff, sender)
    return [str(x) for x in comm_names.to_pylist()], comm[mask], times[mask]


def burst_starts_arrow(tbl: pa.Table) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``burst_starts(burst_candidates(stream))`` for a stream given as Arrow columns in any row order
    (``community_id``, ``message_id``, ``sent_at``, ``sender_id``, ``eff``), without Python strings. Returns the
    community names and, per burst, the community's code and the start time (ns)."""
    names, c_comm, c_times = _candidates_arrow(tbl)
    st_comm, st_times = _starts_of(c_comm, c_times)
    return names, st_comm, st_times


def _starts_of(c_comm: np.ndarray, c_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The burst starts (community code, time) among triggers in timeline order."""
    s_comm: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    s_times: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    for a, b in _segments(c_comm):
        idx = _greedy_starts(c_times[a:b].astype("datetime64[ns]"))
        s_comm.append(c_comm[a:b][idx])
        s_times.append(c_times[a:b][idx])
    return np.concatenate(s_comm), np.concatenate(s_times)


def _synced_from(c_comm: np.ndarray, c_times: np.ndarray, start_ns: int) -> np.ndarray:
    """Per trigger (timeline order) of a stream that begins at ``start_ns``: the time from which its community's
    bursts are those of the whole timeline (int64 max: not known to be).

    A trigger more than 60 minutes after the one before it in the stream (the first: more than 60 minutes after
    the stream's start) starts a burst on the whole timeline too, since every burst that began earlier has
    ended; from there on the greedy rule makes the same choices on both."""
    window = np.int64(BURST_WINDOW_MIN * 60 * 1_000_000_000)
    out = np.full(len(c_times), np.iinfo(np.int64).max, dtype=np.int64)
    for a, b in _segments(c_comm):
        t = c_times[a:b]
        prev = np.r_[np.int64(start_ns), t[:-1]]
        sync = np.flatnonzero(t - prev > window)
        if len(sync):
            out[a:b] = t[sync[0]]
    return out


def _burst_counts(ctx: Ctx) -> pd.DataFrame:
    """topic_bursts per community × period: the stream fetched unordered as Arrow, bursts found in numpy.

    The stream starts a day before the first period (``BURST_LEAD``). Bursts are counted only when each
    community's greedy sequence is known to match the whole timeline's before its first counted burst
    (``_synced_from``); otherwise the stream is read from the start of the run's messages."""
    first = min(p.start for p in ctx.periods)
    lead = first - BURST_LEAD
    window = ctx.message_window()
    found = None
    if window is None or lead > window[0]:
        names, c_comm, c_times = _candidates_arrow(ctx.backend.to_pyarrow(burst_stream(ctx, ordered=False, start=lead)))
        st_comm, st_times = _starts_of(c_comm, c_times)
        lead_ns = int(np.datetime64(lead, "ns").astype(np.int64))
        first_ns = int(np.datetime64(first, "ns").astype(np.int64))
        sync = _synced_from(c_comm, c_times, lead_ns)
        # the time each community is synced from, looked up for each start through its first trigger
        seg_sync = {int(c_comm[a]): int(sync[a]) for a, _ in _segments(c_comm)} if len(c_comm) else {}
        st_sync = np.array([seg_sync[int(c)] for c in st_comm], dtype=np.int64)
        if np.all((st_times < first_ns) | (st_times >= st_sync)):
            found = names, st_comm, st_times
    if found is None:
        found = burst_starts_arrow(ctx.backend.to_pyarrow(burst_stream(ctx, ordered=False)))
    names, st_comm, st_times = found
    rows: list[dict[str, Any]] = []
    for p in ctx.periods:
        lo = np.datetime64(p.start, "ns").astype(np.int64)
        hi = np.datetime64(p.end, "ns").astype(np.int64)
        sel = st_comm[(st_times >= lo) & (st_times < hi)]
        codes_in, counts = np.unique(sel, return_counts=True)
        rows.extend({"community_id": names[c], "period": p.label, "value": int(n)} for c, n in zip(codes_in, counts, strict=True))
    return pd.DataFrame(rows, columns=["community_id", "period", "value"]).astype({"value": "int64"})


@impl("topic_bursts")
def topic_bursts(ctx: Ctx) -> ir.Table:
    """Bursts are found on each community's whole timeline (up to the last period's end) and counted in the
    period of their trigger message, so a month equals the sum of its days."""
    df = _burst_counts(ctx)
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
    g = _attach(_attach(grid(ctx), _counted(ctx, "n_negative"), "num"), _counted(ctx, "n_effective"), "den")
    return g.select(*KEYS, value=ratio(g.num, g.den))


@impl("staff_message_share")
def staff_message_share(ctx: Ctx) -> ir.Table:
    g = _attach(_attach(grid(ctx), _counted(ctx, "n_staff"), "num"), _counted(ctx, "n_all"), "den")
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

