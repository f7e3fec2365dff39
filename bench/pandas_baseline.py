"""The pandas way: what a competent analyst would write to compute a representative set of qunkpi metrics.

Reads the canonical files of a data set (the demo data) into DataFrames and computes, per community and monthly
period, with vectorised pandas (groupby / merge / merge_asof): members_start, members_end, joins, leaves,
net_growth_rate, churn_rate, silent_ratio, active_members, engaged_members, core_interaction_rate, engaged_rate,
effective_message_share, ugc_count, response_30m_rate, gmv, buyers, orders, aov.

Message classes are read from the workspace's stored labels (``message_labels.parquet`` written by the bench), so
that the comparison checks the metric logic; the classifier is benchmarked on its own (bench/bench_classify.py).
Used by ``qunkpi bench --baseline pandas``; results must equal qunkpi's (relative 1e-9).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

METRICS = [
    "members_start", "members_end", "joins", "leaves", "net_growth_rate", "churn_rate", "silent_ratio",
    "active_members", "engaged_members", "core_interaction_rate", "engaged_rate", "effective_message_share",
    "ugc_count", "response_30m_rate", "gmv", "buyers", "orders", "aov",
]
FAR = pd.Timestamp("2999-01-01")


def _read(data: Path, name: str) -> pd.DataFrame:
    for ext in (".parquet", ".csv"):
        f = data / f"{name}{ext}"
        if f.exists():
            return pd.read_parquet(f) if ext == ".parquet" else pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
    return pd.DataFrame()


def _ts(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="mixed")


def _bool(s: pd.Series) -> pd.Series:
    return s.astype(str).str.lower().isin(["true", "1", "t", "yes"])


def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    a, b = a.astype(float), b.astype(float)
    return (a / b.where(b != 0)).astype(float)


def compute(data: Path, labels: Path, months: list[str]) -> pd.DataFrame:
    """Long frame community_id, period, metric, value (None for n/a)."""
    members = _read(data, "members")
    members["joined_at"] = _ts(members["joined_at"])
    members["left_at"] = _ts(members["left_at"])
    members["is_staff"] = _bool(members["is_staff"])
    staff = _read(data, "staff")
    comms = _read(data, "communities")["community_id"].astype(str).tolist()

    # Staff people: a staff spell in that community, or listed in the staff table (staff everywhere).
    sp = members.loc[members.is_staff | (members.role == "staff"), ["community_id", "member_id"]]
    if len(staff):
        sp = pd.concat([sp, pd.MultiIndex.from_product([comms, staff.staff_id.astype(str)], names=["community_id", "member_id"]).to_frame(index=False)])
    staff_pairs = set(map(tuple, sp.drop_duplicates().to_numpy()))
    key = list(zip(members.community_id, members.member_id, strict=True))
    spells = members[[k not in staff_pairs for k in key]].copy()
    spells["left"] = spells["left_at"].fillna(FAR)

    msgs = _read(data, "messages")
    msgs["recalled"] = _bool(msgs["recalled"]) if msgs["recalled"].dtype != bool else msgs["recalled"]
    msgs["sent_at"] = pd.to_datetime(msgs["sent_at"])
    all_sent_max = msgs["sent_at"].max()
    msgs = msgs[~msgs.recalled & (msgs.msg_type != "system")]
    lab = pd.read_parquet(labels, columns=["message_id", "cls", "is_effective", "is_ugc"])
    msgs = msgs.merge(lab, on="message_id", how="left")
    skey = pd.MultiIndex.from_arrays([msgs.community_id, msgs.sender_id])
    staff_idx = pd.MultiIndex.from_tuples(sorted(staff_pairs), names=["community_id", "member_id"]) if staff_pairs else None
    msgs["is_staff_person"] = skey.isin(staff_idx) if staff_idx is not None else False
    mm = msgs[~msgs.is_staff_person]

    orders = _read(data, "orders")
    orders["paid_at"] = _ts(orders["paid_at"])
    orders["amount"] = orders["amount"].astype(float)
    orders["refund_amount"] = orders["refund_amount"].fillna(0).astype(float)
    orders = orders[orders.community_id.notna() & (orders.community_id != "")]
    okey = pd.MultiIndex.from_arrays([orders.community_id, orders.customer_id])
    orders = orders[~okey.isin(staff_idx)] if staff_idx is not None else orders

    # The as-of time (qunkpi's data horizon): a question still unanswered then, asked less than 30 minutes
    # before it, is pending — left out of the response rate (docs/metrics.md, response_30m_rate).
    posts = _read(data, "posts")
    horizon = max(
        x
        for x in (
            members.joined_at.max(), members.left_at.max(), all_sent_max, orders.paid_at.max(),
            _ts(posts.published_at).max() if len(posts) else None,
        )
        if x is not None and not pd.isna(x)
    )

    parts = _read(data, "activity_participants")
    acts = _read(data, "activities")
    parts = parts.merge(acts[["activity_id", "community_id"]], on="activity_id")
    parts["participated_at"] = _ts(parts["participated_at"])

    rows: list[tuple[str, str, str, float | None]] = []
    for label in months:
        y, m = map(int, label.split("-"))
        start = pd.Timestamp(datetime(y, m, 1))
        end = pd.Timestamp(datetime(y + (m == 12), m % 12 + 1, 1))
        out = pd.DataFrame(index=pd.Index(comms, name="community_id"))

        def present(at: pd.Timestamp) -> pd.Series:
            s = spells[(spells.joined_at <= at) & (spells.left > at)]
            return s.groupby("community_id").member_id.nunique()

        out["members_start"] = present(start)
        out["members_end"] = present(end)
        out["joins"] = spells[(spells.joined_at >= start) & (spells.joined_at < end)].groupby("community_id").size()
        lv = spells[spells.left_at.notna() & (spells.left_at >= start) & (spells.left_at < end)]
        out["leaves"] = lv.groupby("community_id").size()
        out[["members_start", "members_end", "joins", "leaves"]] = out[["members_start", "members_end", "joins", "leaves"]].fillna(0)
        out["net_growth_rate"] = _ratio(out.joins - out.leaves, out.members_start)
        out["churn_rate"] = _ratio(out.leaves, out.members_start)

        # silent_ratio(14)
        w0 = end - timedelta(days=14)
        base = spells[(spells.joined_at <= end) & (spells.left > end) & (spells.joined_at <= w0)][["community_id", "member_id"]].drop_duplicates()
        spoke = msgs[(msgs.sent_at >= w0) & (msgs.sent_at < end)][["community_id", "sender_id"]].drop_duplicates()
        spoke.columns = ["community_id", "member_id"]
        took = parts[(parts.participated_at >= w0) & (parts.participated_at < end)][["community_id", "member_id"]].drop_duplicates()
        act = pd.concat([spoke, took]).drop_duplicates()
        b = base.merge(act, how="left", indicator=True)
        nb = b.groupby("community_id").size()
        ns = b[b._merge == "left_only"].groupby("community_id").size()
        out["silent_ratio"] = _ratio(ns.reindex(out.index).fillna(0), nb.reindex(out.index).fillna(0))

        p_mm = mm[(mm.sent_at >= start) & (mm.sent_at < end)]
        p_all = msgs[(msgs.sent_at >= start) & (msgs.sent_at < end)]
        eff = p_mm[p_mm.is_effective.fillna(False).astype(bool)]
        out["active_members"] = p_mm.groupby("community_id").sender_id.nunique()
        out["engaged_members"] = eff.groupby("community_id").sender_id.nunique()
        out[["active_members", "engaged_members"]] = out[["active_members", "engaged_members"]].fillna(0)
        out["core_interaction_rate"] = _ratio(out.engaged_members, out.active_members)
        anytime = spells[(spells.joined_at < end) & (spells.left > start)].groupby("community_id").member_id.nunique()
        out["engaged_rate"] = _ratio(out.engaged_members, anytime.reindex(out.index).fillna(0))
        out["effective_message_share"] = _ratio(eff.groupby("community_id").size().reindex(out.index).fillna(0),
                                                p_all.groupby("community_id").size().reindex(out.index).fillna(0))
        out["ugc_count"] = p_mm[p_mm.is_ugc.fillna(False).astype(bool)].groupby("community_id").size().reindex(out.index).fillna(0)

        # response_30m_rate: first staff message after the question that replies to it or to nothing.
        q = p_mm[p_mm.cls == "question"][["community_id", "message_id", "sent_at"]].sort_values("sent_at")
        st = msgs[msgs.is_staff_person][["community_id", "message_id", "sent_at", "reply_to"]]
        free = st[st.reply_to.isna() | (st.reply_to == "")][["community_id", "sent_at"]].sort_values("sent_at")
        free = free.rename(columns={"sent_at": "resp_at"})
        qa = pd.merge_asof(q, free, left_on="sent_at", right_on="resp_at", by="community_id", direction="forward",
                           allow_exact_matches=False)
        direct = st[st.reply_to.notna()].merge(q[["message_id", "sent_at"]], left_on="reply_to", right_on="message_id",
                                               suffixes=("", "_q"))
        direct = direct[direct.sent_at > direct.sent_at_q].groupby("reply_to").sent_at.min()
        qa["direct"] = qa.message_id.map(direct)
        first = qa[["resp_at", "direct"]].min(axis=1)
        qa["ok"] = (first - qa.sent_at) <= pd.Timedelta(minutes=30)
        qa = qa[qa.ok | (horizon - qa.sent_at >= pd.Timedelta(minutes=30))]
        out["response_30m_rate"] = _ratio(qa.groupby("community_id").ok.sum().reindex(out.index).fillna(0),
                                          qa.groupby("community_id").size().reindex(out.index).fillna(0))

        po = orders[(orders.paid_at >= start) & (orders.paid_at < end)]
        po = po.assign(net=po.amount - po.refund_amount)
        out["gmv"] = po.groupby("community_id").net.sum().reindex(out.index).fillna(0)
        out["buyers"] = po.groupby("community_id").customer_id.nunique().reindex(out.index).fillna(0)
        out["orders"] = po.groupby("community_id").size().reindex(out.index).fillna(0)
        out["aov"] = _ratio(out.gmv, out.orders)
        for cid, r in out.iterrows():
            for metric in METRICS:
                v = r[metric]
                rows.append((str(cid), label, metric, None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)))
    return pd.DataFrame(rows, columns=["community_id", "period", "metric", "value"])
