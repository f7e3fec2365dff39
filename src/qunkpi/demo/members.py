"""Communities and their membership spells (members.csv)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qunkpi.demo.common import (
    DAY,
    F64,
    HOUR,
    I64,
    NEVER,
    BoolA,
    IdFactory,
    add_months,
    month_start,
    sample_hours,
)
from qunkpi.demo.spec import (
    HOURS_B2B,
    HOURS_CONSUMER,
    MANAGER_OF_TEAM,
    SOURCES,
    TEAM_OF_THEME,
    CommunityTemplate,
    Scale,
)

KIND_REGULAR, KIND_STAFF, KIND_SPAMMER, KIND_SHILL = 0, 1, 2, 3
ObjA = npt.NDArray[np.object_]


@dataclass
class Community:
    idx: int
    community_id: str
    name: str
    tpl: CommunityTemplate
    created: int  # seconds, naive local
    owner: str
    helpers: tuple[str, ...]
    size: int  # target members at the end
    primary: bool  # the first copy of its template carries the special scenarios
    copy_no: int

    @property
    def theme(self) -> str:
        return self.tpl.theme

    @property
    def purpose(self) -> str:
        return self.tpl.purpose

    def stage_at(self, t: int) -> str:
        months = (t - self.created) / (DAY * 30.44)
        return "startup" if months < 3 else "growth" if months < 6 else "mature"


@dataclass
class Spells:
    """Membership spells of one community (parallel arrays)."""

    member_id: ObjA
    join: I64
    leave: I64  # NEVER = still present
    source: ObjA  # "" = null
    inviter: ObjA  # "" = null
    is_staff: BoolA
    role: ObjA
    profile_filled: I64  # -1 = null
    profile_total: I64  # -1 = null
    weight: F64  # message activity weight (0 = lurker)
    kind: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.join.size)

    def present_at(self, t: int) -> BoolA:
        return (self.join <= t) & (self.leave > t)

    @property
    def regular(self) -> BoolA:
        return self.kind == KIND_REGULAR


def _concat(parts: list[Spells]) -> Spells:
    return Spells(
        member_id=np.concatenate([p.member_id for p in parts]),
        join=np.concatenate([p.join for p in parts]),
        leave=np.concatenate([p.leave for p in parts]),
        source=np.concatenate([p.source for p in parts]),
        inviter=np.concatenate([p.inviter for p in parts]),
        is_staff=np.concatenate([p.is_staff for p in parts]),
        role=np.concatenate([p.role for p in parts]),
        profile_filled=np.concatenate([p.profile_filled for p in parts]),
        profile_total=np.concatenate([p.profile_total for p in parts]),
        weight=np.concatenate([p.weight for p in parts]),
        kind=np.concatenate([p.kind for p in parts]),
    )


def _block(
    ids: list[str] | ObjA,
    join: I64,
    leave: I64,
    *,
    kind: int,
    role: str = "member",
    is_staff: bool = False,
    weight: F64 | None = None,
) -> Spells:
    n = join.size
    return Spells(
        member_id=np.asarray(ids, dtype=object),
        join=join.astype(np.int64),
        leave=leave.astype(np.int64),
        source=np.full(n, "", dtype=object),
        inviter=np.full(n, "", dtype=object),
        is_staff=np.full(n, is_staff, dtype=bool),
        role=np.full(n, role, dtype=object),
        profile_filled=np.full(n, -1, dtype=np.int64),
        profile_total=np.full(n, -1, dtype=np.int64),
        weight=np.zeros(n) if weight is None else weight,
        kind=np.full(n, kind, dtype=np.int8),
    )


def bad_span(w1: int) -> tuple[int, int]:
    """The bad fortnight: days 8-22 of the month two months before the last one."""
    d = np.datetime64(w1, "s").astype("datetime64[M]").astype(object)
    y, m = add_months(d.year, d.month, -3)
    start = month_start(y, m) + 7 * DAY
    return start, start + 15 * DAY


def build_spells(
    c: Community,
    w0: int,
    w1: int,
    scale: Scale,
    rng: np.random.Generator,
    ids: IdFactory,
    pool: dict[str, list[str]],
    spammer_pool: list[str],
) -> Spells:
    tpl = c.tpl
    size = c.size
    age_days = (w1 - c.created) // DAY
    stage = c.stage_at(w1)
    hours = HOURS_B2B if tpl.b2b else HOURS_CONSUMER

    # ---- join process from creation to the end: launch burst + steady inflow
    day0 = c.created // DAY
    days = np.arange(day0, w1 // DAY, dtype=np.int64)
    age = (days - day0).astype(np.float64)
    tau, burst_share, base_share, life = {
        "startup": (14.0, 0.8, 0.45, 800.0),
        "growth": (22.0, 0.7, 0.5, 1000.0),
        "mature": (20.0, 0.8, 0.4, 1500.0),
    }[stage]
    lam = burst_share * size / tau * np.exp(-age / tau) + base_share * size / max(age_days, 30)
    wd = (days + 3) % 7
    if tpl.b2b:
        lam = lam * np.where(wd >= 5, 0.35, 1.15)
    lam = lam * rng.lognormal(0.0, 0.25, days.size)
    if c.primary and tpl.bad_month:
        b0, b1 = bad_span(w1)
        in_bad = (days * DAY >= b0) & (days * DAY < b1)
        lam = np.where(in_bad, lam * 0.2, lam)
    counts = rng.poisson(lam)
    n = int(counts.sum())
    join = np.repeat(days * DAY, counts) + sample_hours(rng, hours, n)
    join = np.maximum(join, c.created + 60 + rng.integers(0, 600, n))
    join.sort()

    early = rng.random(n) < 0.05
    lifetime = np.where(early, rng.exponential(2.0 * DAY, n), rng.exponential(life * DAY, n))
    leave = join + np.maximum(lifetime.astype(np.int64), 600)

    if c.primary and tpl.bad_month:
        b0, b1 = bad_span(w1)
        present = (join <= b0) & (leave > b0)
        hit = present & (rng.random(n) < 0.085)
        forced = b0 + rng.integers(0, b1 - b0, n)
        leave = np.where(hit, np.minimum(leave, forced), leave)
    leave = np.where(leave >= w1, NEVER, leave)

    # ---- who they are: mostly new people, some already in other communities of the platform
    style = tpl.id_style
    known = pool.setdefault(style, [])
    n_known = min(int(n * 0.12), len(known))
    reuse = list(rng.choice(np.asarray(known, dtype=object), n_known, replace=False)) if n_known else []
    fresh_people = ids.of_style(style, n - n_known)
    people = np.asarray(reuse + fresh_people, dtype=object)
    rng.shuffle(people)
    regular = _block(people, join, leave, kind=KIND_REGULAR)
    active = rng.random(n) < 0.62
    regular.weight = rng.lognormal(0.0, 1.1, n) * active

    # ---- rejoins: some leavers come back later (a second spell of the same person)
    left = (leave < w1 - 10 * DAY) & ~early
    back = left & (rng.random(n) < 0.14)
    gap = rng.integers(3 * DAY, 60 * DAY, n)
    rj = leave + gap
    back &= rj < w1 - DAY
    rj_join = rj[back]
    m = rj_join.size
    rj_leave = rj_join + rng.exponential(life * DAY, m).astype(np.int64)
    rj_leave = np.where(rj_leave >= w1, NEVER, rj_leave)
    rejoin = _block(people[back], rj_join, rj_leave, kind=KIND_REGULAR)
    rejoin.weight = rng.lognormal(0.0, 1.1, m) * (rng.random(m) < 0.7)

    reg = _concat([regular, rejoin])
    order = np.argsort(reg.join, kind="stable")
    reg = _concat([_take(reg, order)])
    nr = len(reg)

    # ---- KOLs: long-tenured, still present, active
    cand = np.flatnonzero(
        (reg.join < w1 - min(60, age_days // 2) * DAY) & (reg.leave == NEVER) & (reg.weight > 0)
    )
    k = int(np.clip(round(size / 100), 2, 6))
    if cand.size:
        kol = rng.choice(cand, min(k, cand.size), replace=False)
        kol_people = set(reg.member_id[kol].tolist())
        is_kol = np.fromiter((p in kol_people for p in reg.member_id), dtype=bool, count=nr)
        reg.role = np.where(is_kol, "kol", reg.role).astype(object)
        reg.weight = np.where(is_kol, reg.weight * 5 + 4, reg.weight)
    is_kol = reg.role == "kol"

    # ---- sources and inviters
    chans = [s for s, _ in SOURCES[tpl.theme]]
    probs = np.asarray([p for _, p in SOURCES[tpl.theme]], dtype=np.float64)
    src = np.asarray(chans, dtype=object)[rng.choice(len(chans), nr, p=probs / probs.sum())]
    if tpl.theme == "retail":
        jd = reg.join.astype("datetime64[s]").astype("datetime64[D]")
        jm = jd.astype("datetime64[M]")
        dom = (jd - jm.astype("datetime64[D]")).astype(np.int64) + 1
        pre618 = (jm.astype(np.int64) % 12 == 5) & (dom <= 18)
        src = np.where(pre618 & (rng.random(nr) < 0.35), "utm:618_presale", src).astype(object)
    reg.source = src
    staff_ids = np.asarray((c.owner, *c.helpers), dtype=object)
    inv = np.full(nr, "", dtype=object)
    is_ref = src == "referral"
    pos = np.arange(nr)
    j = np.floor(rng.random(nr) * pos).astype(np.int64)
    inv_member = reg.member_id[j]
    kol_idx = np.flatnonzero(is_kol)
    if kol_idx.size:
        pk = kol_idx[rng.integers(0, kol_idx.size, nr)]
        use_kol = (rng.random(nr) < 0.3) & (reg.join[pk] < reg.join)
        inv_member = np.where(use_kol, reg.member_id[pk], inv_member)
    by_staff = (rng.random(nr) < 0.22) | (pos == 0) | (inv_member == reg.member_id)
    inv_staff = staff_ids[rng.integers(0, staff_ids.size, nr)]
    inv = np.where(is_ref, np.where(by_staff, inv_staff, inv_member), inv).astype(object)
    reg.inviter = inv

    # ---- profile completeness: startups push hard on profile tags
    total = 10 if tpl.b2b else 8
    p_fill = 0.88 if stage == "startup" else 0.72 if tpl.b2b else 0.6
    filled = rng.binomial(total, p_fill, nr)
    blank = rng.random(nr) < 0.04
    reg.profile_total = np.where(blank, -1, total).astype(np.int64)
    reg.profile_filled = np.where(blank, -1, filled).astype(np.int64)

    known.extend(fresh_people)

    # ---- spammers: join, flood an ad, get removed within hours
    lo = max(c.created, w0)
    months_alive = max((w1 - lo) / (30 * DAY), 0.5)
    n_sp = max(1, int(rng.poisson(months_alive * 0.5 * max(scale.member_mult, 0.5))))
    n_reuse = min(len(spammer_pool), int(rng.binomial(n_sp, 0.3)))
    sp_ids = (
        list(rng.choice(np.asarray(spammer_pool, dtype=object), n_reuse, replace=False)) if n_reuse else []
    )
    fresh = ids.of_style(style, n_sp - n_reuse)
    spammer_pool.extend(fresh)
    sp_day = rng.integers(lo // DAY + 1, w1 // DAY - 1, n_sp)
    sp_join = sp_day * DAY + sample_hours(rng, hours, n_sp)
    sp_leave = sp_join + rng.integers(HOUR, 20 * HOUR, n_sp)
    spam = _block(sp_ids + fresh, sp_join, sp_leave, kind=KIND_SPAMMER)
    spam.source = np.asarray(rng.choice(["poster", "", "channel_qr:包裹卡"], n_sp), dtype=object)

    # ---- staff: the owner, helpers, and the team manager (rarely speaks)
    manager = MANAGER_OF_TEAM[TEAM_OF_THEME[tpl.theme]]
    st = [c.owner, *c.helpers]
    if manager not in st:
        st.append(manager)
    if c.primary and tpl.staff_flood and "zhangwei" not in st:
        st.append("zhangwei")
    st_join = np.asarray(
        [c.created] + [c.created + int(rng.integers(60, HOUR)) for _ in st[1:]], dtype=np.int64
    )
    staff = _block(st, st_join, np.full(len(st), NEVER), kind=KIND_STAFF, role="staff", is_staff=True)

    parts = [reg, spam, staff]
    # ---- a shill ("托") account: registered as staff role but not flagged is_staff
    if tpl.staff_flood:
        sh = _block(
            ids.wecom(1),
            np.asarray([c.created + 2 * DAY]),
            np.asarray([NEVER]),
            kind=KIND_SHILL,
            role="staff",
        )
        sh.profile_filled[:] = total
        sh.profile_total[:] = total
        parts.append(sh)
    return _concat(parts)


def _take(s: Spells, idx: npt.NDArray[np.intp] | npt.NDArray[np.int64]) -> Spells:
    return Spells(
        member_id=s.member_id[idx],
        join=s.join[idx],
        leave=s.leave[idx],
        source=s.source[idx],
        inviter=s.inviter[idx],
        is_staff=s.is_staff[idx],
        role=s.role[idx],
        profile_filled=s.profile_filled[idx],
        profile_total=s.profile_total[idx],
        weight=s.weight[idx],
        kind=s.kind[idx],
    )
