"""Activities, participants, orders, costs, surveys, leads and reach of the demo communities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qunkpi.demo.common import (
    DAY,
    HOUR,
    I64,
    MINUTE,
    NEVER,
    add_months,
    date_seconds,
    month_label,
    month_start,
    weighted_pick,
    weighted_sample_without_replacement,
)
from qunkpi.demo.members import KIND_REGULAR, KIND_STAFF, Community, Spells
from qunkpi.demo.spec import PRICES, PURCHASE_RATE
from qunkpi.demo.texts import CSAT_COMMENTS, NPS_COMMENTS

Rows = dict[str, list[object]]


def new_rows(columns: Sequence[str]) -> Rows:
    return {c: [] for c in columns}


@dataclass
class Activity:
    activity_id: str
    community_id: str
    name: str
    kind: str
    planned: int | None
    start: int
    end: int
    notified: int
    cost: float | None
    code: str | None


TOPICS = {
    "fitness": (
        "减脂期怎么点外卖",
        "你的平台期是怎么突破的",
        "最难戒掉的零食",
        "晒晒你的轻食早餐",
        "运动后吃什么",
    ),
    "parenting": ("宝宝睡整觉的秘诀", "辅食翻车现场", "二胎怎么平衡", "带娃神器分享"),
    "b2b": ("变频板常见故障排查", "新能效标准下的选型", "降本增效的实践", "出口认证那些坑"),
    "software": ("你最常用的快捷键", "最想要的新功能", "数据备份习惯"),
    "reading": ("书中最触动你的一句话", "如果你是主人公", "读书笔记怎么做"),
    "retail": ("晒单有礼", "你最想要的福利"),
}
LECTURES = {
    "fitness": ("营养师直播：外卖怎么点才不胖", "教练直播：跑步不伤膝", "营养师直播：平台期饮食调整"),
    "parenting": ("儿科医生直播答疑", "育儿专家讲座：如何添加辅食", "早教老师直播：亲子阅读"),
    "b2b": (
        "线上研讨会：变频技术在家电配件中的应用",
        "线上研讨会：新能效标准解读",
        "线上研讨会：压缩机选型实务",
    ),
    "software": ("新功能直播：团队协作", "新功能直播：自动化报表", "产品经理直播答疑"),
    "reading": ("作者分享会", "共读复盘直播", "书友线下分享会"),
    "retail": ("好物直播间",),
}
BOOKS = ("被讨厌的勇气", "置身事内", "人类简史", "活着", "原则", "非暴力沟通", "额尔古纳河右岸")


def plan_activities(
    c: Community, spells: Spells, w0: int, w1: int, rng: np.random.Generator
) -> list[Activity]:
    """A monthly activity calendar by theme, plus the 618 / Double 11 sales if they fall in range."""
    theme = c.theme
    lo = max(c.created + 3 * DAY, w0)
    d = np.datetime64(lo, "s").astype("datetime64[M]").astype(object)
    y, m = d.year, d.month
    plan: list[tuple[str, str, int, float, float]] = []  # kind, name, start, hour, days
    mi = 0
    while month_start(y, m) < w1:
        ms = month_start(y, m)
        first_monday = ms + ((7 - int((ms // DAY + 3) % 7)) % 7) * DAY

        def at(day: int, base: int = ms) -> int:
            return base + (day - 1) * DAY

        if theme == "fitness":
            plan.append(("checkin", f"21天轻食打卡挑战·第{mi + 1}期", first_monday, 7, 21))
            plan.append(("topic", f"话题讨论：{TOPICS[theme][mi % 5]}", at(10), 20, 0.1))
            plan.append(("topic", f"话题讨论：{TOPICS[theme][(mi + 2) % 5]}", at(24), 20, 0.1))
            plan.append(("lecture", LECTURES[theme][mi % 3], at(15), 20, 0.07))
            if mi % 3 == 2:
                plan.append(("lottery", "月末打卡抽奖", at(28), 20, 1))
        elif theme == "reading":
            plan.append(("checkin", f"共读打卡《{BOOKS[mi % len(BOOKS)]}》", at(1), 8, 21))
            plan.append(("topic", f"话题讨论：{TOPICS[theme][mi % 3]}", at(12), 20, 0.1))
            plan.append(("topic", f"话题讨论：{TOPICS[theme][(mi + 1) % 3]}", at(26), 20, 0.1))
            if mi % 2 == 1:
                plan.append(("lecture", LECTURES[theme][mi % 3], at(20), 19.5, 0.1))
        elif theme == "parenting":
            plan.append(("lecture", LECTURES[theme][mi % 3], at(14), 20, 0.07))
            plan.append(("topic", f"话题讨论：{TOPICS[theme][mi % 4]}", at(7), 20, 0.1))
            plan.append(("topic", f"话题讨论：{TOPICS[theme][(mi + 1) % 4]}", at(21), 20, 0.1))
            if mi % 2 == 1:
                plan.append(("lottery", "晒娃抽奖", at(25), 20, 2))
            if mi % 3 == 0:
                plan.append(("checkin", "亲子阅读打卡21天", at(3), 8, 21))
        elif theme == "software":
            plan.append(("webinar", LECTURES[theme][mi % 3], at(16), 20, 0.06))
            plan.append(("topic", f"话题讨论：{TOPICS[theme][mi % 3]}", at(22), 20, 0.1))
            if mi % 2 == 0:
                plan.append(("bounty", "找Bug悬赏：提交复现步骤赢会员", at(5), 10, 14))
        elif theme == "b2b":
            name = "经销商政策宣讲会" if c.tpl.key == "dealer" else LECTURES[theme][mi % 3]
            plan.append(("webinar", name, at(18), 14, 0.09))
            plan.append(("topic", f"技术话题：{TOPICS[theme][mi % 4]}", at(9), 14, 0.15))
            plan.append(("topic", f"技术话题：{TOPICS[theme][(mi + 1) % 4]}", at(23), 14, 0.15))
            if mi % 2 == 1:
                plan.append(("bounty", "技术难题悬赏", at(3), 9, 10))
        elif theme == "retail":
            if m not in (6, 11):
                plan.append(("promotion", "会员日秒杀", at(8), 20, 3))
                plan.append(("promotion", "周末福利购", at(22), 10, 2.5))
            plan.append(("lottery", "晒单抽奖", at(27), 20, 2))
            if mi % 2 == 0:
                plan.append(("topic", f"话题：{TOPICS[theme][mi % 2]}", at(15), 20, 0.1))
        y, m = add_months(y, m, 1)
        mi += 1

    if c.purpose == "sales":  # the big e-commerce dates, clipped to the community's life
        y0 = int(np.datetime64(lo, "s").astype("datetime64[Y]").astype(np.int64)) + 1970
        y1 = int(np.datetime64(w1, "s").astype("datetime64[Y]").astype(np.int64)) + 1970
        for yy in range(y0 - 1, y1 + 1):
            for name, s0, s1 in (
                ("618年中大促", date_seconds(yy, 6, 1) + 20 * HOUR, date_seconds(yy, 6, 19) - 1),
                ("双11狂欢购", date_seconds(yy, 10, 31) + 20 * HOUR, date_seconds(yy, 11, 12) - 1),
            ):
                start = max(s0, (lo // DAY + 1) * DAY + 10 * HOUR)
                if min(s1, w1 - 1) - start >= 3 * DAY:
                    plan.append(("promotion", name, start, 0, (s1 + 1 - start) / DAY))
    acts: list[Activity] = []
    present_staff = spells.kind == KIND_STAFF
    for kind, name, day_start, hour, dur_days in sorted(plan, key=lambda p: (p[2], p[0])):
        start = int(day_start + hour * HOUR)
        end = int(start + dur_days * DAY) - 1
        if start < lo or start >= w1 - HOUR:
            continue
        end = min(end, w1 - 1)
        u = rng.random()
        planned: int | None = start
        if u < 0.14:  # launched late
            planned = start
            start = start + int(rng.integers(HOUR, 48 * HOUR))
            end = min(max(end, start + HOUR), w1 - 1)
            if start >= w1 - HOUR:
                continue
        elif u < 0.22:
            planned = None
        present = spells.present_at(start) & ~present_staff & (spells.kind == KIND_REGULAR)
        notified = max(1, int(present.sum() * rng.uniform(0.55, 0.95)))
        cost_range = {
            "lottery": (100, 800), "checkin": (100, 600), "lecture": (300, 1500), "webinar": (300, 1500),
            "bounty": (100, 500), "promotion": (0, 800), "topic": (0, 100),
        }[kind]  # fmt: skip
        cost: float | None = round(float(rng.uniform(*cost_range)), 2)
        if kind == "topic" and rng.random() < 0.6:
            cost = None
        seq = len(acts) + 1
        code = None
        if kind == "promotion":
            ymd = np.datetime_as_string(np.datetime64(start, "s"), unit="D").replace("-", "")[2:]
            tag = c.community_id[2:].upper()
            code = (
                f"618-{tag}"
                if name.startswith("618")
                else f"1111-{tag}"
                if name.startswith("双11")
                else f"{tag}-{ymd}"
            )
        acts.append(
            Activity(
                f"act_{c.community_id[2:]}_{seq:03d}",
                c.community_id,
                name,
                kind,
                planned,
                start,
                end,
                notified,
                cost,
                code,
            )
        )
    return acts


PART_RATE = {
    "checkin": (0.2, 0.45), "topic": (0.08, 0.3), "lecture": (0.15, 0.4), "webinar": (0.2, 0.45),
    "lottery": (0.3, 0.6), "bounty": (0.04, 0.12), "promotion": (0.1, 0.25),
}  # fmt: skip


def participants(
    c: Community, spells: Spells, acts: list[Activity], rng: np.random.Generator, out: Rows
) -> dict[str, list[int]]:
    """activity_participants rows; returns activity_id -> participating spell indices."""
    chosen: dict[str, list[int]] = {}
    for a in acts:
        elig = (spells.kind == KIND_REGULAR) & (spells.join <= a.start) & (spells.leave > a.end)
        rate = rng.uniform(*PART_RATE[a.kind])
        k = min(round(a.notified * rate), int(elig.sum()))
        weights = np.where(elig, spells.weight + 0.3, 0.0)
        idx = weighted_sample_without_replacement(rng, weights, k)
        when = a.start + (rng.random(idx.size) * max(a.end - a.start, 60)).astype(np.int64)
        sub: list[object]
        if a.kind in ("checkin", "bounty", "lecture"):
            sub = [bool(x) for x in rng.random(idx.size) < 0.6]
        else:
            sub = [None] * idx.size
        out["activity_id"].extend([a.activity_id] * idx.size)
        out["member_id"].extend(spells.member_id[idx].tolist())
        out["participated_at"].extend(when.tolist())
        out["submitted"].extend(sub)
        chosen[a.activity_id] = idx.tolist()
        if rng.random() < 0.12:  # the owner joins in now and then (excluded by the metrics)
            out["activity_id"].append(a.activity_id)
            out["member_id"].append(c.owner)
            out["participated_at"].append(a.start + int(rng.integers(60, 3600)))
            out["submitted"].append(None)
    return chosen


def _amounts(rng: np.random.Generator, theme: str, n: int) -> np.ndarray:
    prices = np.asarray(PRICES[theme])
    qty = rng.choice([1, 1, 1, 1, 2, 2, 3], n)
    disc = np.where(rng.random(n) < 0.3, rng.choice([5.0, 10.0, 20.0], n), 0.0)
    return np.round(np.maximum(prices[rng.integers(0, prices.size, n)] * qty - disc, 1.0), 2)


def orders(
    c: Community, spells: Spells, acts: list[Activity], w0: int, w1: int, rng: np.random.Generator, out: Rows
) -> None:
    """Baseline purchases by members, and campaign orders driven by promotions."""
    theme = c.theme
    rate = PURCHASE_RATE[theme]
    if rate <= 0:
        return
    lo = max(c.created, w0)
    reg = np.flatnonzero(spells.kind == KIND_REGULAR)
    s0 = np.maximum(spells.join[reg], lo)
    s1 = np.minimum(spells.leave[reg], w1)
    dur = np.maximum(s1 - s0, 0).astype(np.float64)
    propensity = rng.gamma(0.6, 1 / 0.6, reg.size) * (1 + np.sqrt(spells.weight[reg]))
    exp_orders = float((dur / (30 * DAY) * rate * propensity).sum())
    n = int(rng.poisson(exp_orders))
    pick = weighted_pick(rng, dur * propensity, n)
    who = reg[pick]
    t = (s0[pick] + rng.random(n) * dur[pick]).astype(np.int64)
    t = np.minimum(t, w1 - 1)
    _emit(c, rng, out, spells.member_id[who].tolist(), t, theme, None, no_community_share=0.1)
    if c.purpose == "sales":  # the owner buys too now and then (staff orders are excluded by the metrics)
        t_staff = np.sort(lo + rng.integers(DAY, max(2 * DAY, w1 - lo - DAY), 2)).astype(np.int64)
        _emit(c, rng, out, [c.owner, c.owner], t_staff, theme, None, no_community_share=0.0)

    for a in acts:
        if a.code is None:
            continue
        elig = (spells.kind == KIND_REGULAR) & spells.present_at(a.start)
        conv = rng.uniform(0.04, 0.12) * (1.8 if a.name.startswith(("618", "双11")) else 1.0)
        k = int(rng.binomial(a.notified, conv))
        buyers = weighted_sample_without_replacement(rng, np.where(elig, spells.weight + 0.5, 0.0), k)
        # some buy twice during the campaign
        buyers = np.concatenate([buyers, buyers[rng.random(buyers.size) < 0.18]])
        span = a.end + 7 * DAY - a.start
        ts = a.start + np.minimum(rng.exponential(span / 5, buyers.size), span - 60).astype(np.int64)
        late = rng.random(buyers.size) < 0.04  # paid after the attribution window
        ts = np.where(late, a.end + 7 * DAY + rng.integers(HOUR, 5 * DAY, buyers.size), ts)
        ts = np.maximum(ts, a.start + 30)
        keep = (ts < w1) & (ts < spells.leave[buyers])
        _emit(
            c,
            rng,
            out,
            spells.member_id[buyers[keep]].tolist(),
            ts[keep],
            theme,
            a.code,
            no_community_share=0.0,
        )


def _emit(
    c: Community,
    rng: np.random.Generator,
    out: Rows,
    customers: list[object],
    t: I64,
    theme: str,
    code: str | None,
    no_community_share: float,
) -> None:
    n = len(customers)
    if n == 0:
        return
    amount = _amounts(rng, theme, n)
    refund = _refunds(rng, amount)
    no_comm = rng.random(n) < no_community_share
    out["customer_id"].extend(customers)
    out["community_id"].extend([None if x else c.community_id for x in no_comm.tolist()])
    out["paid_at"].extend(t.tolist())
    out["amount"].extend(amount.tolist())
    out["refund_amount"].extend(refund.tolist())
    if code is not None:
        out["campaign_code"].extend([code] * n)
        out["utm_source"].extend(["wecom" if c.tpl.platform == "wecom_group" else "wechat"] * n)
        out["utm_medium"].extend(["community"] * n)
        out["utm_campaign"].extend([code] * n)
    else:
        tagged = rng.random(n) < 0.4
        src = "wecom" if c.tpl.platform == "wecom_group" else "wechat"
        out["campaign_code"].extend([None] * n)
        out["utm_source"].extend([src if x else None for x in tagged.tolist()])
        out["utm_medium"].extend(
            [
                ("group" if y < 0.7 else "moments") if x else None
                for x, y in zip(tagged.tolist(), rng.random(n).tolist(), strict=True)
            ]
        )
        out["utm_campaign"].extend([None] * n)


def _refunds(rng: np.random.Generator, amount: np.ndarray) -> np.ndarray:
    u = rng.random(amount.size)
    full = u < 0.04
    part = (u >= 0.04) & (u < 0.065)
    return np.round(
        np.where(full, amount, np.where(part, amount * rng.uniform(0.2, 0.6, amount.size), 0.0)), 2
    )


def outside_orders(
    customers: list[str], themes: list[str], community_ids: list[str], w0: int, w1: int, n: int,
    rng: np.random.Generator, out: Rows,
) -> None:  # fmt: skip
    """Shop orders by people who are in no community; mostly unattributed."""
    if n <= 0 or not customers:
        return
    prop = rng.gamma(0.5, 2.0, len(customers))
    who = weighted_pick(rng, prop, n)
    t = np.sort(w0 + (rng.random(n) * (w1 - w0)).astype(np.int64))
    theme_idx = rng.integers(0, len(themes), n)
    amount = np.zeros(n)
    for i, th in enumerate(themes):
        m = theme_idx == i
        amount[m] = _amounts(rng, th, int(m.sum()))
    attributed = rng.random(n) < 0.08
    out["customer_id"].extend([customers[i] for i in who.tolist()])
    out["community_id"].extend(
        [
            community_ids[int(j)] if a else None
            for a, j in zip(attributed.tolist(), rng.integers(0, len(community_ids), n).tolist(), strict=True)
        ]
    )
    out["paid_at"].extend(t.tolist())
    out["amount"].extend(amount.tolist())
    out["refund_amount"].extend(_refunds(rng, amount).tolist())
    src = np.asarray(["douyin", "baidu", "mp", "", "", ""], dtype=object)[rng.integers(0, 6, n)]
    out["campaign_code"].extend([None] * n)
    out["utm_source"].extend([s or None for s in src.tolist()])
    out["utm_medium"].extend(
        [("cpc" if s in ("douyin", "baidu") else "article") if s else None for s in src.tolist()]
    )
    out["utm_campaign"].extend([None] * n)


def costs(c: Community, acts: list[Activity], w0: int, w1: int, rng: np.random.Generator, out: Rows) -> None:
    lo = max(c.created, w0)
    d = np.datetime64(lo, "s").astype("datetime64[M]").astype(object)
    y, m = d.year, d.month
    prizes: dict[str, float] = {}
    for a in acts:
        if a.cost:
            lab = str(np.datetime64(a.start, "s").astype("datetime64[M]"))
            prizes[lab] = prizes.get(lab, 0.0) + a.cost
    while month_start(y, m) < w1:
        lab = month_label(y, m)
        # An operator runs several groups: each group carries a share of a salary, SCRM seats and ads.
        items: list[tuple[str, float]] = [
            ("labor", float(rng.uniform(800, 2000))),
            ("tools", float(rng.choice([99.0, 199.0, 299.0]))),
        ]
        if lab in prizes:
            items.append(("prizes", prizes[lab]))
        if c.purpose == "sales" or c.stage_at(month_start(y, m)) == "startup" or rng.random() < 0.3:
            items.append(("ads", float(rng.uniform(500, 2500))))
        if c.purpose == "content" and rng.random() < 0.5:
            items.append(("content", float(rng.uniform(200, 1000))))
        for kind, amount in items:
            out["community_id"].append(c.community_id)
            out["month"].append(lab)
            out["kind"].append(kind)
            out["amount"].append(round(amount, 2))
        y, m = add_months(y, m, 1)


NPS_DIST = {  # probabilities for scores 0..10
    "good": (0.01, 0.01, 0.01, 0.02, 0.02, 0.04, 0.05, 0.1, 0.2, 0.26, 0.28),
    "mid": (0.02, 0.02, 0.03, 0.04, 0.05, 0.08, 0.1, 0.16, 0.2, 0.15, 0.15),
}


def surveys(
    c: Community,
    spells: Spells,
    q_t: I64,
    q_spell: np.ndarray,
    q_delay: I64,
    w0: int,
    w1: int,
    rng: np.random.Generator,
    out: Rows,
) -> None:
    """Monthly NPS waves; CSAT after answered member questions (score follows response speed)."""
    lo = max(c.created + 10 * DAY, w0)
    d = np.datetime64(lo, "s").astype("datetime64[M]").astype(object)
    y, m = d.year, d.month
    dist = np.asarray(
        NPS_DIST["mid" if (c.primary and c.tpl.staff_flood) or c.stage_at(w1) == "startup" else "good"]
    )
    every = 3 if c.tpl.b2b else 1
    k = 0
    while month_start(y, m) < w1:
        wave = month_start(y, m) + int(rng.integers(24, 28)) * DAY + 10 * HOUR
        if wave >= lo and wave < w1 and k % every == 0:
            elig = np.flatnonzero((spells.kind == KIND_REGULAR) & spells.present_at(wave))
            n = int(rng.binomial(elig.size, 0.08))
            who = rng.choice(elig, n, replace=False) if n else np.zeros(0, np.intp)
            scores = rng.choice(11, n, p=dist / dist.sum())
            ts = wave + rng.integers(0, 3 * DAY, n)
            ts = np.minimum(ts, w1 - 1)
            keep = spells.leave[who] > ts
            band = np.where(scores >= 9, 0, np.where(scores >= 7, 1, 2))[keep]
            bank = (NPS_COMMENTS["promoter"], NPS_COMMENTS["passive"], NPS_COMMENTS["detractor"])
            _survey_block(
                out,
                c,
                spells.member_id[who[keep]],
                "nps",
                scores[keep],
                ts[keep],
                _comments(rng, bank, band, 0.35),
            )
            if k == 0:  # a staff member answers the survey once (excluded by the metrics)
                owner = np.asarray([c.owner], dtype=object)
                _survey_block(out, c, owner, "nps", np.asarray([10]), np.asarray([wave + HOUR]), [None])
        y, m = add_months(y, m, 1)
        k += 1

    if c.purpose in ("service", "sales") and q_t.size:
        pick = np.flatnonzero(rng.random(q_t.size) < 0.15)
        delay = q_delay[pick]
        tt = q_t[pick] + np.maximum(delay, 0) + rng.integers(10 * MINUTE, 24 * HOUR, pick.size)
        who = q_spell[pick].astype(np.intp)
        keep = (tt < w1) & (spells.leave[who] > tt)
        speed = np.where(delay < 0, 0, np.where(delay <= 30 * MINUTE, 1, 2))  # none / fast / slow
        cum = np.cumsum(np.asarray([CSAT_DIST[k] for k in ("none", "fast", "slow")]), axis=1)
        scores = (rng.random(pick.size)[:, None] > cum[speed]).sum(axis=1) + 1
        scores = np.minimum(scores, 5)[keep]
        csat_bank = (CSAT_COMMENTS["good"], CSAT_COMMENTS["bad"])
        comments = _comments(rng, csat_bank, np.where(scores >= 4, 0, 1), 0.3)
        _survey_block(out, c, spells.member_id[who[keep]], "csat", scores, tt[keep], comments)


CSAT_DIST = {  # probabilities for scores 1..5 by how the question was answered
    "none": (0.3, 0.3, 0.25, 0.1, 0.05),
    "fast": (0.01, 0.02, 0.07, 0.35, 0.55),
    "slow": (0.05, 0.1, 0.3, 0.35, 0.2),
}


def _comments(
    rng: np.random.Generator, banks: tuple[tuple[str, ...], ...], which: np.ndarray, share: float
) -> list[str | None]:
    n = which.size
    has = (rng.random(n) < share).tolist()
    u = rng.random(n).tolist()
    return [
        banks[b][int(x * len(banks[b]))] if h else None
        for b, h, x in zip(which.tolist(), has, u, strict=True)
    ]


def _survey_block(
    out: Rows,
    c: Community,
    members: np.ndarray,
    kind: str,
    scores: np.ndarray,
    ts: np.ndarray,
    comments: list[str | None],
) -> None:
    n = members.size
    out["community_id"].extend([c.community_id] * n)
    out["member_id"].extend(members.tolist())
    out["kind"].extend([kind] * n)
    out["score"].extend(scores.tolist())
    out["answered_at"].extend(ts.tolist())
    out["comment"].extend(comments)


def leads(
    c: Community,
    spells: Spells,
    acts: list[Activity],
    chosen: dict[str, list[int]],
    w0: int,
    w1: int,
    rng: np.random.Generator,
    out: Rows,
) -> None:
    """Leads from the B2B communities: whitepapers, webinars, inquiries, consultations."""
    if c.purpose != "leads":
        return
    lo = max(c.created, w0)
    reg = np.flatnonzero(spells.kind == KIND_REGULAR)
    s0 = np.maximum(spells.join[reg], lo)
    s1 = np.minimum(spells.leave[reg], w1)
    dur = np.maximum(s1 - s0, 0).astype(np.float64)
    n = int(rng.poisson(dur.sum() / (30 * DAY) * 0.15))
    pick = weighted_pick(rng, dur * (spells.weight[reg] + 0.2), n)
    who = reg[pick].tolist()
    ts = (s0[pick] + rng.random(n) * dur[pick]).astype(np.int64).tolist()
    src = rng.choice(["whitepaper", "inquiry", "consult", "other"], n, p=[0.4, 0.3, 0.25, 0.05]).tolist()
    for a in acts:
        if a.kind == "webinar":
            for s in chosen.get(a.activity_id, []):
                if rng.random() < 0.4:
                    who.append(s)
                    ts.append(a.start + int(rng.integers(0, 2 * HOUR)))
                    src.append("webinar")
    seen: set[tuple[int, int]] = set()
    for s, t, so in zip(who, ts, src, strict=True):
        if (s, t) in seen or t >= w1:
            continue
        seen.add((s, t))
        age = w1 - t
        u = rng.random()
        qualified: bool | None = (u < 0.45) if age > 14 * DAY or u < 0.3 else None
        converted, deal = None, None
        if qualified and rng.random() < 0.3:
            ct = t + int(rng.integers(7 * DAY, 60 * DAY))
            if ct < w1:
                converted = ct
                deal = round(float(rng.lognormal(np.log(80_000), 0.8)), 2)
        out["community_id"].append(c.community_id)
        out["member_id"].append(spells.member_id[s])
        out["source"].append(so)
        out["created_at"].append(t)
        out["qualified"].append(qualified)
        out["converted_at"].append(converted)
        out["deal_amount"].append(deal)


def reach(c: Community, spells: Spells, w0: int, w1: int, rng: np.random.Generator, out: Rows) -> None:
    """People shown each channel's invite per day; joins / reach gives the join rate."""
    lo = max(c.created, w0)
    d0, d1 = lo // DAY, w1 // DAY
    nd = d1 - d0
    if nd <= 0:
        return
    reg = (spells.kind == KIND_REGULAR) & (spells.join >= lo) & (spells.join < w1)
    srcs = spells.source[reg]
    jday = spells.join[reg] // DAY - d0
    startup = c.stage_at(w1) == "startup"
    for ch in sorted({s for s in srcs.tolist() if s and s != "referral"}):
        joins = np.bincount(jday[srcs == ch].astype(np.int64), minlength=nd)[:nd].astype(np.float64)
        conv = rng.uniform(0.22, 0.36) if startup else rng.uniform(0.1, 0.3)
        base = rng.uniform(0.5, 3.0)
        reached = rng.poisson(joins / conv + base) + joins.astype(np.int64)
        days = np.arange(d0, d1)
        keep = reached > 0
        out["community_id"].extend([c.community_id] * int(keep.sum()))
        out["channel"].extend([ch] * int(keep.sum()))
        out["day"].extend(days[keep].tolist())
        out["reached"].extend(reached[keep].tolist())


def staff_spell_check(spells: Spells) -> bool:
    """All staff spells are open-ended (used by tests)."""
    return bool(np.all(spells.leave[spells.kind == KIND_STAFF] == NEVER))
