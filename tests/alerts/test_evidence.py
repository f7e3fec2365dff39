"""Evidence queries (the rows behind an alert) on hand-built rows, October 2026 (period end 2026-11-01 00:00)."""

from __future__ import annotations

from datetime import datetime

import pytest
from tests.plans.builder import community, insert, member

from qunkpi.alerts.evidence import EVIDENCE
from qunkpi.alerts.model import Rule
from qunkpi.engine.periods import parse_period
from qunkpi.workspace import Workspace

OCT = parse_period("2026-10")
RULE = Rule(id="r", metric="m", op=">", threshold=0.1, severity="high", title_zh="t", title_en="t", action_zh="a", action_en="a")


def msg(mid: str, sender: str, at: str, text: str = "hello", recalled: bool = False, cid: str = "e1", kind: str = "text") -> dict[str, object]:
    return {"message_id": mid, "community_id": cid, "sender_id": sender, "sent_at": datetime.fromisoformat(at),
            "msg_type": kind, "text": text, "reply_to": None, "recalled": recalled}


def label(mid: str, cls: str, sentiment: str = "neutral", effective: bool = True) -> dict[str, object]:
    return {"message_id": mid, "cls": cls, "reason": "test", "sentiment": sentiment,
            "sentiment_score": -0.8 if sentiment == "negative" else 0.0, "chars": 5, "is_effective": effective,
            "is_ugc": False}


@pytest.fixture
def ews(ws: Workspace) -> Workspace:
    insert(ws, "communities", [community("e1", purpose="sales")])
    insert(ws, "members", [
        member("e1", "m1", "2026-09-01"),  # silent: nothing at all
        member("e1", "m2", "2026-09-01"),  # spoke 10-25 (inside the 14 days)
        member("e1", "m3", "2026-10-25"),  # tenure < 14 days at 11-01 → not judged
        member("e1", "m4", "2026-09-01"),  # joined an activity 10-28
        member("e1", "m5", "2026-09-01"),  # last spoke 10-10, before the window (from 10-18)
        member("e1", "m6", "2026-09-01", "2026-10-30"),  # left before the end
        member("e1", "st1", "2026-09-01", is_staff=True),  # staff never listed
        member("e1", "st1", "2026-01-01", "2026-10-10", is_staff=True),  # a staff spell leaving in October
    ])
    insert(ws, "messages", [
        msg("x1", "m2", "2026-10-25 10:00", "发货太慢了，失望"),
        msg("x2", "m5", "2026-10-10 10:00", "好的"),
        msg("x3", "st1", "2026-10-11 10:00", "员工也抱怨"),
        msg("x4", "m2", "2026-10-12 10:00", "撤回的差评", recalled=True),
        msg("x5", "m2", "2026-09-12 10:00", "九月的差评"),
        msg("x6", "st1", "2026-10-13 10:00", "欢迎新朋友"),
        msg("x7", "st1", "2026-10-14 10:00", "今晚八点直播"),
        msg("x8", "m2", "2026-10-15 10:00", "今天吃了什么"),
    ])
    insert(ws, "message_labels", [
        label("x1", "chat", "negative"), label("x2", "filler", effective=False), label("x3", "staff", "negative", effective=False),
        label("x4", "chat", "negative"), label("x5", "chat", "negative"), label("x6", "staff", effective=False),
        label("x7", "staff", effective=False), label("x8", "chat"),
    ])
    insert(ws, "activities", [
        {"activity_id": "a1", "community_id": "e1", "name": "打卡", "kind": "checkin", "start_at": datetime(2026, 10, 27),
         "end_at": datetime(2026, 10, 29), "notified_count": 10},
        {"activity_id": "a2", "community_id": "e1", "name": "抽奖", "kind": "lottery", "start_at": datetime(2026, 10, 5),
         "end_at": datetime(2026, 10, 6), "notified_count": 4},
    ])
    insert(ws, "activity_participants", [
        {"activity_id": "a1", "member_id": "m4", "participated_at": datetime(2026, 10, 28)},
        {"activity_id": "a1", "member_id": "m2", "participated_at": datetime(2026, 10, 28)},
        {"activity_id": "a1", "member_id": "st1", "participated_at": datetime(2026, 10, 28)},  # staff: not counted
        {"activity_id": "a2", "member_id": "m1", "participated_at": datetime(2026, 10, 5)},
        {"activity_id": "a2", "member_id": "m2", "participated_at": datetime(2026, 10, 5)},
        {"activity_id": "a2", "member_id": "m5", "participated_at": datetime(2026, 10, 5)},
    ])
    insert(ws, "posts", [
        {"post_id": "p1", "account_id": "acc1", "kind": "article", "published_at": datetime(2026, 10, 3), "title": "冷门",
         "is_original": True, "delivered": 1000, "read_users": 50, "reads_from_share": 20},
        {"post_id": "p2", "account_id": "acc1", "kind": "article", "published_at": datetime(2026, 10, 4), "title": "热门",
         "is_original": True, "delivered": 1000, "read_users": 200, "reads_from_share": 20},
    ])
    insert(ws, "surveys", [
        {"response_id": "s1", "community_id": "e1", "member_id": "m1", "kind": "csat", "score": 2, "answered_at": datetime(2026, 10, 3), "comment": "太慢"},
        {"response_id": "s2", "community_id": "e1", "member_id": "m2", "kind": "csat", "score": 5, "answered_at": datetime(2026, 10, 3)},
        {"response_id": "s3", "community_id": "e1", "member_id": "m4", "kind": "csat", "score": 3, "answered_at": datetime(2026, 10, 4)},
        {"response_id": "s4", "community_id": "e1", "member_id": "m5", "kind": "nps", "score": 1, "answered_at": datetime(2026, 10, 4)},
    ])
    return ws


