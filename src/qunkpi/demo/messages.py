"""Vectorised group-message generation (messages.parquet).

Per community: daily volumes from the activity weights of the members present that day, weekly
and daily rhythms, activity and e-commerce spikes; one loop per day draws the senders, every
other step works on whole arrays. Texts are indices into the global :class:`TextBank`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qunkpi.demo.business import Activity
from qunkpi.demo.common import DAY, F64, HOUR, I32, I64, MINUTE, BoolA, TextBank, sample_hours, weekday
from qunkpi.demo.members import KIND_REGULAR, KIND_SHILL, KIND_SPAMMER, Community, Spells
from qunkpi.demo.spec import (
    HOURS_B2B,
    HOURS_CONSUMER,
    MIX_BASE,
    MIX_THEME,
    WEEK_B2B,
    WEEK_CONSUMER,
    WEEK_READING,
    Scale,
)
from qunkpi.demo.texts import GREETING_FROM_HOUR, MAX_DAY_N
from qunkpi.workspace.schema import MSG_TYPES

CATEGORIES: tuple[str, ...] = tuple(MIX_BASE)
CAT = {name: i for i, name in enumerate(CATEGORIES)}
MT = {name: i for i, name in enumerate(MSG_TYPES)}
_CAT_TYPE = {
    "emotion": "emotion", "redpacket": "redpacket", "image": "image", "link": "link", "video": "video",
    "file": "file", "voice": "voice", "vote": "vote",
}  # fmt: skip
CAT_MSG_TYPE = np.asarray([MT[_CAT_TYPE.get(c, "text")] for c in CATEGORIES], dtype=np.int8)
REGIMES = ("normal", "checkin", "promo", "complaint")


@dataclass
class Part:
    """A batch of messages of one community (pre-sort local order)."""

    t: I64
    sender: I32  # global person code
    mtype: npt.NDArray[np.int8]
    text: I32  # -1 = null
    reply: I64  # index into the community's concatenated batches, -1 = none
    recalled: BoolA


@dataclass
class QuestionInfo:
    t: I64  # question time
    spell: npt.NDArray[np.intp]  # asker spell index
    staff_delay: I64  # seconds to the staff answer, -1 = none


@dataclass
class CommunityMessages:
    t: I64
    sender: I32
    mtype: npt.NDArray[np.int8]
    text: I32
    reply: I64  # sorted-order index of the replied message, -1 = none
    recalled: BoolA
    questions: QuestionInfo


def _mix(theme: str) -> F64:
    mix = dict(MIX_BASE)
    mix.update(MIX_THEME.get(theme, {}))
    return np.asarray([mix[c] for c in CATEGORIES], dtype=np.float64)


def _regime_cum(theme: str) -> F64:
    base = _mix(theme)
    rows = []
    for regime in REGIMES:
        p = base.copy()
        if regime == "checkin":
            p[CAT["checkin"]] = max(p[CAT["checkin"]] * 2.0, 0.12)
        elif regime == "promo":
            p[CAT["question"]] *= 1.6
            p[CAT["redpacket"]] *= 2.0
            p[CAT["chat"]] *= 1.2
            p[CAT["complaint"]] *= 1.4
        elif regime == "complaint":
            p[CAT["complaint"]] *= 7.0
            p[CAT["question"]] *= 1.4
        rows.append(np.cumsum(p / p.sum()))
    return np.vstack(rows)


def _empty_part() -> Part:
    return Part(
        np.zeros(0, np.int64),
        np.zeros(0, np.int32),
        np.zeros(0, np.int8),
        np.zeros(0, np.int32),
        np.zeros(0, np.int64),
        np.zeros(0, bool),
    )


def _part(
    t: I64, sender: I32, mtype: int | npt.NDArray[np.int8], text: I32, reply: I64 | None = None
) -> Part:
    n = t.size
    mt = np.full(n, mtype, dtype=np.int8) if isinstance(mtype, int) else mtype.astype(np.int8)
    rp = np.full(n, -1, dtype=np.int64) if reply is None else reply.astype(np.int64)
    return Part(t.astype(np.int64), sender.astype(np.int32), mt, text.astype(np.int32), rp, np.zeros(n, bool))


def _to_service_hours(rng: np.random.Generator, ta: I64, b2b: bool) -> I64:
    """Staff answer times outside service hours move to the next morning (Monday for B2B)."""
    day = ta // DAY
    tod = ta % DAY
    open_s, close_s = int(8.5 * HOUR), (19 if b2b else 22) * HOUR + 30 * MINUTE
    nxt = np.where(tod < open_s, day, day + 1)
    moved = np.where(
        (tod < open_s) | (tod > close_s), nxt * DAY + open_s + rng.integers(0, HOUR, ta.size), ta
    )
    if b2b:
        wd = weekday(moved)
        moved = np.where(wd >= 5, moved + (7 - wd) * DAY, moved)
    return moved.astype(np.int64)


def generate_messages(
    c: Community,
    spells: Spells,
    codes: I32,
    staff_codes: dict[str, int],
    acts: list[Activity],
    bank: TextBank,
    w0: int,
    w1: int,
    scale: Scale,
    rng: np.random.Generator,
) -> CommunityMessages:
    tpl = c.tpl
    theme = tpl.theme
    lo = max(c.created, w0)
    d0, d1 = lo // DAY + (1 if lo % DAY else 0), w1 // DAY
    days = np.arange(d0, d1, dtype=np.int64)
    day_start = days * DAY
    nd = days.size
    wd = weekday(day_start)

    # ---- day factors and regimes
    week = WEEK_B2B if tpl.b2b else WEEK_READING if theme == "reading" else WEEK_CONSUMER
    factor = np.asarray(week)[wd] * rng.lognormal(0.0, 0.15, nd)
    regime = np.zeros(nd, dtype=np.int64)
    promo_day = np.zeros(nd, dtype=bool)
    challenge_day = np.zeros(nd, dtype=np.int64)
    for a in acts:
        s, e = (a.start // DAY) - d0, (a.end // DAY) - d0 + 1
        s, e = max(s, 0), min(e, nd)
        if s >= e:
            continue
        if a.kind == "checkin":
            first = (a.start // DAY) - d0
            challenge_day[s:e] = np.arange(s, e) - first + 1
            factor[s:e] *= 1.25
            regime[s:e] = np.maximum(regime[s:e], 1)
        elif a.kind == "promotion":
            big = a.name.startswith(("618", "双11"))
            factor[s:e] *= 1.5
            if big and a.end % DAY == DAY - 1:  # the run-up to the big e-commerce date, and the day itself
                factor[max(e - 4, s) : e] *= 1.6
                factor[e - 1] *= 1.5
            regime[s:e] = 2
            promo_day[s:e] = True
        else:
            factor[s:e] *= {
                "topic": 1.35,
                "lecture": 1.3,
                "webinar": 1.3,
                "lottery": 1.3,
                "bounty": 1.15,
            }.get(a.kind, 1.1)
    if c.primary and tpl.complaint_spike:
        ys = np.datetime64(w1 - 1, "s").astype("datetime64[M]") - np.timedelta64(4, "M")
        cs = int(ys.astype("datetime64[s]").astype(np.int64)) // DAY + 9 - d0
        regime[max(cs, 0) : max(cs + 13, 0)] = 3
        factor[max(cs, 0) : max(cs + 13, 0)] *= 1.3

    # ---- member messages: volumes from the present members' activity weights
    reg = np.flatnonzero((spells.kind == KIND_REGULAR) & (spells.weight > 0))
    w = spells.weight[reg]
    jn, lv = spells.join[reg], spells.leave[reg]
    present = (jn[None, :] < day_start[:, None]) & (lv[None, :] >= day_start[:, None] + DAY)
    wd_sum = present.astype(np.float64) @ w
    rate = tpl.msg_rate * scale.rate_mult
    counts = rng.poisson(wd_sum * rate * factor)
    total = int(counts.sum())
    sender_spell = np.empty(total, dtype=np.intp)
    alt_spell = np.empty(total, dtype=np.intp)
    pos = 0
    for i in np.flatnonzero(counts):
        k = int(counts[i])
        cw = np.cumsum(w * present[i])
        u = rng.random(2 * k) * cw[-1]
        picked = reg[np.minimum(np.searchsorted(cw, u, side="right"), cw.size - 1)]
        sender_spell[pos : pos + k] = picked[:k]
        alt_spell[pos : pos + k] = picked[k:]
        pos += k
    mday = np.repeat(np.arange(nd), counts)
    hours = HOURS_B2B if tpl.b2b else HOURS_CONSUMER
    tod = sample_hours(rng, hours, total)
    t = day_start[mday] + tod

    cum = _regime_cum(theme)
    u = rng.random(total)
    cat = (u[:, None] > cum[regime[mday]]).sum(axis=1)
    cat = np.minimum(cat, len(CATEGORIES) - 1)
    text = np.full(total, -1, dtype=np.int32)

    def fill(name: str, key: str, null_share: float = 0.0) -> None:
        m = np.flatnonzero(cat == CAT[name])
        if m.size == 0:
            return
        picks = bank.pick(rng, key, m.size)
        if null_share:
            picks = np.where(rng.random(m.size) < null_share, -1, picks).astype(np.int32)
        text[m] = picks

    fill("filler", "filler")
    fill("emotion", "emotion", 0.55)
    fill("redpacket", "redpacket")
    fill("question", f"question:{theme}")
    fill("chat", f"chat:{theme}")
    fill("share", f"share:{theme}")
    fill("link", f"link:{theme}", 0.25)
    fill("file", f"file:{theme}")
    fill("vote", "vote")
    fill("complaint", f"complaint:{theme}")
    fill("spam", "spam")
    fill("pii", "pii")
    g = np.flatnonzero(cat == CAT["greeting"])
    slot = np.searchsorted(np.asarray(GREETING_FROM_HOUR) * HOUR, tod[g], side="right") - 1
    slot = np.where(slot < 0, len(GREETING_FROM_HOUR) - 1, slot)  # before 5:00 is still night
    for k in range(len(GREETING_FROM_HOUR)):
        sel = slot == k
        text[g[sel]] = bank.pick(rng, f"greeting:{k}", int(sel.sum()))
    ck = np.flatnonzero(cat == CAT["checkin"])
    if ck.size:
        plain = bank.pick(rng, f"checkin:{theme}", ck.size)
        key_n = f"checkin_n:{theme}"
        n_tpl = bank.size(key_n) // MAX_DAY_N
        # "第N天": the day of the running check-in challenge, else the member's own streak
        streak = (days[mday[ck]] - spells.join[sender_spell[ck]] // DAY - 1) % 45 + 1
        day_n = np.clip(np.where(challenge_day[mday[ck]] > 0, challenge_day[mday[ck]], streak), 1, MAX_DAY_N)
        with_n = bank.start(key_n) + rng.integers(0, n_tpl, ck.size) * MAX_DAY_N + (day_n - 1)
        use_n = rng.random(ck.size) < (0.7 if theme in ("fitness", "reading") else 0.3)
        text[ck] = np.where(use_n, with_n, plain)
    mtype = CAT_MSG_TYPE[cat]
    member_codes = codes[sender_spell]
    parts: list[Part] = [_part(t, member_codes, mtype, text)]
    offset = total
    recalled_member = rng.random(total) < np.where(cat == CAT["pii"], 0.2, 0.005)
    parts[0].recalled = recalled_member

    # ---- staff
    staff_ids = [c.owner, *c.helpers]
    staff_arr = np.asarray([staff_codes[s] for s in staff_ids], dtype=np.int32)
    staff_p = np.asarray([0.75] + [0.25 / max(len(c.helpers), 1)] * len(c.helpers))
    staff_p = staff_p / staff_p.sum()

    def staff_pick(n: int) -> I32:
        return staff_arr[rng.choice(staff_arr.size, n, p=staff_p)]

    # answers to member questions, on the topic of the question
    q_key = f"question:{theme}"

    def answers(kind: str, q_text: I32) -> I32:
        topic = bank.topics[q_key][q_text - bank.start(q_key)]
        out = np.empty(q_text.size, dtype=np.int32)
        for tp in np.unique(topic).tolist():
            sel = topic == tp
            out[sel] = bank.pick(rng, f"{kind}:{theme}:{tp}", int(sel.sum()))
        return out

    q = np.flatnonzero(cat == CAT["question"])
    tq = t[q]
    p_staff = {"service": 0.9, "sales": 0.72, "content": 0.78, "leads": 0.82}[tpl.purpose]
    if c.primary and tpl.staff_flood:
        p_staff = 0.55
    median_min = 3.0 if theme == "software" else 5.0 if tpl.purpose == "service" else 8.0
    quick = 0.88 if tpl.purpose == "service" else 0.68  # share answered in minutes
    if tpl.purpose == "service":
        p_staff = 0.95
    r = rng.random(q.size)
    delay = np.where(
        r < quick,
        rng.lognormal(np.log(median_min * MINUTE), 0.8, q.size),
        np.where(
            r < quick + 0.22 * (1 - quick) / 0.32,
            rng.uniform(30 * MINUTE, 180 * MINUTE, q.size),
            rng.uniform(3 * HOUR, 20 * HOUR, q.size),
        ),
    ).astype(np.int64)
    ta = _to_service_hours(rng, tq + np.maximum(delay, 20), tpl.b2b)
    has = (rng.random(q.size) < p_staff) & (ta < w1)
    staff_delay = np.where(has, ta - tq, -1).astype(np.int64)
    sa_t = ta[has]
    parts.append(
        _part(sa_t, staff_pick(sa_t.size), MT["text"], answers("staff_answer", text[q[has]]), q[has])
    )
    sa_index = offset + np.arange(sa_t.size)
    offset += sa_t.size

    # the asker thanks the staff member sometimes
    asker = sender_spell[q[has]]
    th_t = sa_t + rng.integers(30, 20 * MINUTE, sa_t.size)
    th = (rng.random(sa_t.size) < 0.2) & (th_t < w1) & (spells.leave[asker] > th_t)
    parts.append(
        _part(th_t[th], codes[asker[th]], MT["text"], bank.pick(rng, "thanks", int(th.sum())), sa_index[th])
    )
    offset += int(th.sum())

    # peer answers by other members, the same day
    p_peer = 0.45 if tpl.b2b else 0.35 if theme == "parenting" else 0.28
    alt = alt_spell[q]
    pa_t = np.minimum(
        tq + 20 + rng.lognormal(np.log(10 * MINUTE), 1.0, q.size).astype(np.int64), (tq // DAY + 1) * DAY - 1
    )
    pa = (
        (rng.random(q.size) < p_peer)
        & (alt != sender_spell[q])
        & (pa_t > tq)
        & (codes[alt] != member_codes[q])
    )
    parts.append(_part(pa_t[pa], codes[alt[pa]], MT["text"], answers("peer_answer", text[q[pa]]), q[pa]))
    offset += int(pa.sum())

    # daily staff posts
    weekend = wd >= 5
    routine = min(1.0, 2.0 * scale.staff_mult)  # tiny data sets thin out the daily routine posts
    p_morning = np.where(weekend, 0.3 if tpl.b2b else 0.6, 0.88) * routine
    mm = rng.random(nd) < p_morning
    mt_ = day_start[mm] + int(7.5 * HOUR) + rng.integers(0, int(1.5 * HOUR), int(mm.sum()))
    per = bank.size(f"morning:{theme}") // 7
    mtext = bank.start(f"morning:{theme}") + wd[mm] * per + rng.integers(0, per, int(mm.sum()))
    parts.append(_part(mt_, staff_pick(mt_.size), MT["text"], mtext.astype(np.int32)))

    lam_post = (1.4 if tpl.b2b else 2.0) * scale.staff_mult
    n_post = rng.poisson(lam_post * np.where(weekend & tpl.b2b, 0.2, 1.0), nd)
    pd_ = np.repeat(np.arange(nd), n_post)
    pt = day_start[pd_] + rng.integers(int(9.5 * HOUR), int(21.5 * HOUR), pd_.size)
    kind_u = rng.random(pd_.size)
    ptype = np.where(
        kind_u < 0.55,
        MT["text"],
        np.where(
            kind_u < 0.8,
            MT["image"],
            np.where(kind_u < 0.92, MT["link"], MT["file"] if tpl.b2b else MT["image"]),
        ),
    ).astype(np.int8)
    ptext = np.where(
        ptype == MT["text"],
        bank.pick(rng, f"post:{theme}", pd_.size),
        np.where(
            ptype == MT["link"],
            bank.pick(rng, f"push:{theme}", pd_.size),
            np.where(ptype == MT["file"], bank.pick(rng, f"file:{theme}", pd_.size), -1),
        ),
    ).astype(np.int32)
    parts.append(_part(pt, staff_pick(pt.size), ptype, ptext))

    # campaign pushes on promotion days; a staff-flooded group gets far more
    lam_push = np.where(promo_day, 3.0 * scale.staff_mult, 0.0)
    if c.primary and tpl.staff_flood:
        expected_member = float(np.mean(wd_sum * rate * factor)) if nd else 0.0
        lam_push = lam_push + 1.3 * expected_member
    n_push = rng.poisson(lam_push)
    qd = np.repeat(np.arange(nd), n_push)
    qt = day_start[qd] + sample_hours(rng, HOURS_CONSUMER, qd.size)
    qt = np.maximum(qt, day_start[qd] + 8 * HOUR)
    # the same push is re-posted several times a day: pick per day, then per message
    daily_pick = bank.pick(rng, f"push:{theme}", nd * 3).reshape(nd, 3) if nd else np.zeros((0, 3), np.int32)
    qtext = daily_pick[qd, rng.integers(0, 3, qd.size)]
    qtype = np.where(rng.random(qd.size) < 0.75, MT["text"], MT["image"]).astype(np.int8)
    qtext = np.where(qtype == MT["image"], -1, qtext).astype(np.int32)
    parts.append(_part(qt, staff_pick(qt.size), qtype, qtext))

    ev = rng.random(nd) < (0.5 if tpl.purpose == "content" else 0.3) * routine
    et = day_start[ev] + int(21.5 * HOUR) + rng.integers(0, HOUR, int(ev.sum()))
    parts.append(_part(et, staff_pick(et.size), MT["text"], bank.pick(rng, "staff_evening", et.size)))
    n_fill = rng.poisson(0.5 * scale.staff_mult, nd)
    fd = np.repeat(np.arange(nd), n_fill)
    ft = day_start[fd] + sample_hours(rng, hours, fd.size)
    parts.append(_part(ft, staff_pick(ft.size), MT["text"], bank.pick(rng, "staff_filler", ft.size)))

    # activity notices: a preview the day before and a kick-off
    a_t, a_x = [], []
    for a in acts:
        when = a.planned if a.planned is not None else a.start
        label = np.datetime_as_string(np.datetime64(when, "s"), unit="m").replace("T", " ")[5:]
        if when - DAY >= lo:
            a_t.append(when - DAY + int(rng.integers(0, 2 * HOUR)))
            a_x.append(bank.intern(f"【活动预告】「{a.name}」将于{label}开始，欢迎大家参加！详情见群公告～"))
        a_t.append(a.start)
        a_x.append(bank.intern(f"【活动开始】「{a.name}」现在开始啦，参与方式见群公告，冲鸭🔥"))
    if a_t:
        at_ = np.asarray(a_t, dtype=np.int64)
        parts.append(_part(at_, staff_pick(at_.size), MT["text"], np.asarray(a_x, dtype=np.int32)))

    # ---- a shill account cheering during promotions
    shill = np.flatnonzero(spells.kind == KIND_SHILL)
    if shill.size:
        n_sh = rng.poisson(np.where(promo_day, 4.0, 0.7) * max(scale.staff_mult, 0.5))
        sd = np.repeat(np.arange(nd), n_sh)
        st = day_start[sd] + sample_hours(rng, HOURS_CONSUMER, sd.size)
        keep = st > spells.join[shill[0]]
        st = st[keep]
        parts.append(
            _part(
                st, np.full(st.size, codes[shill[0]], np.int32), MT["text"], bank.pick(rng, "shill", st.size)
            )
        )

    # ---- spammers: the same ad 3-5 times within ten minutes, then removed
    sp = np.flatnonzero(spells.kind == KIND_SPAMMER)
    for si in sp.tolist():
        j0, l0 = int(spells.join[si]), int(spells.leave[si])
        if j0 < lo:
            continue
        k = int(rng.integers(3, 6))
        start = j0 + int(rng.integers(2 * MINUTE, max(3 * MINUTE, min(2 * HOUR, l0 - j0 - 15 * MINUTE))))
        ts = start + np.concatenate([[0], np.cumsum(rng.integers(15, 140, k - 1))])
        ts = ts[ts < min(l0, w1)]
        if ts.size == 0:
            continue
        txt = np.full(ts.size, bank.pick(rng, "spam", 1)[0], dtype=np.int32)
        p = _part(ts.astype(np.int64), np.full(ts.size, codes[si], np.int32), MT["text"], txt)
        p.recalled = rng.random(ts.size) < 0.15
        parts.append(p)

    # ---- system notices when people join
    joins = np.flatnonzero(
        ((spells.kind == KIND_REGULAR) | (spells.kind == KIND_SPAMMER))
        & (spells.join >= lo)
        & (spells.join < w1)
    )
    shown = joins[rng.random(joins.size) < 0.55]
    parts.append(
        _part(spells.join[shown] + 1, codes[shown], MT["system"], bank.pick(rng, "system", shown.size))
    )

    # ---- assemble, sort, remap replies
    allp = [p for p in parts if p.t.size]
    t_all = np.concatenate([p.t for p in allp]) if allp else np.zeros(0, np.int64)
    reply_local = np.concatenate([p.reply for p in allp]) if allp else np.zeros(0, np.int64)
    order = np.argsort(t_all, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    reply_sorted = np.where(reply_local >= 0, rank[np.maximum(reply_local, 0)], -1)[order]
    out = CommunityMessages(
        t=t_all[order],
        sender=np.concatenate([p.sender for p in allp])[order],
        mtype=np.concatenate([p.mtype for p in allp])[order],
        text=np.concatenate([p.text for p in allp])[order],
        reply=reply_sorted,
        recalled=np.concatenate([p.recalled for p in allp])[order],
        questions=QuestionInfo(t=tq, spell=sender_spell[q], staff_delay=staff_delay),
    )
    # small recall share for staff too
    staff_msg = np.isin(out.sender, staff_arr)
    out.recalled |= staff_msg & (rng.random(out.t.size) < 0.002)

    # ---- casual replies: some chat lines quote one of the previous few messages
    is_chat = np.zeros(out.t.size, dtype=bool)
    is_chat[rank[:total]] = cat == CAT["chat"]
    cand = np.flatnonzero(is_chat & (out.reply < 0))
    cand = cand[(rng.random(cand.size) < 0.05) & (cand >= 5)]
    target = cand - rng.integers(1, 5, cand.size)
    ok = out.t[target] < out.t[cand]
    out.reply[cand[ok]] = target[ok]
    return out
