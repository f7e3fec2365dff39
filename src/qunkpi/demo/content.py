"""Content accounts (posts, account_daily) and staff work (staff_logs, reviews)."""

from __future__ import annotations

import numpy as np

from qunkpi.demo.business import Rows
from qunkpi.demo.common import DAY, HOUR, MINUTE, add_months, month_label, month_start

ARTICLE_CATEGORIES = ("行业干货", "产品", "活动", "品牌故事", "用户故事")
ARTICLE_CAT_P = (0.4, 0.25, 0.2, 0.1, 0.05)
ARTICLE_TITLES: dict[str, tuple[str, ...]] = {
    "行业干货": (
        "{n}个减脂误区，你中了几个？", "外卖怎么点才不胖？营养师给出{n}条建议", "私域运营的{n}个核心指标",
        "宝宝辅食添加全攻略（建议收藏）", "跑步伤膝？这{n}个动作一定要做", "一文读懂新能效标准",
        "轻食不等于少吃：{n}张图看懂热量缺口", "春季养生：{n}种当季食材推荐",
    ),
    "产品": ("新品上市｜{n}款低卡零食测评", "代餐奶昔升级了，这次有{n}种口味", "会员权益全面升级", "空气炸锅的{n}种神仙吃法"),
    "活动": ("618福利清单来了", "本周会员日：满199减30", "21天打卡挑战第{n}期开始报名", "晒单抽奖结果公布", "双11预售攻略"),
    "品牌故事": ("我们为什么坚持做轻食", "一家小工厂的{n}年", "创始人来信"),
    "用户故事": ("坚持打卡{n}天，她瘦了20斤", "一位宝妈的副业故事", "书友说｜读完这本书我辞职了"),
}  # fmt: skip
VIDEO_TITLES = (
    "{n}分钟学会一道快手轻食", "跟练｜{n}分钟燃脂操", "开箱：新品代餐到底好不好喝", "营养师说：晚饭吃什么",
    "工厂探访｜一颗压缩机电容的诞生", "读书会现场花絮", "宝宝辅食第{n}弹", "测评：{n}款空气炸锅横评",
)  # fmt: skip
LIVE_TITLES = ("周四福利直播间", "营养师在线答疑直播", "新品首发直播", "会员日专场直播")
MP_SOURCES = ("搜一搜", "扫描二维码", "文章内账号名称", "名片分享", "其他合计")
MP_SOURCE_P = (0.3, 0.25, 0.2, 0.1, 0.15)


def _title(rng: np.random.Generator, templates: tuple[str, ...]) -> str:
    return templates[int(rng.integers(len(templates)))].format(n=int(rng.integers(3, 12)))