def run(ws: Workspace, name: str, cid: str = "e1", threshold: float = 0.1):  # type: ignore[no-untyped-def]
    ev = EVIDENCE[name](ws, cid, OCT, RULE, threshold, 20)
    return ev, [dict(zip(ev.columns, r, strict=True)) for r in ev.rows]


def test_silent_members(ews: Workspace) -> None:
    ev, rows = run(ews, "silent_members")
    # m1 never spoke (listed first), m5 last spoke 10-10; m2 spoke, m3 too new, m4 took part, m6 left, st1 staff
    assert [r["member_id"] for r in rows] == ["m1", "m5"] and ev.total == 2
    assert rows[1]["last_message_at"] == datetime(2026, 10, 10, 10, 0)


def test_leavers_exclude_staff(ews: Workspace) -> None:
    _ev, rows = run(ews, "leavers")
    assert [r["member_id"] for r in rows] == ["m6"]


def test_negative_messages(ews: Workspace) -> None:
    _ev, rows = run(ews, "negative_messages")
    # x1 only: x3 is staff, x4 recalled, x5 in September
    assert [(r["message_id"], r["text"]) for r in rows] == [("x1", "发货太慢了，失望")]


def test_low_activities_sorted_by_participation(ews: Workspace) -> None:
    _ev, rows = run(ews, "low_activities")
    # a1: m4, m2 (staff st1 left out) / 10 = 0.2; a2: 3 / 4 = 0.75
    assert [(r["activity_id"], r["participants"], r["participation"]) for r in rows] == [("a1", 2, 0.2), ("a2", 3, 0.75)]


def test_staff_senders(ews: Workspace) -> None:
    _ev, rows = run(ews, "staff_senders")
    # October countable messages: x1, x2, x3, x6, x7, x8 (x4 recalled) → st1 sent 3 of 6
    assert rows == [{"sender_id": "st1", "messages": 3, "share_of_all": 0.5}]


def test_filler_evidence(ews: Workspace) -> None:
    _, only = run(ews, "filler_only_members")
    assert [r["sender_id"] for r in only] == ["m5"]  # m2 also wrote effective messages
    _, senders = run(ews, "filler_senders")
    assert [(r["sender_id"], r["filler_or_spam"]) for r in senders] == [("st1", 3), ("m5", 1)]


def test_posts_evidence(ews: Workspace) -> None:
    _, low = run(ews, "low_open_posts", "acc1", 0.10)
    assert [(r["post_id"], r["open_rate"]) for r in low] == [("p1", 0.05)]  # 50 / 1000; p2 is 20 %
    _, good = run(ews, "quality_posts", "acc1", 0.30)
    assert [(r["post_id"], r["secondary_share"]) for r in good] == [("p1", 0.4)]  # 20 / 50; p2 is 10 %


def test_low_csat(ews: Workspace) -> None:
    _, rows = run(ews, "low_csat")
    assert [(r["response_id"], r["score"], r["comment"]) for r in rows] == [("s1", 2, "太慢"), ("s3", 3, None)]
