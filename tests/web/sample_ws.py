"""A small deterministic workspace for the web, report and browser tests.

Three communities (c1 sales / staff1 in team 华东组, c2 service / staff2 in team 华东组, c3 content / staff3 in
team 华南组) and one official account (c3 doubles as the account id), with members, messages (inserted with SQL,
so the PII redactor is not needed), activities, orders, posts and follower days in September–October 2026.

Hand-checked numbers the tests use (October 2026, community c1):
- members: m1..m6 joined 2026-09-01 (poster), m7..m9 joined 2026-10-05 (referral ×2, poster ×1), m2 left
  2026-10-10 → members_start = 6, joins = 3, leaves = 1, members_end = 6 - 1 + 3 = 8.
- messages by m1 (Mon 2026-10-05 20:xx, 3 messages) and m3 (Wed 2026-10-07 09:xx, 2 messages) plus 2 staff
  messages → the chat heat map counts 5 member messages: cell (hour 20, Monday) = 3, (hour 9, Wednesday) = 2.
- activity a1 (2026-10-12): notified 8, participants m1, m3, m4 and staff1 → 3 non-staff / 8 = 37.5 %;
  campaign code CP1 with orders by m1 and m4 inside [start, end + 7 d) → conversion 2 / 8 = 25 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from qunkpi.importers.canonical import load_tables
from qunkpi.workspace import Workspace

PASSWORD = "correct-horse-9"  # every test user's password
USERS = {
    # username: (role, team, staff, communities)
    "admin": ("admin", None, None, []),
    "op1": ("operator", "华东组", "staff1", ["c1"]),
    "op2": ("operator", "华东组", "staff2", ["c2"]),
    "op3": ("operator", "华南组", "staff3", ["c3"]),
    "boss": ("manager", "华东组", "boss1", []),
}


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    """Log a Starlette TestClient in through the real form (CSRF cookie + token)."""
    r = client.get("/login")
    assert r.status_code == 200
    token = client.cookies.get("qunkpi_csrf")
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


def _t(rows: list[dict[str, object]]) -> pa.Table:
    cols = list(rows[0])
    return pa.table({c: [None if r.get(c) is None else str(r.get(c)) for r in rows] for c in cols})


def build(path: Path) -> Path:
    ws = Workspace.init(path)
    communities = [
        {
            "community_id": "c1",
            "name": "轻食打卡营",
            "platform": "wecom_group",
            "purpose": "sales",
            "created_at": "2026-01-01 00:00:00",
            "owner_staff_id": "staff1",
        },
        {
            "community_id": "c2",
            "name": "售后服务群",
            "platform": "wecom_group",
            "purpose": "service",
            "created_at": "2026-08-01 00:00:00",
            "owner_staff_id": "staff2",
        },
        {
            "community_id": "c3",
            "name": "品牌公众号",
            "platform": "official_account",
            "purpose": "content",
            "created_at": "2025-06-01 00:00:00",
            "owner_staff_id": "staff3",
        },
    ]
    members = [
        {
            "community_id": "c1",
            "member_id": "staff1",
            "joined_at": "2026-01-01 00:00:00",
            "left_at": None,
            "source_channel": None,
            "inviter_id": None,
            "is_staff": "true",
            "role": "staff",
        }
    ]
    for i in range(1, 7):
        members.append(
            {
                "community_id": "c1",
                "member_id": f"m{i}",
                "joined_at": "2026-09-01 00:00:00",
                "left_at": "2026-10-10 00:00:00" if i == 2 else None,
                "source_channel": "poster",
                "inviter_id": None,
                "is_staff": "false",
                "role": "member",
            }
        )
    for i, src in zip((7, 8, 9), ("referral", "referral", "poster"), strict=True):
        members.append(
            {
                "community_id": "c1",
                "member_id": f"m{i}",
                "joined_at": "2026-10-05 00:00:00",
                "left_at": None,
                "source_channel": src,
                "inviter_id": "m1" if src == "referral" else None,
                "is_staff": "false",
                "role": "member",
            }
        )
    for i in range(1, 5):
        members.append(
            {
                "community_id": "c2",
                "member_id": f"s{i}",
                "joined_at": "2026-08-15 00:00:00",
                "left_at": None,
                "source_channel": "official_account",
                "inviter_id": None,
                "is_staff": "false",
                "role": "member",
            }
        )
    staff = [
        {"staff_id": "staff1", "name": "张伟", "role": "specialist", "team": "华东组"},
        {"staff_id": "staff2", "name": "李娜", "role": "specialist", "team": "华东组"},
        {"staff_id": "staff3", "name": "王芳", "role": "specialist", "team": "华南组"},
        {"staff_id": "boss1", "name": "赵强", "role": "manager", "team": "华东组"},
    ]
    activities = [
        {
            "activity_id": "a1",
            "community_id": "c1",
            "name": "十月打卡挑战",
            "kind": "checkin",
            "planned_start_at": "2026-10-12 20:00:00",
            "start_at": "2026-10-12 20:00:00",
            "end_at": "2026-10-19 20:00:00",
            "notified_count": "8",
            "cost": "200",
            "campaign_code": "CP1",
        },
    ]
    participants = [
        {"activity_id": "a1", "member_id": m, "participated_at": "2026-10-13 20:00:00", "submitted": "true"}
        for m in ("m1", "m3", "m4", "staff1")
    ]
    orders = [
        {
            "order_id": "o1",
            "customer_id": "m1",
            "community_id": "c1",
            "paid_at": "2026-10-14 10:00:00",
            "amount": "199",
            "refund_amount": "0",
            "campaign_code": "CP1",
        },
        {
            "order_id": "o2",
            "customer_id": "m4",
            "community_id": "c1",
            "paid_at": "2026-10-25 10:00:00",
            "amount": "99",
            "refund_amount": "0",
            "campaign_code": "CP1",
        },
        {
            "order_id": "o3",
            "customer_id": "m5",
            "community_id": "c1",
            "paid_at": "2026-10-30 10:00:00",
            "amount": "59",
            "refund_amount": "0",
            "campaign_code": None,
        },
    ]
    posts = [
        {
            "post_id": "p1",
            "account_id": "c3",
            "kind": "article",
            "published_at": "2026-10-08 08:00:00",
            "title": "秋季轻食指南",
            "is_original": "true",
            "delivered": "1000",
            "read_users": "120",
            "reads_from_share": "48",
            "share_users": "15",
        },
        {
            "post_id": "p2",
            "account_id": "c3",
            "kind": "article",
            "published_at": "2026-10-15 08:00:00",
            "title": "新品上市",
            "is_original": "false",
            "delivered": "1000",
            "read_users": "60",
            "reads_from_share": "6",
            "share_users": "3",
        },
    ]
    days = [
        {
            "account_id": "c3",
            "day": f"2026-10-{d:02d}",
            "followers_total": str(1000 + 3 * d),
            "new_followers": "4",
            "unfollows": "1",
        }
        for d in range(1, 32)
    ]
    load_tables(
        ws,
        {
            "communities": _t(communities),
            "members": _t(members),
            "staff": _t(staff),
            "activities": _t(activities),
            "activity_participants": _t(participants),
            "orders": _t(orders),
            "posts": _t(posts),
            "account_daily": _t(days),
        },
        source="sample_ws",
        fmt="test",
    )
    p = ws.person_id
    msgs = [
        ("x1", "c1", p("m1"), "2026-10-05 20:01:00", "text", "今天的沙拉配方分享给大家，低脂高蛋白"),
        ("x2", "c1", p("m1"), "2026-10-05 20:10:00", "text", "大家周末一起打卡吗"),
        ("x3", "c1", p("m1"), "2026-10-05 20:30:00", "image", None),
        ("x4", "c1", p("m3"), "2026-10-07 09:00:00", "text", "请问鸡胸肉怎么做不柴？"),
        ("x5", "c1", p("m3"), "2026-10-07 09:20:00", "text", "谢谢老师"),
        ("x6", "c1", p("staff1"), "2026-10-07 09:05:00", "text", "可以先腌制再低温慢煮，口感会嫩很多"),
        ("x7", "c1", p("staff1"), "2026-10-12 20:00:00", "text", "十月打卡挑战开始啦"),
    ]
    for mid, cid, sender, ts, typ, text in msgs:
        ws.con.execute(
            "INSERT INTO messages (message_id, community_id, sender_id, sent_at, msg_type, text, reply_to, recalled) VALUES (?, ?, ?, ?, ?, ?, NULL, false)",
            [mid, cid, sender, ts, typ, text],
        )
    ws.close()
    return path


def build_with_users(path: Path) -> Path:
    """The sample workspace at ``path`` with the dashboard accounts of ``USERS`` (password ``PASSWORD``)."""
    from qunkpi.web.auth import UserStore

    build(path)
    store = UserStore(path)
    ws = Workspace.open(path, read_only=True)
    for name, (role, team, staff, comms) in USERS.items():
        store.add(
            name,
            PASSWORD,
            role,
            team=team,
            staff_id=ws.person_id(staff) if staff else None,
            communities=comms,
        )
    ws.close()
    return path