def content_accounts(w0: int, w1: int, rng: np.random.Generator, posts: Rows, daily: Rows) -> None:
    d0, d1 = w0 // DAY, w1 // DAY
    days = np.arange(d0, d1)
    nd = days.size

    # ---- follower curves first (articles and videos pull followers)
    accounts = {
        "mp_brand": (48_000, 55.0, 24.0),
        "sph_brand": (12_000, 70.0, 20.0),
    }
    totals: dict[str, np.ndarray] = {}
    for acc, (start, new_mu, unf_mu) in accounts.items():
        new = rng.poisson(new_mu * rng.lognormal(0, 0.35, nd))
        unf = rng.poisson(unf_mu * rng.lognormal(0, 0.3, nd))
        total = start + np.cumsum(new - unf)
        totals[acc] = total
        if acc == "mp_brand":
            for i in range(nd):
                share_new = rng.multinomial(int(new[i]), MP_SOURCE_P)
                share_unf = rng.multinomial(int(unf[i]), MP_SOURCE_P)
                for s, src in enumerate(MP_SOURCES):
                    _daily(daily, acc, int(days[i]), int(total[i]), int(share_new[s]), int(share_unf[s]), src)
        else:
            for i in range(nd):
                _daily(daily, acc, int(days[i]), int(total[i]), int(new[i]), int(unf[i]), None)

    # ---- official-account articles: about six a week, some weeks short of the quota
    seq: dict[str, int] = {}
    week_factor = rng.choice([1.0, 1.0, 1.0, 0.55], (nd + 6) // 7 + 1)
    n_art = rng.poisson(0.9 * week_factor[np.arange(nd) // 7])
    for i in np.flatnonzero(n_art).tolist():
        for _ in range(int(n_art[i])):
            slot = rng.choice([8 * HOUR, 12 * HOUR, 20 * HOUR], p=[0.3, 0.3, 0.4])
            t = int(days[i]) * DAY + int(slot) + int(rng.integers(-20 * MINUTE, 40 * MINUTE))
            cat = ARTICLE_CATEGORIES[int(rng.choice(5, p=ARTICLE_CAT_P))]
            delivered = int(totals["mp_brand"][i] * rng.uniform(0.9, 0.98))
            open_rate = float(
                np.clip(rng.lognormal(np.log(0.05 if cat != "行业干货" else 0.065), 0.35), 0.01, 0.16)
            )
            read = int(delivered * open_rate)
            share = int(read * rng.uniform(0.02, 0.09))
            _post(
                posts, seq, "mp_brand", "article", t, _title(rng, ARTICLE_TITLES[cat]), bool(rng.random() < 0.8), cat,
                delivered=delivered, read=read, from_share=int(read * rng.uniform(0.08, 0.45)), share=share,
                fav=int(read * rng.uniform(0.005, 0.04)), comments=int(rng.poisson(read * 0.004)),
                likes=int(read * rng.uniform(0.01, 0.04)), completion=round(float(rng.uniform(0.35, 0.75)), 3),
                watch=None, imp=None, clicks=None, new_f=int(rng.poisson(read * 0.01)),
            )  # fmt: skip

    # ---- Channels: about three videos a week, a live every other Thursday
    n_vid = rng.poisson(0.45, nd)
    for i in np.flatnonzero(n_vid).tolist():
        for _ in range(int(n_vid[i])):
            t = int(days[i]) * DAY + int(rng.integers(11 * HOUR, 21 * HOUR))
            plays = int(rng.lognormal(np.log(3000), 0.9))
            _post(
                posts, seq, "sph_brand", "video", t, _title(rng, VIDEO_TITLES), bool(rng.random() < 0.9),
                str(rng.choice(["行业干货", "产品", "活动"], p=[0.45, 0.35, 0.2])),
                delivered=None, read=plays, from_share=int(plays * rng.uniform(0.1, 0.5)),
                share=int(plays * rng.uniform(0.005, 0.03)), fav=int(plays * rng.uniform(0.003, 0.02)),
                comments=int(rng.poisson(plays * 0.003)), likes=int(plays * rng.uniform(0.01, 0.06)),
                completion=round(float(rng.uniform(0.12, 0.5)), 3), watch=round(float(rng.uniform(8, 45)), 1),
                imp=None, clicks=None, new_f=int(rng.poisson(plays * 0.006)),
            )  # fmt: skip
    thursdays = days[(days + 3) % 7 == 3][::2]
    for dd in thursdays:
        t = int(dd) * DAY + 20 * HOUR
        viewers = int(rng.lognormal(np.log(1500), 0.5))
        imp = int(viewers * rng.uniform(0.6, 1.5))
        _post(
            posts, seq, "sph_brand", "live", t, LIVE_TITLES[int(rng.integers(len(LIVE_TITLES)))], True, "活动",
            delivered=None, read=viewers, from_share=int(viewers * rng.uniform(0.05, 0.3)),
            share=int(viewers * rng.uniform(0.01, 0.05)), fav=None, comments=int(rng.poisson(viewers * 0.2)),
            likes=int(viewers * rng.uniform(2, 8)), completion=None, watch=round(float(rng.uniform(60, 600)), 1),
            imp=imp, clicks=int(imp * rng.uniform(0.03, 0.12)), new_f=int(rng.poisson(viewers * 0.02)),
        )  # fmt: skip


def _daily(out: Rows, acc: str, day: int, total: int, new: int, unf: int, source: str | None) -> None:
    out["account_id"].append(acc)
    out["day"].append(day)
    out["followers_total"].append(total)
    out["new_followers"].append(new)
    out["unfollows"].append(unf)
    out["source"].append(source)


def _post(
    out: Rows, seq: dict[str, int], acc: str, kind: str, t: int, title: str, original: bool, category: str | None, *,
    delivered: int | None, read: int, from_share: int | None, share: int | None, fav: int | None,
    comments: int | None, likes: int | None, completion: float | None, watch: float | None, imp: int | None,
    clicks: int | None, new_f: int | None,
) -> None:  # fmt: skip
    ymd = np.datetime_as_string(np.datetime64(t, "s"), unit="D").replace("-", "")
    key = f"{acc}_{ymd}"
    seq[key] = seq.get(key, 0) + 1
    row = {
        "post_id": f"{key}_{seq[key]}", "account_id": acc, "kind": kind, "published_at": t, "title": title,
        "is_original": original, "category": category, "delivered": delivered, "read_users": read,
        "reads_from_share": from_share, "share_users": share, "favorite_users": fav, "comments": comments,
        "likes": likes, "completion_rate": completion, "avg_watch_seconds": watch, "product_impressions": imp,
        "product_clicks": clicks, "new_followers": new_f,
    }  # fmt: skip
    for k, v in row.items():
        out[k].append(v)


QUALITY = {
    "wangfang": 94.0,
    "lina": 84.0,
    "sunli": 80.0,
    "zhaolei": 63.0,
    "zhouqian": 86.0,
    "liuyang": 85.0,
    "chenjing": 83.0,
}
NOTES_GOOD = ("本月话题引爆次数达标", "响应及时，用户好评多", "活动执行到位", "主动提出流程优化建议")
NOTES_BAD = ("30分钟响应率偏低，需改进", "访谈数量未达标", "SOP检查多次未通过", "活动延期上线")


def staff_work(
    staff: list[tuple[str, str, str, str]],
    w0: int,
    w1: int,
    rng: np.random.Generator,
    logs: Rows,
    reviews: Rows,
) -> None:
    d0, d1 = w0 // DAY, w1 // DAY
    days = np.arange(d0, d1)
    wd = (days + 3) % 7
    for sid, _name, role, _team in staff:
        quality = QUALITY.get(sid, float(rng.uniform(72, 90)))
        workday = (wd < 5) | ((wd == 5) & (rng.random(days.size) < 0.2))
        if role == "specialist":
            lam = {"interview": 2.4 + quality / 40, "topic": 0.45, "profile_update": 5.0}
            p_pass = 0.75 if quality < 70 else 0.92
            p_prop = 0.02
        elif role == "manager":
            lam = {"interview": 1.0, "topic": 0.1}
            p_pass, p_prop = -1.0, 0.06
        else:
            lam = {"interview": 0.5}
            p_pass, p_prop = -1.0, 0.04
        for i in np.flatnonzero(workday):
            day = int(days[i])
            for kind, mu in lam.items():
                n = int(rng.poisson(mu))
                if n:
                    _log(logs, sid, day, kind, n, None)
            if p_pass >= 0:
                _log(logs, sid, day, "sop_check", 1, bool(rng.random() < p_pass))
            if rng.random() < p_prop:
                _log(logs, sid, day, "proposal", 1, None)

        d = np.datetime64(w0, "s").astype("datetime64[M]").astype(object)
        y, m = d.year, d.month
        k = 0
        while month_start(y, m) < w1:
            trend = 2.0 if (sid == "wangfang" and k >= 6) else 0.0
            sup = None if role == "director" else float(np.clip(rng.normal(quality + trend, 3.5), 35, 100))
            self_score = float(np.clip(rng.normal(86, 5), 50, 100))
            note = None
            if sup is not None and rng.random() < 0.4:
                note = NOTES_GOOD[int(rng.integers(4))] if sup >= 80 else NOTES_BAD[int(rng.integers(4))]
            reviews["staff_id"].append(sid)
            reviews["period"].append(month_label(y, m))
            reviews["self_score"].append(round(self_score, 1))
            reviews["supervisor_score"].append(None if sup is None else round(sup, 1))
            reviews["notes"].append(note)
            y, m = add_months(y, m, 1)
            k += 1


def _log(out: Rows, sid: str, day: int, kind: str, count: int, passed: bool | None) -> None:
    out["staff_id"].append(sid)
    out["day"].append(day)
    out["kind"].append(kind)
    out["count"].append(count)
    out["passed"].append(passed)
