"""Engagement metrics on the hand-built fixture tests/fixtures/engagement (classes given, not classified).

Community e1 (读书会), October 2026 (31 days). Staff: s1 (staff spell). Non-staff spells: k1 (role kol),
m1, m2 (joined 09-01), m3 (joined 10-03, invited by m1), m4 (joined 10-10, invited by k1), m5 (left 10-15),
m6, m7 (joins 11-05). x1 sends a message but has no membership row (a member for message metrics only).

October messages of e1 (effective classes in capitals; chars = the label's characters of substance):
  e01 s1 system (never counted)            e02 m1 QUESTION 10      e03 s1 staff, chars blank, text 30 long
  e04 m5 filler                            e05 m1 chat 20          e06 m3 filler     e07 m3 filler
  e08 k1 chat 15 negative                  e09 k1 chat 15          e10 m1 CHECKIN 10
  e11 m2 QUESTION 10 negative (19:00)      e12 s1 staff chars 30 (10-20 20:00)
  e13 m1 ANSWER 30 (20:05)  e14 k1 SHARE 30 (20:10)  e15 m4 CHECKIN 10 (20:20)  e16 m1 SHARE link 40 (20:30)
  e17 m4 chat 20 (20:40)    e18 x1 SHARE 40 (21:00)  e19 s1 staff link chars 5   e20 m2 spam negative
  e21 m6 recalled (never counted)          e22 s1 staff "大家好" chars blank   e23 m1 chat 10

Counts: effective member messages 13 (m1 6, k1 3, m4 2, m2 1, x1 1); member messages 17 (13 + filler e04,
e06, e07 + spam e20); staff messages 4 (e03, e12, e19, e22); all countable 21.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qunkpi.catalog.impl.engagement import (
    _candidates_arrow,
    _starts_of,
    _synced_from,
    _timeline_order,
    burst_candidates,
    burst_starts,
    burst_starts_arrow,
    burst_stream,
    burst_triggers,
)
from qunkpi.engine.periods import parse_period
from qunkpi.members.context import member_ctx
from qunkpi.workspace import Workspace

_LOAD = Path(__file__).parents[1] / "fixtures" / "engagement" / "load.py"


def _fixture() -> ModuleType:
    spec = importlib.util.spec_from_file_location("engagement_fixture", _LOAD)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


efx = _fixture()
ENGAGEMENT = [
    "active_members", "engaged_members", "core_interaction_rate", "engaged_rate", "effective_message_share",
    "ugc_count", "cocreation_share", "messages_per_member_day", "messages_per_100_day", "kol_message_share",
    "activity_participation_rate", "topic_bursts", "koc_count", "koc_referral_share", "negative_share",
    "staff_message_share", "high_value_share",
]


def vals(df: pd.DataFrame, community: str, period: str | None = None) -> dict[str, object]:
    sel = df[(df.community_id == community) & df.breakdown.isna()]
    if period is not None:
        sel = sel[sel.period == period]
    return dict(zip(sel.metric, sel.value, strict=True))


@pytest.fixture
def ews(ws: Workspace) -> Workspace:
    return efx.load(ws)


def test_engagement_october_by_hand(ews: Workspace) -> None:
    v = vals(ews.metrics("2026-10", metrics=ENGAGEMENT), "e1")
    # senders of countable member messages: m1, k1, m2, m3, m4, m5, x1 (m6's only October message is recalled)
    assert v["active_members"] == 7
    # with an effective message: m1, k1, m2, m4, x1
    assert v["engaged_members"] == 5
    assert v["core_interaction_rate"] == pytest.approx(5 / 7)
    # present at any time in October: k1, m1, m2, m3, m4, m5, m6 (m7 joins in November, s1 is staff) = 7
    assert v["engaged_rate"] == pytest.approx(5 / 7)
    # 13 effective member messages / 21 countable messages (staff included)
    assert v["effective_message_share"] == pytest.approx(13 / 21)
    # UGC: m1 e02 e10 e13 e16 (4) + k1 e14 + m2 e11 + m4 e15 + x1 e18 = 8
    assert v["ugc_count"] == 8
    # staff content: e03 (chars blank → text length 30 ≥ 20), e12 (30 ≥ 20), e19 (link); e22 is 3 long → 3
    assert v["cocreation_share"] == pytest.approx(8 / (8 + 3))
    # 17 member messages / members at 11-01 00:00 (k1, m1, m2, m3, m4, m6 = 6) / 31 days
    assert v["messages_per_member_day"] == pytest.approx(17 / 6 / 31)  # ≈ 0.0914
    assert v["messages_per_100_day"] == pytest.approx(17 * 100 / 6 / 31)  # ≈ 9.14
    # k1 (role kol) sent e08, e09, e14 = 3 of 17 member messages
    assert v["kol_message_share"] == pytest.approx(3 / 17)
    # activities starting in October: a1 (participants m1, m2, m3; staff s1 excluded; notified 10) and
    # a2 (k1; notified 5); a3 started 09-28 → (3 + 1) / (10 + 5)
    assert v["activity_participation_rate"] == pytest.approx(4 / 15)
    # e12 (20:00) is followed until 21:00 (inclusive) by e13 e14 e15 e16 e17 e18 = 6 effective from m1, k1, m4, x1;
    # e13 (20:05) also qualifies (e14..e18 = 5 from 4 members) but starts inside e12's window → 1 burst
    assert v["topic_bursts"] == 1
    # member scores (see tests/members): m1 100 (5 active days, answer + share) is the only KOC; k1 scores exactly
    # 80 but has 2 active days
    assert v["koc_count"] == 1
    # October joins: m3 (inviter m1, a KOC) and m4 (inviter k1, not a KOC) → 1 / 2
    assert v["koc_referral_share"] == pytest.approx(1 / 2)
    # negative effective member messages: e08, e11 (e20 is negative spam: not effective) → 2 / 13
    assert v["negative_share"] == pytest.approx(2 / 13)
    assert v["staff_message_share"] == pytest.approx(4 / 21)
    # score ≥ 80 among the 6 present at the end: m1 (100) and k1 (80.0 exactly: 0.8, 0.8, 0.8); x1 has no spell
    assert v["high_value_share"] == pytest.approx(2 / 6)


def test_participation_by_activity(ews: Workspace) -> None:
    df = ews.metrics("2026-10", metrics=["activity_participation_rate_by_activity"])
    got = {r.breakdown: r.value for r in df[df.community_id == "e1"].itertuples()}
    # a1: 3 non-staff participants / 10 notified; a2: 1 / 5; a3 started in September
    assert got == pytest.approx({"a1": 3 / 10, "a2": 1 / 5})


def test_empty_period_counts_zero_ratios_null(ews: Workspace) -> None:
    v = vals(ews.metrics("2026-12", metrics=ENGAGEMENT), "e1")
    for mid in ("active_members", "engaged_members", "ugc_count", "topic_bursts", "koc_count"):
        assert v[mid] == 0, mid
    # no messages at all → every message-based ratio has a zero denominator
    for mid in ("core_interaction_rate", "effective_message_share", "cocreation_share", "kol_message_share",
                "negative_share", "staff_message_share", "activity_participation_rate", "koc_referral_share"):
        assert v[mid] is None, mid
    # but members exist (present in December: k1 m1 m2 m3 m4 m6 m7 = 7): 0 / 7 is a real 0, not n/a
    assert v["engaged_rate"] == 0
    assert v["messages_per_member_day"] == 0
    assert v["high_value_share"] == 0


def test_empty_community_is_null_not_zero(ews: Workspace) -> None:
    v = vals(ews.metrics("2026-10", metrics=ENGAGEMENT), "e3")  # no members, no messages
    assert v["active_members"] == 0
    for mid in ("engaged_rate", "core_interaction_rate", "messages_per_member_day", "high_value_share"):
        assert v[mid] is None, mid


def test_metrics_needing_classes_are_unavailable_without_labels(ws: Workspace) -> None:
    efx.load(ws, labels=False)
    df = ws.metrics("2026-10", metrics=["active_members", "engaged_members", "topic_bursts", "staff_message_share"])
    e1 = df[df.community_id == "e1"].set_index("metric")
    assert e1.loc["active_members", "value"] == 7  # needs no classes
    assert e1.loc["staff_message_share", "value"] == pytest.approx(4 / 21)
    for mid in ("engaged_members", "topic_bursts"):
        assert e1.loc[mid, "value"] is None
        assert str(e1.loc[mid, "reason"]).startswith("missing tables: message_labels")


def _burst_lab(ws: Workspace) -> None:
    """Community b1, 2026-10-05: staff s9 posts T1 at 10:00:00 and T2 at 11:00:30; members b, c, d talk."""
    efx.insert_rows(ws, "communities", pd.DataFrame([{
        "community_id": "b1", "name": "burst lab", "platform": "wecom_group", "purpose": "content",
        "created_at": "2026-01-01 00:00:00", "archive_consent": "true"}]))
    efx.insert_rows(ws, "members", pd.DataFrame([{
        "community_id": "b1", "member_id": "s9", "joined_at": "2026-01-01 00:00:00", "is_staff": "true", "role": "staff"}]))
    d = "2026-10-05 "
    efx.load_messages(ws, [
        ("T1", "b1", "s9", d + "10:00:00", "text", "staff"),
        ("f1", "b1", "b", d + "10:10:00", "text", "chat"),
        ("f2", "b1", "c", d + "10:20:00", "text", "chat"),
        ("f3", "b1", "d", d + "10:30:00", "text", "chat"),
        ("f4", "b1", "b", d + "10:40:00", "text", "chat"),
        ("n1", "b1", "b", d + "10:50:00", "text", "filler"),   # not effective: never a follower (may trigger)
        ("f5", "b1", "c", d + "11:00:00", "text", "chat"),     # exactly 60:00 after T1: inside (≤)
        ("T2", "b1", "s9", d + "11:00:30", "text", "staff"),
        ("f6", "b1", "d", d + "11:05:00", "text", "chat"),
        ("g1", "b1", "b", d + "11:10:00", "text", "chat"),
        ("g2", "b1", "c", d + "11:20:00", "text", "chat"),
        ("g3", "b1", "d", d + "11:30:00", "text", "chat"),
        ("g4", "b1", "b", d + "11:40:00", "text", "chat"),
        # five effective messages from only two members: never a burst
        ("H1", "b1", "s9", d + "15:00:00", "text", "staff"),
        ("h1", "b1", "b", d + "15:10:00", "text", "chat"),
        ("h2", "b1", "c", d + "15:20:00", "text", "chat"),
        ("h3", "b1", "b", d + "15:30:00", "text", "chat"),
        ("h4", "b1", "c", d + "15:40:00", "text", "chat"),
        ("h5", "b1", "b", d + "15:50:00", "text", "chat"),
    ])


def test_topic_bursts_boundaries_and_non_overlap(ews: Workspace) -> None:
    _burst_lab(ews)
    ctx = member_ctx(ews, [parse_period("2026-10-05")], ["b1"])
    cand = burst_candidates(ctx.backend.execute(burst_stream(ctx)))
    # T1: f1..f5 (f5 at exactly 60:00 counts) = 5 from b, c, d. f1: f2..f6 = 5 (≤ 11:10). f2, f3, f4: ≥ 5 followers
    # each; so does the filler n1 as a trigger (any countable message may trigger). f5 (11:00:00): f6 g1 g2 g3 g4
    # by d, b, c. T2: f6 g1..g4. H1 and h1..h5: only b and c → never.
    assert set(cand.message_id) == {"T1", "f1", "f2", "f3", "f4", "n1", "f5", "T2"}
    starts = burst_starts(cand)
    # T1 opens [10:00, 11:00]; f1..f5 (≤ 11:00:00) fall inside; T2 at 11:00:30 is the first candidate after
    # the window closed → 2 bursts, at 10:00:00 and 11:00:30
    assert [str(t) for t in starts.sent_at] == ["2026-10-05 10:00:00", "2026-10-05 11:00:30"]
    df = ews.metrics("2026-10", communities=["b1"], metrics=["topic_bursts"])
    assert df.value.tolist() == [2]
    # counted in the period of the trigger: the day holds both, the next day none
    days = ews.metrics("2026-10-05..2026-10-06", grain="day", communities=["b1"], metrics=["topic_bursts"])
    assert days.value.tolist() == [2, 0]


def test_burst_starts_is_greedy_and_non_overlapping() -> None:
    t = pd.to_datetime(["2026-10-05 10:00:00", "2026-10-05 10:10:00", "2026-10-05 11:00:00",
                        "2026-10-05 11:00:01", "2026-10-05 11:30:00", "2026-10-05 12:00:02"])
    cand = pd.DataFrame({"community_id": ["b"] * 6, "message_id": list("abcdef"), "sent_at": t})
    got = burst_starts(cand)
    # 10:00 opens [10:00, 11:00]: 10:10 and 11:00:00 are inside; 11:00:01 opens [11:00:01, 12:00:01]:
    # 11:30 inside; 12:00:02 is after → 3 bursts
    assert [str(x) for x in got.sent_at] == ["2026-10-05 10:00:00", "2026-10-05 11:00:01", "2026-10-05 12:00:02"]
    assert burst_starts(cand.iloc[0:0]).empty


def _naive_triggers(times: list[int], eff: list[bool], sender: list[int], window: int) -> list[bool]:
    """The definition, literally: O(n²)."""
    out = []
    for i, t in enumerate(times):
        followers = [j for j in range(i + 1, len(times)) if eff[j] and times[j] <= t + window]
        out.append(len(followers) >= 5 and len({sender[j] for j in followers}) >= 3)
    return out


def test_vectorised_triggers_match_the_definition() -> None:
    rng = np.random.default_rng(11)
    minute = 60 * 1_000_000_000
    for _ in range(300):
        n = int(rng.integers(1, 40))
        times = np.sort(rng.integers(0, 240, n)) * minute  # 4 hours, minute resolution: many ties
        eff = rng.random(n) < 0.7
        sender = rng.integers(0, int(rng.integers(1, 5)), n)  # 1–4 senders: long runs and alternations
        got = burst_triggers(times.astype(np.int64), eff, sender.astype(np.int64))
        want = _naive_triggers(times.tolist(), eff.tolist(), sender.tolist(), 60 * minute)
        assert got.tolist() == want


def test_timeline_order_is_a_sort_on_community_time_and_id() -> None:
    """The numpy ordering (integers first, then only tied rows by id) equals a plain sort on the keys."""
    rng = np.random.default_rng(5)
    for _ in range(50):
        n = int(rng.integers(0, 60))
        comm = rng.integers(0, 3, n)
        times = rng.integers(0, 5, n)  # few instants: many ties
        ids = [f"m{int(x):03d}" for x in rng.permutation(1000)[:n]]
        got = _timeline_order(comm.astype(np.int64), times.astype(np.int64), pa.array(ids, pa.string()))
        want = sorted(range(n), key=lambda i: (comm[i], times[i], ids[i]))
        assert got.tolist() == want


def _random_stream(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for comm in ["c2", "c10", "c1"]:  # string order differs from first appearance
        n = int(rng.integers(0, 120))
        minutes = np.sort(rng.integers(0, 600, n))  # 10 hours, minute resolution: ties and dense stretches
        for j, m in enumerate(minutes):
            rows.append({
                "community_id": comm,
                "message_id": f"{comm}-{int(rng.integers(0, 10**6)):06d}-{j}",
                "sent_at": pd.Timestamp("2026-10-05") + pd.Timedelta(minutes=int(m)),
                "sender_id": f"u{int(rng.integers(0, 4))}",
                "eff": bool(rng.random() < 0.7),
            })
    return pd.DataFrame(rows, columns=["community_id", "message_id", "sent_at", "sender_id", "eff"])


def test_arrow_burst_path_equals_the_ordered_dataframe_path() -> None:
    """topic_bursts' path (unordered Arrow stream, integer codes) finds exactly the bursts of the reference
    path (stream ordered by community, time, message id; burst_candidates then burst_starts)."""
    rng = np.random.default_rng(17)
    for _ in range(40):
        df = _random_stream(rng)
        ordered = df.sort_values(["community_id", "sent_at", "message_id"], kind="stable").reset_index(drop=True)
        want = burst_starts(burst_candidates(ordered))
        shuffled = df.sample(frac=1.0, random_state=int(rng.integers(0, 10**6))).reset_index(drop=True)
        tbl = pa.Table.from_pandas(shuffled.astype({"sent_at": "datetime64[us]"}), preserve_index=False)
        names, comm, times = burst_starts_arrow(tbl)
        got = sorted((names[c], pd.Timestamp(t)) for c, t in zip(comm.tolist(), times.tolist(), strict=True))
        assert got == sorted(zip(want.community_id.astype(str), pd.to_datetime(want.sent_at), strict=True))


def test_a_burst_chain_across_the_lead_day_is_read_from_further_back(ews: Workspace) -> None:
    """topic_bursts reads the stream from a day before its first period when that gives the whole timeline's
    bursts. Here it does not: from 2026-10-03 23:00 to 10-05 02:30 a member message every 10 minutes (b, c, d in
    turn) makes every message up to 01:40 a trigger, with no gap of over 60 minutes. On the whole timeline the
    bursts start at 23:00 and every 70 minutes after: on 10-05 at 00:40 (25 h 40 min = 22 × 70 min) only, since
    the next (01:50) is past the last trigger. From 10-04 00:00 they would start at 00:30 and 01:40 on 10-05: 2."""
    efx.insert_rows(ews, "communities", pd.DataFrame([{
        "community_id": "b2", "name": "chain", "platform": "wecom_group", "purpose": "content",
        "created_at": "2026-01-01 00:00:00", "archive_consent": "true"}]))
    t0 = pd.Timestamp("2026-10-03 23:00:00")
    rows = []
    for i in range(int((pd.Timestamp("2026-10-05 02:30:00") - t0) / pd.Timedelta(minutes=10)) + 1):
        at = t0 + pd.Timedelta(minutes=10 * i)
        rows.append((f"q{i:03d}", "b2", "bcd"[i % 3], str(at), "text", "chat"))
    efx.load_messages(ews, rows)
    days = ews.metrics("2026-10-05", grain="day", communities=["b2"], metrics=["topic_bursts"])
    assert days.value.tolist() == [1]
    # the same stream read from the lead day on is not synced anywhere, so it is not trusted
    tbl = pa.Table.from_pandas(
        pd.DataFrame({
            "community_id": "b2",
            "message_id": [r[0] for r in rows if r[3] >= "2026-10-04"],
            "sent_at": pd.to_datetime([r[3] for r in rows if r[3] >= "2026-10-04"]).astype("datetime64[us]"),
            "sender_id": [r[2] for r in rows if r[3] >= "2026-10-04"],
            "eff": True,
        }),
        preserve_index=False,
    )
    _, c_comm, c_times = _candidates_arrow(tbl)
    lead = int(pd.Timestamp("2026-10-04").value)
    assert (_synced_from(c_comm, c_times, lead) == np.iinfo(np.int64).max).all()
    _, st_times = _starts_of(c_comm, c_times)
    assert [str(pd.Timestamp(t)) for t in st_times if t >= pd.Timestamp("2026-10-05").value] == [
        "2026-10-05 00:30:00", "2026-10-05 01:40:00"]


def test_bursts_from_a_later_start_match_the_whole_stream_once_synced() -> None:
    """For random streams cut at a random instant: every burst at or after the cut stream's sync time is a burst
    of the whole stream and the other way round (what _burst_counts relies on)."""
    rng = np.random.default_rng(23)
    checked = 0
    for _ in range(60):
        df = _random_stream(rng)
        if df.empty:
            continue
        whole = pa.Table.from_pandas(df.astype({"sent_at": "datetime64[us]"}), preserve_index=False)
        names_w, comm_w, times_w = burst_starts_arrow(whole)
        cut = pd.Timestamp("2026-10-05") + pd.Timedelta(minutes=int(rng.integers(0, 600)))
        part = df[df.sent_at >= cut]
        if part.empty:
            continue
        tbl = pa.Table.from_pandas(part.astype({"sent_at": "datetime64[us]"}), preserve_index=False)
        names, c_comm, c_times = _candidates_arrow(tbl)
        sync = _synced_from(c_comm, c_times, int(cut.value))
        first = {int(c_comm[i]): int(sync[i]) for i in range(len(c_comm)) if i == 0 or c_comm[i] != c_comm[i - 1]}
        st_comm, st_times = _starts_of(c_comm, c_times)
        got = {(names[c], t) for c, t in zip(st_comm.tolist(), st_times.tolist(), strict=True) if t >= first[c]}
        since = {names[c]: t for c, t in first.items()}
        want = {
            (names_w[c], t)
            for c, t in zip(comm_w.tolist(), times_w.tolist(), strict=True)
            if names_w[c] in since and t >= since[names_w[c]]
        }
        assert got == want
        checked += len(want)
    assert checked > 20  # the property was exercised on real bursts
