"""Benchmark: message classification, lexicon sentiment, PII redaction, and the model sentiment.

    python bench/bench_classify.py --n 1000000                  # synthetic chat, 1 and 2 DuckDB threads
    python bench/bench_classify.py --workspace demo-workspace   # an existing workspace's messages
    python bench/bench_classify.py --n 1000000 --unique         # worst case: every text distinct
    python bench/bench_classify.py --demo medium                # the demo data (≈5.4M messages): bench/data/medium

Synthetic messages are composed from hand-written fragments with random slots (products, numbers,
times, emoji), so most texts are distinct (the share is printed), with realistic proportions of
filler, questions, check-ins, shares, spam, PII-bearing texts, non-text types, replies and staff.
Timed separately: (1) ``redact_array`` over the text column (what the importer runs), (2)
``classify_workspace(full=True)`` with the lexicon sentiment only, (3) the model sentiment alone
(numpy, over every text message), (4) ``classify_workspace(full=True)`` with the model on.
Figures per core come from runs with DuckDB limited to one thread (and redaction on one thread).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute
import pyarrow.parquet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qunkpi.classify.engine import classify_workspace  # noqa: E402
from qunkpi.classify.model import shipped_model  # noqa: E402
from qunkpi.classify.pii import redact_array  # noqa: E402
from qunkpi.workspace import Workspace  # noqa: E402

PRODUCTS = [
    "奶粉",
    "纸尿裤",
    "面膜",
    "精华",
    "车厘子",
    "橙子",
    "蛋白粉",
    "课程",
    "护手霜",
    "猫粮",
    "辅食机",
    "绘本",
    "防晒霜",
    "洗发水",
    "牛排",
]
PEOPLE = ["宝宝", "孩子", "我家娃", "老公", "我妈", "闺女", "儿子", "小区邻居", "同事"]
FILLER = [
    "收到",
    "收到！",
    "好的",
    "好的👌",
    "谢谢老师",
    "谢谢老师🙏",
    "[强]",
    "[强][强]",
    "1",
    "+1",
    "666",
    "哈哈哈",
    "哈哈哈哈😂",
    "嗯嗯",
    "早安",
    "早上好☀️",
    "晚安🌙",
    "ok",
    "OK👍",
    "好滴",
    "辛苦了",
    "[捂脸]",
    "👍👍",
    "😂😂😂",
    "好的谢谢",
    "收到，谢谢",
]
Q = [
    "请问{p}什么时候发货？",
    "{p}还有货吗",
    "有没有人用过这个{p}",
    "这个{p}怎么用啊",
    "{n}号的直播几点开始",
    "{p}和上次那款有什么区别？",
    "有没有人知道这个怎么退款",
    "求个{p}的链接",
    "{who}最近总是夜醒怎么办",
    "为什么我的订单{n}天了还没到？",
    "能不能开发票",
    "大家{p}都在哪买的",
]
CHAT = [
    "今天{who}{act}，{feel}",
    "我家{p}用了{n}天了，{feel}",
    "{who}{act}{tail}",
    "刚到家，{act}{tail}",
    "我也不知道为什么{act}",
    "昨天忘记打卡了{tail}",
    "{p}收到了，{feel}",
    "周末{act}，{feel}",
    "听老师这么一说，{feel}",
    "{who}说{p}{feel}",
]
ACT = [
    "去公园玩了一下午",
    "吃了半碗饭",
    "学会了翻身",
    "第一次自己睡",
    "在家做了蛋糕",
    "跑了{n}公里",
    "刚开完会",
    "排队排了{n}分钟",
    "把{p}拆开了",
    "又熬夜了",
]
FEEL = [
    "挺开心的",
    "感觉还不错",
    "有点累",
    "太失望了",
    "真的很好用",
    "一言难尽",
    "买贵了",
    "还行吧",
    "效果很明显",
    "不太好用",
    "特别满意",
    "有点担心",
    "心情特别好",
    "非常失望，再也不买了",
    "没想到这么快",
]
TAIL = ["😂", "🙏", "[捂脸]", "", "", "～", "！", "。", "[呲牙]", "哈哈"]
CHECKIN = [
    "今日{n}公里✅ 用时{m}分",
    "打卡第{n}天",
    "Day {n} 完成",
    "#打卡 早餐：燕麦+鸡蛋",
    "今天背了{n}个单词",
    "体重{w}kg 打卡",
    "第{n}天，坚持就是胜利",
]
SHARE = [
    "https://mp.weixin.qq.com/s/{h} 这篇讲{p}的文章写得很好",
    "分享一个{p}的使用心得：先{act}，再{act}，坚持了{n}天，{feel}，推荐给大家参考一下",
    "给大家整理了一下这周直播的重点：第一，{p}要看成分；第二，{who}的作息要规律；第三，有问题及时在群里问老师",
]
SPAM = [
    "加微{h}领取{p}优惠",
    "需要{p}的姐妹私我，价格美丽",
    "宝妈兼职，日结{n}元，有意者私聊",
    "本人代理{p}，拿货价超低",
    "https://s.tb.cn/{h} 限时秒杀{p}，券后{n}元",
]
PII = [
    "我电话13{d}，快递到了打我",
    "订单号 2024{d}{n} 麻烦查一下",
    "我的邮箱 user{n}@qq.com",
    "+86 138 {n4} {m4} 找我",
    "卡号 6222{d}{n} 尾号那个",
]


def _fill(t: str, rng: random.Random) -> str:
    if "{act}" in t:
        t = t.replace("{act}", rng.choice(ACT), 1).replace("{act}", rng.choice(ACT))
    return (
        t.replace("{p}", rng.choice(PRODUCTS))
        .replace("{who}", rng.choice(PEOPLE))
        .replace("{feel}", rng.choice(FEEL))
        .replace("{tail}", rng.choice(TAIL))
        .replace("{n4}", f"{rng.randint(1000, 9999)}")
        .replace("{m4}", f"{rng.randint(1000, 9999)}")
        .replace("{n}", str(rng.randint(1, 60)))
        .replace("{m}", str(rng.randint(20, 60)))
        .replace("{w}", f"{rng.uniform(45, 90):.1f}")
        .replace("{d}", f"{rng.randint(10**8, 10**9 - 1)}")
        .replace("{h}", f"{rng.getrandbits(40):x}")
    )


def synth_messages(n: int, communities: int = 200, seed: int = 7, unique: bool = False) -> pa.Table:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    kinds = nrng.choice(
        ["filler", "q", "chat", "checkin", "share", "spam", "pii", "image", "emotion", "system", "link"],
        size=n,
        p=[0.24, 0.13, 0.33, 0.06, 0.04, 0.015, 0.01, 0.08, 0.06, 0.015, 0.02],
    )
    pools = {
        "filler": FILLER,
        "q": Q,
        "chat": CHAT,
        "checkin": CHECKIN,
        "share": SHARE,
        "spam": SPAM,
        "pii": PII,
    }
    texts: list[str | None] = []
    types: list[str] = []
    for i, k in enumerate(kinds):
        if k in pools:
            t = rng.choice(pools[k]) if k == "filler" else _fill(rng.choice(pools[k]), rng)
            if unique:
                t = f"{t} {i}"
            texts.append(t)
            types.append("text")
        elif k == "system":
            texts.append("有新成员加入了群聊")
            types.append("system")
        elif k == "link":
            texts.append(_fill("{p}选购指南 https://example.cn/{h}", rng))
            types.append("link")
        else:
            texts.append(None)
            types.append(str(k))
    comm = nrng.integers(0, communities, size=n)
    sender = comm * 1000 + nrng.integers(0, 400, size=n)  # ~400 people per community
    staff_mask = nrng.random(n) < 0.06
    sender = np.where(staff_mask, comm * 1000 + 999, sender)
    t0 = np.datetime64("2025-01-01T00:00:00")
    secs = np.sort(nrng.integers(0, 180 * 86400, size=n))
    sent = t0 + secs.astype("timedelta64[s]")
    reply = np.full(n, None, dtype=object)
    rpos = np.flatnonzero(nrng.random(n) < 0.08)
    back = nrng.integers(1, 50, size=len(rpos))
    ok = rpos - back >= 0
    reply[rpos[ok]] = np.char.add("m", (rpos[ok] - back[ok]).astype(str))
    return pa.table(
        {
            "message_id": pa.array(np.char.add("m", np.arange(n).astype(str))),
            "community_id": pa.array(np.char.add("c", comm.astype(str))),
            "sender_id": pa.array(np.char.add("u", sender.astype(str))),
            "sent_at": pa.array(sent, type=pa.timestamp("us")),
            "msg_type": pa.array(types),
            "text": pa.array(texts, type=pa.string()),
            "reply_to": pa.array(reply, type=pa.string()),
            "recalled": pa.array(nrng.random(n) < 0.005),
        }
    )


def load_workspace_messages(path: Path) -> pa.Table:
    with Workspace.open(path, read_only=True) as ws:
        return ws.con.execute(
            "SELECT message_id, community_id, sender_id, sent_at, msg_type, text, reply_to, recalled FROM messages"
        ).to_arrow_table()


def demo_folder(scale: str, tmp: Path) -> Path:
    """``bench/data/<scale>`` when it has been generated (as for ``qunkpi bench``), else generate it into ``tmp``."""
    shared = ROOT / "bench" / "data" / scale
    if (shared / "messages.parquet").exists() and (shared / "members.csv").exists():
        return shared
    from qunkpi.demo import generate

    out = tmp / f"demo_{scale}"
    generate(out, scale)
    return out


def build_workspace(tmp: Path, msgs: pa.Table, folder: Path | None = None) -> Workspace:
    ws = Workspace.init(tmp / "ws")
    con = ws.con
    if folder is not None:  # the demo's own members and staff (raw ids, as in its messages)
        con.execute(
            f"""INSERT INTO members SELECT community_id, member_id, joined_at, left_at, source_channel, inviter_id,
                coalesce(is_staff, false), coalesce(role, 'member'), profile_filled, profile_total, NULL
                FROM read_csv('{folder / "members.csv"}', all_varchar=false)"""
        )
        con.execute(
            f"INSERT INTO staff SELECT staff_id, name, role, team, NULL FROM read_csv('{folder / 'staff.csv'}')"
        )
    con.register("_bench_msgs", msgs)
    con.execute(
        "INSERT INTO messages SELECT message_id, community_id, sender_id, sent_at, msg_type, text, reply_to, recalled, NULL FROM _bench_msgs"
    )
    con.unregister("_bench_msgs")
    if folder is not None:
        con.execute("CHECKPOINT")
        return ws
    con.execute(
        """INSERT INTO members SELECT DISTINCT community_id, sender_id, TIMESTAMP '2024-12-01', NULL, NULL, NULL,
           ends_with(sender_id, '999'), CASE WHEN ends_with(sender_id, '999') THEN 'staff' ELSE 'member' END, NULL, NULL, NULL
           FROM messages"""
    )
    con.execute("CHECKPOINT")
    return ws


class _StatementTimer:
    """Wraps a DuckDB connection to add up the time of the INSERT INTO message_labels statements."""

    def __init__(self, con, into_temp: bool = False) -> None:  # type: ignore[no-untyped-def]
        self.con = con
        self.write_s = 0.0
        self.write_cpu = 0.0
        self.into_temp = (
            into_temp  # send the final INSERT to a temp table: the compute without the durable write
        )

    def execute(self, sql, *args):  # type: ignore[no-untyped-def]
        t, c = time.perf_counter(), time.process_time()
        if self.into_temp and sql.lstrip().startswith("INSERT INTO message_labels"):
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE _bench_labels AS SELECT * FROM message_labels LIMIT 0"
            )
            sql = sql.replace("INSERT INTO message_labels", "INSERT INTO _bench_labels", 1)
            res = self.con.execute(sql, *args)
            self.write_s += time.perf_counter() - t
            self.write_cpu += time.process_time() - c
            return res
        res = self.con.execute(sql, *args)
        if sql.lstrip().startswith("INSERT INTO message_labels"):
            self.write_s += time.perf_counter() - t
            self.write_cpu += time.process_time() - c
        return res

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self.con, name)


def timed(label: str, fn, n: int, threads: int, results: dict, repeat: int = 1) -> object:  # type: ignore[no-untyped-def]
    """Run ``fn`` ``repeat`` times; report the median wall-clock rate and rate per CPU-second (process CPU time,
    all threads), with the spread of the runs.

    "Per core" = messages / CPU-seconds: what one fully used core does, independent of how busy the
    machine is with other work (wall time on a shared 2-core box is not). Runs on this machine vary by
    ±10 %, so one run is not a figure: the median of ``repeat`` is.
    """
    walls, cpus = [], []
    out = None
    for _ in range(max(1, repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    dt, dc = statistics.median(walls), statistics.median(cpus)
    rate, per_core = n / dt, n / max(dc, 1e-9)
    results[label] = {
        "seconds": round(dt, 3),
        "cpu_seconds": round(dc, 3),
        "messages_per_s": round(rate),
        "per_core_per_cpu_second": round(per_core),
        "threads": threads,
        "runs_cpu_seconds": [round(c, 3) for c in cpus],
    }
    spread = f"  (runs: {', '.join(f'{c:.2f}' for c in cpus)} s cpu)" if len(cpus) > 1 else ""
    print(
        f"{label:<48} {dt:7.2f} s wall {dc:7.2f} s cpu  {rate:>11,.0f} msg/s  {per_core:>11,.0f} msg per CPU-second{spread}",
        flush=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="synthetic messages (ignored with --workspace)")
    ap.add_argument("--workspace", type=Path, help="read messages from this workspace instead")
    ap.add_argument(
        "--demo",
        choices=["tiny", "small", "medium", "large"],
        help="the demo data of this scale: bench/data/SCALE, or generated into a temporary folder if missing",
    )
    ap.add_argument("--unique", action="store_true", help="make every synthetic text distinct (worst case)")
    ap.add_argument("--threads", default="1,2", help="DuckDB thread counts to run, e.g. 1,2")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each timed step; the median is reported (default 3)")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="qk_bench_"))
    folder = None
    if args.demo:
        folder = demo_folder(args.demo, tmp)
        msgs = pa.parquet.read_table(folder / "messages.parquet")
    elif args.workspace:
        msgs = load_workspace_messages(args.workspace)
    else:
        msgs = synth_messages(args.n, unique=args.unique)
    n = msgs.num_rows
    texts = msgs.column("text")
    n_text = n - texts.null_count
    distinct = len(pa.compute.unique(texts))
    print(
        f"{n:,} messages ({n_text:,} with text, {distinct:,} distinct texts = {distinct / max(n_text, 1):.0%}), "
        f"prepared in {time.perf_counter() - t:.1f}s; cpu count {os.cpu_count()}",
        flush=True,
    )
    results: dict[str, dict] = {"n": {"messages": n, "with_text": n_text, "distinct_texts": distinct}}  # type: ignore[dict-item]

    redacted = timed("redact_array (PII), 1 thread", lambda: redact_array(texts, threads=1), n, 1, results, args.repeat)
    timed("redact_array (PII), 2 threads", lambda: redact_array(texts, threads=2), n, 2, results, args.repeat)
    changed = int(pa.compute.sum(pa.compute.not_equal(redacted, texts.combine_chunks())).as_py() or 0)  # type: ignore[arg-type]
    print(f"  rows changed by redaction: {changed:,}")
    msgs = msgs.set_column(msgs.schema.get_field_index("text"), "text", redacted)

    try:
        ws = build_workspace(tmp, msgs, folder)
        real_con = ws.con
        for threads in [int(x) for x in args.threads.split(",") if x]:
            real_con.execute(f"SET threads = {threads}")
            ws.settings.classification.sentiment_model = False
            timer = _StatementTimer(real_con)
            ws._con = timer  # type: ignore[assignment]
            label = f"classify (classes + lexicon sentiment), {threads}T"
            summary = timed(label, lambda: classify_workspace(ws, full=True), n, threads, results, args.repeat)
            ws._con = real_con
            runs = max(1, args.repeat)
            results[label]["of_which_final_insert_s"] = round(timer.write_s / runs, 3)
            results[label]["of_which_final_insert_cpu_s"] = round(timer.write_cpu / runs, 3)
            print(
                f"  of which the final INSERT INTO message_labels (joins + durable write), mean of the runs: "
                f"{timer.write_s / runs:.2f} s wall, {timer.write_cpu / runs:.2f} s cpu"
            )
            timer = _StatementTimer(real_con, into_temp=True)
            ws._con = timer  # type: ignore[assignment]
            timed(
                f"same, labels into a temp table (no durable write), {threads}T",
                lambda: classify_workspace(ws, full=True),
                n,
                threads,
                results,
                args.repeat,
            )
            ws._con = real_con
            ws.settings.classification.sentiment_model = True
            timed(
                f"classify with model sentiment, {threads}T",
                lambda: classify_workspace(ws, full=True),
                n,
                threads,
                results,
                args.repeat,
            )
        print("  classes:", {k[4:]: v for k, v in summary.items() if k.startswith("cls_")})  # type: ignore[attr-defined]
        model = shipped_model()
        text_only = pa.compute.filter(redacted, pa.compute.is_valid(redacted))
        timed(
            "model sentiment alone (numpy), per text",
            lambda: model.score(text_only),
            len(text_only),
            1,
            results,
            args.repeat,
        )
        ws.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
